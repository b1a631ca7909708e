"""Benchmark of the review page: queue and message pages over a large store, and sending.

Seeds a SQLite store with N processed messages (rows written directly: this measures the
page, not the classifier), then times requests through FastAPI's TestClient (in-process, so
no network) and approve -> SMTP delivery through the outbox to a local aiosmtpd server.
Writes the ``## Review page`` section of docs/benchmarks.md.

Run: ``.venv/bin/python bench/web.py [N]``
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import machine
from tests.fixtures_web import Sink, free_port
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.send.outbox import Outbox
from triage.send.smtp import SmtpSender
from triage.services import App
from triage.store import schema as s
from triage.web import create_app
from triage.web.accounts import add_user

CATS = ("complaint", "request", "suggestion", "technical_issue")


def seed(app: App, n: int) -> None:
    now = app.clock.now()
    with app.store.engine.begin() as c:
        for i in range(n):
            t = c.execute(insert(s.threads).values(subject=f"Order {i}", channel="email",
                                                   customer=f"c{i}@example.com",
                                                   created_at=now, last_message_at=now))
            tid = t.inserted_primary_key[0]
            m = c.execute(insert(s.messages).values(
                source="inbox", external_id=str(i), message_id=f"<m{i}@example.com>",
                channel="email", thread_id=tid, received_at=now - timedelta(minutes=i),
                ingested_at=now, sender=f"c{i}@example.com", sender_name=f"Customer {i}",
                recipients=[], subject=f"Order {i} is late", text=f"Where is order {i}?",
                full_text=f"Where is order {i}?", references=[], attachments=[],
                status="processed", raw_sha256=""))
            mid = m.inserted_primary_key[0]
            c.execute(insert(s.classifications).values(
                message_id=mid, category=CATS[i % 4], confidence=0.8, language="en",
                model_version="bench", needs_review=i % 5 == 0, scores={}, created_at=now,
                current=True))
            c.execute(insert(s.deadlines).values(
                message_id=mid, kind="first_response", policy="email/default",
                due_at=now + timedelta(hours=24) - timedelta(minutes=i), state="ok",
                warnings_sent=[]))
            c.execute(insert(s.drafts).values(
                message_id=mid, status="pending_review", subject=f"Re: Order {i} [#T-{tid}]",
                text="Hello,\n\nWe are on it.\n", template="en/request.email.j2",
                language="en", created_at=now, updated_at=now, updated_by="triage"))


def timed(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.95) - 1]


def main(n: int = 5000) -> None:
    tmp = Path(tempfile.mkdtemp())
    settings = settings_from_mapping({"data_dir": str(tmp)})
    app = App(settings, clock=FrozenClock(datetime(2026, 11, 20, 9, tzinfo=UTC)), environ={})
    t0 = time.perf_counter()
    seed(app, n)
    seed_s = time.perf_counter() - t0
    add_user(app.store, "bench", "bench-password-1", "agent")
    sink = Sink()
    port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    outbox = Outbox(app.store, {"email": SmtpSender(host="127.0.0.1", port=port, tls="none",
                                                    from_address="support@example.com")})
    web = create_app(app.web_parts(outbox=outbox), secret_key="x" * 64)
    client = TestClient(web)
    html = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore
    client.post("/login", data={"username": "bench", "password": "bench-password-1",
                                "csrf_token": token})
    token = client.post("/api/login", json={"username": "bench",
                                            "password": "bench-password-1"}).json()[
        "csrf_token"]
    rows = []
    q = timed(lambda: client.get("/queue"), 20)
    rows.append(("GET /queue (first 300 of the open messages)", q))
    f = timed(lambda: client.get("/queue/rows", params={"q": "order 42", "category":
                                                        "request"}), 20)
    rows.append(("GET /queue/rows, search + category filter", f))
    mpage = timed(lambda: client.get("/messages/1"), 20)
    rows.append(("GET /messages/{id}", mpage))
    ids = iter(range(2, 2 + 200))

    def approve() -> None:
        mid = next(ids)
        client.post(f"/api/messages/{mid}/approve", json={"subject": f"Re: {mid}",
                                                          "text": "Sent."},
                    headers={"X-CSRF-Token": token})
    a = timed(approve, 50)
    rows.append(("POST approve -> reply received by SMTP (TestClient runs the send)", a))
    ctl.stop()
    assert len(sink.messages) == 50, len(sink.messages)
    lines = ["## Review page", "",
             f"`bench/web.py` with {n:,} open messages (seeded in {seed_s:.1f} s), "
             "in-process requests through FastAPI's TestClient, 20 runs each (50 for "
             "sending); milliseconds.", "",
             f"Machine: {machine()}.", "",
             "| request | median ms | p95 ms |", "|---|---:|---:|"]
    lines += [f"| {name} | {med:.1f} | {p95:.1f} |" for name, (med, p95) in rows]
    section = "\n".join(lines) + "\n"
    print(section)
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    pattern = re.compile(r"## Review page\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(section.rstrip("\n") + "\n", text) if pattern.search(text) else \
        text.rstrip("\n") + "\n\n" + section
    doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
