"""Benchmark of the deadline feature: calendar arithmetic, one sweep over many open
deadlines on SQLite, and building the report. Writes its section of docs/benchmarks.md.

Run: .venv/bin/python bench/deadlines.py [--n 5000]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.deadlines.policy import DeadlinePolicy, build_calendars
from triage.deadlines.report import build_report
from triage.mail.threads import assign_threads
from triage.models import ParsedMessage
from triage.services import App
from triage.store import Ingest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import machine

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
DEADLINES = {
    "email": "24h", "warnings": {"email": ["80%", "3h", "1h"]},
    "calendar": {"email": "hanoi"},
    "calendars": {"hanoi": {"timezone": "Asia/Ho_Chi_Minh",
                            "hours": {d: "08:00-12:00, 13:00-17:30"
                                      for d in ("mon", "tue", "wed", "thu", "fri")},
                            "holidays": ["2026-11-20", "2026-12-25"]}},
}


def best(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000, help="open deadlines in the sweep")
    args = ap.parse_args()
    results: list[tuple[str, str]] = []

    settings = settings_from_mapping({"deadlines": DEADLINES}).deadlines
    policy = DeadlinePolicy(settings, build_calendars(settings))
    cal = policy.calendar_for("email")
    starts = [T0 + timedelta(minutes=37 * i) for i in range(10000)]
    t = best(lambda: [cal.add(s, timedelta(hours=24)) for s in starts])
    results.append(("calendar.add, 24 business hours, office calendar",
                    f"{len(starts) / t:,.0f} per s ({t * 1e6 / len(starts):.0f} µs each)"))
    t = best(lambda: [policy.calendars["always"].add(s, timedelta(hours=24)) for s in starts])
    results.append(("calendar.add, 24 h, always-open calendar",
                    f"{len(starts) / t:,.0f} per s"))

    with tempfile.TemporaryDirectory() as tmp:
        clock = FrozenClock(T0)
        app = App(settings_from_mapping({"data_dir": tmp, "deadlines": DEADLINES}),
                  clock=clock, environ={})
        store = app.store
        items = []
        for i in range(args.n):
            at = T0 + timedelta(minutes=3 * i)
            p = ParsedMessage(message_id=f"<b{i}@x>", channel="email",
                              sender=f"c{i % 500}@example.com", sender_name="", subject="s",
                              text="t", full_text="t", received_at=at)
            items.append(Ingest(f"b{i}", b"x", p))
        store.ensure_source("bench", "maildir")
        ids = store.add_items("bench", items, {}, threader=assign_threads)
        for i, mid in enumerate(ids):
            due, pol = policy.due_at(items[i].parsed.received_at, "email",  # type: ignore[union-attr]
                                     "request")
            store.save_processing(mid, None, due, pol, None)
        clock.set(T0 + timedelta(days=5))
        t = time.perf_counter()
        changed = Daemon(app).sweep_deadlines()
        first = time.perf_counter() - t
        t2 = best(Daemon(app).sweep_deadlines)
        results.append((f"first sweep over {args.n} open deadlines (SQLite, states + warnings "
                        f"recorded: {sum(changed.values())} changed)", f"{first:.2f} s"))
        results.append((f"steady sweep over {args.n} deadlines (nothing new)", f"{t2:.2f} s"))
        rows = app.sweeper.dstore.report_rows(T0, T0 + timedelta(days=30))
        t = best(lambda: build_report(rows, T0, T0 + timedelta(days=30), clock.now()))
        results.append((f"build_report over {len(rows)} deadlines", f"{t * 1000:.0f} ms"))
        store.close()

    lines = ["## Deadlines (bench/deadlines.py)", "",
             f"Machine: {machine()}. Measured {datetime.now(UTC):%Y-%m-%d}; best of 3.", "",
             "| what | result |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in results]
    section = "\n".join(lines) + "\n"
    print(section)
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    pat = re.compile(r"## Deadlines \(bench/deadlines.py\).*?(?=\n## |\Z)", re.S)
    text = pat.sub(section.rstrip("\n"), text) if pat.search(text) else \
        text.rstrip("\n") + "\n\n" + section
    doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
