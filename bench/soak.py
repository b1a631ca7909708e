"""Soak: N messages (default 100,000) through the daemon (``triage run``, SQLite), with its
resident memory sampled, and that of its worker and parse processes with ``--workers``.
Target: flat, under 200 MB per process. Writes '## Soak' in docs/benchmarks.md.

The daemon is started as deployed (deploy/triage.service): the ``triage`` command next to
the interpreter, so its spawned processes start from that script as they do in production.

    .venv/bin/python bench/soak.py [--messages 100000] [--mailboxes 25] [--workers 0]
"""

from __future__ import annotations

import argparse
import mailbox
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, rss_mb, scratch_dir, seed_maildir, write_section


def processed(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as c:
            return int(c.execute("select count(*) from messages where status != 'new'")
                       .fetchone()[0])
    except sqlite3.Error:
        return 0


HEAVY = ("sklearn", "scipy", "lingua", "skops")


def heavy_libraries(pid: int) -> list[str]:
    """Return which of scikit-learn, scipy and lingua have native code mapped into ``pid``."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return []
    return [name for name in HEAVY if f"/site-packages/{name}" in maps]


def children(pid: int) -> list[int]:
    """Return the process ids of ``pid``'s children (worker, parse and helper processes)."""
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        return out
    return sorted(set(out))


def command_of(pid: int) -> str:
    """Return a short name for process ``pid``: worker, parse (or another helper)."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if "resource_tracker" in cmd:
        return "tracker"
    return "child"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--mailboxes", type=int, default=25)
    ap.add_argument("--model", default="")
    ap.add_argument("--sample", type=float, default=5.0, help="seconds between samples")
    ap.add_argument("--timeout", type=float, default=3 * 3600)
    ap.add_argument("--idle", type=float, default=20.0,
                    help="seconds the daemon idles (empty Maildirs) before the mail arrives")
    ap.add_argument("--workers", type=int, default=0,
                    help="[scheduler] workers (each also starts a parse process)")
    args = ap.parse_args()
    work = scratch_dir("triage-soak-")
    model = args.model
    if not model:
        from triage.modelstore import ensure_bundled_model

        model = str(ensure_bundled_model(work / "models"))
    per = args.messages // args.mailboxes
    total = per * args.mailboxes
    t0 = time.monotonic()
    lines = [f"data_dir = 'data'\n[classifier]\nmodel_path = '{model}'\n"
             "[scheduler]\nbatch_size = 200\njitter = '0s'\n"
             f"workers = {args.workers}\n"]
    (work / "stage").mkdir()
    for i in range(args.mailboxes):
        # seeded aside and moved in once the daemon has started and idled (below)
        seed_maildir(work / "stage" / f"box{i:02d}", per, f"s{i}")
        mailbox.Maildir(str(work / f"box{i:02d}"), create=True).close()
        lines.append(f"[[sources]]\nname = 'box{i:02d}'\ntype = 'maildir'\n"
                     f"path = 'box{i:02d}'\npoll_interval = '2s'\n")
    (work / "triage.toml").write_text("\n".join(lines))
    print(f"seeded {total} messages in {args.mailboxes} Maildirs in "
          f"{time.monotonic() - t0:.0f}s ({work})", flush=True)
    db = work / "data" / "triage.db"
    log = open(work / "daemon.log", "wb")  # noqa: SIM115
    script = Path(sys.executable).parent / "triage"
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "triage"]
    proc = subprocess.Popen([*entry, "run", "--config", str(work / "triage.toml")], cwd=work,
                            stdout=log, stderr=log)
    kids: dict[int, list[float]] = {}  # child pid -> its RSS samples
    idle_until = time.monotonic() + args.idle
    while time.monotonic() < idle_until and proc.poll() is None:
        time.sleep(1.0)
    idle = rss_mb(proc.pid)
    idle_kids = [rss_mb(k) for k in children(proc.pid) if command_of(k) != "tracker"]
    print(f"idle after {args.idle:.0f}s: {idle:.1f} MB, children {idle_kids}", flush=True)
    for i in range(args.mailboxes):  # the whole backlog arrives at once, box by box
        os.rename(work / "stage" / f"box{i:02d}" / "new", work / f"box{i:02d}" / "new")
    start = time.monotonic()
    samples: list[tuple[float, int, float]] = []
    heavy: list[str] = []
    try:
        while time.monotonic() - start < args.timeout:
            n = processed(db)
            samples.append((time.monotonic() - start, n, rss_mb(proc.pid)))
            for kid in children(proc.pid):
                if command_of(kid) != "tracker":
                    kids.setdefault(kid, []).append(rss_mb(kid))
            now = " ".join(f"{v[-1]:.1f}" for v in kids.values() if v[-1] > 0)
            print(f"{samples[-1][0]:7.0f}s processed {n:7d}  rss {samples[-1][2]:6.1f} MB"
                  f"  children {now or '-'}", flush=True)
            if n >= total or proc.poll() is not None:
                heavy = heavy_libraries(proc.pid)
                break
            time.sleep(args.sample)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    elapsed, done, _ = samples[-1]
    warm = [s for s in samples if s[1] > 0]
    first = warm[0] if warm else samples[0]
    rates = (done - first[1]) / max(1e-9, elapsed - first[0])
    rss = [s[2] for s in samples if s[2] > 50]  # skip samples before the interpreter ran
    tenth = max(1, len(samples) // 10)
    table = ["| elapsed (s) | processed | RSS (MB) |", "|---:|---:|---:|"]
    for s in [*samples[::tenth], samples[-1]]:
        table.append(f"| {s[0]:.0f} | {s[1]:,} | {s[2]:.1f} |")
    after_first_batch = [s[2] for s in samples if s[1] >= min(total, 2000) and s[2] > 0]
    kid_lines = [f"  - process {pid}: start {v[0]:.1f} MB, max {max(v):.1f} MB, "
                 f"end {v[-1]:.1f} MB" for pid, v in kids.items() if v and max(v) > 0]
    kid_text = ("- worker and parse processes (RSS each):\n" + "\n".join(kid_lines)
                if kid_lines else "- no worker or parse processes")
    body = f"""
`bench/soak.py --messages {total} --mailboxes {args.mailboxes} --workers {args.workers}`:
{total:,} messages moved at once into {args.mailboxes} Maildirs of an idle `triage run` daemon on
SQLite (batch 200, real model, `workers = {args.workers}`),
resident memory sampled every {args.sample:.0f} s from /proc. Run on
{time.strftime('%Y-%m-%d')}; machine: {machine()}. The machine was shared with
other jobs during the run, so throughput is a lower bound.

- idle after start-up ({args.idle:.0f} s, empty Maildirs): daemon {idle:.1f} MB; worker and
  parse processes: {", ".join(f"{k:.1f}" for k in idle_kids) or "none"} MB
- processed: {done:,} of {total:,} in {elapsed:.0f} s ({rates:.0f} messages/s after start-up)
- RSS: start {rss[0] if rss else 0:.1f} MB, min {min(rss) if rss else 0:.1f} MB, max
  {max(rss) if rss else 0:.1f} MB, end {rss[-1] if rss else 0:.1f} MB; after the first 2,000
  messages it moved between {min(after_first_batch or [0]):.1f} and
  {max(after_first_batch or [0]):.1f} MB
- native libraries of scikit-learn/scipy/lingua in the daemon at the end:
  {", ".join(heavy) or "none"}; MALLOC_ARENA_MAX={os.environ.get("MALLOC_ARENA_MAX", "unset")}
  (`ops.malloc_arenas` applies its default of 2 in the daemon and its workers)
{kid_text}
- load average at the end: {" ".join(f"{x:.2f}" for x in os.getloadavg())}

{chr(10).join(table)}
"""
    title = f"Soak: {total:,} messages, memory over time"
    if args.workers:
        title = f"Soak: {total:,} messages with {args.workers} worker(s), memory over time"
    write_section(title, body)
    print(body)


if __name__ == "__main__":
    main()
