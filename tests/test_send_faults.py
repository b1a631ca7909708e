"""Faults while sending, with real processes: ``triage run`` draining the outbox into a real
SMTP server (aiosmtpd on 127.0.0.1) is killed with SIGKILL at random points many times, then
restarted; and the SMTP server is down for a while under a running daemon.

What must hold: no reply reaches the server twice (counted by Message-ID), every row ends
``sent`` (received exactly once) or ``in_doubt`` (listed for the operator, never resent on its
own), and requeueing the in-doubt rows the server never got sends each exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.fixtures_web import free_port
from tests.test_faults import Db, log_of, start, wait_for
from triage.config import load_settings
from triage.mail.threads import assign_threads
from triage.models import OutgoingReply
from triage.send.outbox import Outbox
from triage.send.smtp import message_id_for
from triage.services import App
from triage.store import Ingest

pytestmark = pytest.mark.slow

SUPPORT = "support@example.com"


class SlowSink:
    """An SMTP handler that records each message's Message-ID on arrival, then waits a
    random moment before answering 250, so that kills land while sends are in flight."""

    def __init__(self, rng: random.Random, max_delay: float) -> None:
        self.rng = rng
        self.max_delay = max_delay
        self.lock = threading.Lock()
        self.ids: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.ids.append(str(msg["Message-ID"]))
            delay = self.rng.random() * self.max_delay
        await asyncio.sleep(delay)
        return "250 OK"

    def counts(self) -> Counter[str]:
        """How often each Message-ID arrived."""
        with self.lock:
            return Counter(self.ids)


def write_config(tmp_path: Path, model_path: Path, smtp_port: int) -> Path:
    cfg = tmp_path / "send.toml"
    cfg.write_text(
        "data_dir = 'data'\n"
        f"[classifier]\nmodel_path = '{model_path}'\n"
        f"[drafting]\nsupport_address = '{SUPPORT}'\n"
        "[ops]\ninstance = 'fault-host'\n"
        "[send]\nemail = 'smtp'\ndrain_interval = '1s'\nin_doubt_after = '1h'\n"
        "[send.retry]\nbase = '1s'\nmax = '2s'\nmax_attempts = 1000\n"
        f"[send.smtp]\nhost = '127.0.0.1'\nport = {smtp_port}\ntls = 'none'\n"
        "timeout = '10s'\n")
    return cfg


def queue_replies(cfg: Path, n: int) -> dict[str, int]:
    """Queue ``n`` approved replies (one per stored message); return {Message-ID: row id}."""
    app = App(load_settings(cfg), environ={})
    store = app.store
    try:
        store.ensure_source("seed", "maildir")
        ids = store.add_items("seed", [Ingest(str(i), b"x", None, error="seeded for sending")
                                       for i in range(n)], {}, threader=assign_threads)
        box = Outbox(store, {})
        out = {}
        for i, mid in enumerate(ids):
            key = f"fault-{i}"
            oid = box.enqueue(OutgoingReply(
                idempotency_key=key, message_id=mid, channel="email",
                to=f"customer{i}@example.net", subject=f"Re: case {i}",
                text=f"Answer number {i}."), draft_id=None, actor="agent")
            out[message_id_for(key, SUPPORT)] = oid
        return out
    finally:
        store.close()


def cli(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from triage.cli.main import main; main()", *args,
                           "--config", str(cfg)], cwd=cfg.parent, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def smtp() -> Iterator[tuple[SlowSink, int]]:
    sink = SlowSink(random.Random(int(os.environ.get("TRIAGE_FAULT_SEED", "9"))), 0.08)
    port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    yield sink, port
    ctl.stop()


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen]]:
    out: list[subprocess.Popen] = []
    yield out
    for p in out:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=30)


def status_of(db: Db) -> dict[int, str]:
    with db.engine.connect() as c:
        from sqlalchemy import text

        return {int(i): str(st) for i, st in c.execute(text("select id, status from outbox"))}


def test_kill_9_while_sending_never_sends_twice_and_in_doubt_rows_are_listed(
        tmp_path: Path, model_path: Path, smtp: tuple[SlowSink, int],
        procs: list[subprocess.Popen]) -> None:
    sink, port = smtp
    cfg = write_config(tmp_path, model_path, port)
    total = 120
    rows = queue_replies(cfg, total)
    db = Db(f"sqlite:///{tmp_path / 'data' / 'triage.db'}")
    rng = random.Random(int(os.environ.get("TRIAGE_FAULT_SEED", "9")))
    kills = 0
    for _ in range(12):
        if db.n("select count(*) from outbox where status in ('pending', 'sending')") == 0:
            break
        before = len(sink.ids)
        proc = start(cfg, "run")
        procs.append(proc)
        target = before + rng.randint(1, 12)
        wait_for(lambda t=target, p=proc: len(sink.ids) >= t or p.poll() is not None or
                 db.n("select count(*) from outbox where status = 'pending'") == 0,
                 what="sending progress")
        assert proc.poll() is None, log_of(cfg)[-3000:]
        # mostly inside a send: the server answers 0-80 ms after the data arrived
        threading.Event().wait(rng.random() * 0.06)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        kills += 1
    assert kills >= 8, "the kills should land while replies remain"
    # the last start marks what the kills interrupted in doubt and sends the rest
    proc = start(cfg, "run")
    procs.append(proc)
    wait_for(lambda: db.n("select count(*) from outbox where status in "
                          "('pending', 'sending')") == 0, what="outbox drained")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0, log_of(cfg)[-3000:]

    received = sink.counts()
    assert max(received.values()) == 1, [m for m, n in received.items() if n > 1]
    assert set(received) <= set(rows)
    status = status_of(db)
    assert len(status) == total and set(status.values()) <= {"sent", "in_doubt"}, \
        Counter(status.values())
    by_row = {oid: mid for mid, oid in rows.items()}
    for oid, st in status.items():
        if st == "sent":
            assert received[by_row[oid]] == 1, f"row {oid} is sent but never arrived"
    in_doubt = sorted(oid for oid, st in status.items() if st == "in_doubt")
    assert in_doubt, "some kills should have hit a send in flight"

    listed = cli(cfg, "outbox", "list", "--status", "in_doubt", "--json")
    assert listed.returncode == 0, listed.stderr
    assert sorted(r["id"] for r in json.loads(listed.stdout)) == in_doubt
    shown = cli(cfg, "status")
    assert f"in_doubt {len(in_doubt)}" in shown.stdout, shown.stdout

    # the operator requeues the in-doubt replies the server never got; they go out once
    missing = [oid for oid in in_doubt if received[by_row[oid]] == 0]
    arrived = [oid for oid in in_doubt if received[by_row[oid]] == 1]
    if missing:
        refused = cli(cfg, "outbox", "requeue", str(missing[0]))
        assert refused.returncode == 1 and "pass --yes" in refused.stderr, refused.stderr
    for oid in missing:
        done = cli(cfg, "outbox", "requeue", str(oid), "--yes")
        assert done.returncode == 0, done.stderr
    for oid in arrived:  # these reached the customer: the operator cancels them
        assert cli(cfg, "outbox", "cancel", str(oid)).returncode == 0
    proc = start(cfg, "run")
    procs.append(proc)
    wait_for(lambda: db.n("select count(*) from outbox where status = 'sent'")
             == total - len(arrived), what="requeued replies sent")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    received = sink.counts()
    assert set(received) == set(rows) and set(received.values()) == {1}
    assert Counter(status_of(db).values()) == Counter(
        {"sent": total - len(arrived), **({"cancelled": len(arrived)} if arrived else {})})
    print(f"kills={kills} in_doubt={len(in_doubt)} (arrived {len(arrived)}, "
          f"missing {len(missing)})")


def test_smtp_down_then_back_drains_the_outbox_once(
        tmp_path: Path, model_path: Path, procs: list[subprocess.Popen]) -> None:
    port = free_port()  # nothing listens there yet
    cfg = write_config(tmp_path, model_path, port)
    total = 30
    rows = queue_replies(cfg, total)
    db = Db(f"sqlite:///{tmp_path / 'data' / 'triage.db'}")
    proc = start(cfg, "run")
    procs.append(proc)
    # every reply failed at least twice while the server was down, and none was given up
    wait_for(lambda: db.n("select count(*) from outbox where attempts >= 2") == total,
             what="retries while the SMTP server is down")
    # (a row may be claimed for its next attempt at this instant: 'sending' is fine)
    assert db.n("select count(*) from outbox where status in ('failed', 'sent', 'in_doubt')") \
        == 0
    sink = SlowSink(random.Random(1), 0.01)
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        wait_for(lambda: db.n("select count(*) from outbox where status = 'sent'") == total,
                 what="outbox drained after the server came back")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log_of(cfg)[-3000:]
    finally:
        ctl.stop()
    received = sink.counts()
    assert set(received) == set(rows) and set(received.values()) == {1}
    assert "Connection refused" in log_of(cfg)
