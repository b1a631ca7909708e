"""Deadline notices: exactly one webhook per threshold per message (also across restarts),
retries with backoff, the Slack body, and the lead's e-mail digest over real SMTP."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

from tests.conftest import add_to_maildir
from tests.fixtures_deadlines import Receiver, Sink
from tests.test_deadlines import mail
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.services import App

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def make_app(tmp_path: Path, model_path: Path, clock: FrozenClock, maildir: Path,
             notifications: dict[str, Any], environ: dict[str, str] | None = None) -> App:
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"),
        "classifier": {"model_path": str(model_path)},
        "deadlines": {"email": "24h", "warnings": {"email": ["3h", "1h"]}},
        "notifications": notifications,
        "sources": [{"name": "inbox", "type": "maildir", "path": str(maildir)}],
    })
    return App(settings, clock=clock, environ=environ or {})


def seed(app: App, maildir: Path, clock: FrozenClock, n: int = 2) -> list[int]:
    for i in range(n):
        add_to_maildir(maildir, mail(T0, f"<n{i}@x>", sender=f"c{i}@example.com",
                                     subject=f"Order {i} late"))
    clock.set(T0 + timedelta(minutes=1))
    Daemon(app).poll_all()
    return [r["id"] for r in app.store.export_rows()]


def test_exactly_one_webhook_per_threshold_per_message_even_after_restart(
        tmp_path: Path, model_path: Path, clock: FrozenClock, maildir: Path,
        webhook_receiver: Receiver) -> None:
    env = {"HOOK_URL": webhook_receiver.url}
    cfg = {"webhook_url_env": "HOOK_URL"}
    app = make_app(tmp_path, model_path, clock, maildir, cfg, env)
    ids = seed(app, maildir, clock)
    for hours in (20, 21.5, 21.6, 22, 23.5, 23.9):
        clock.set(T0 + timedelta(hours=hours))
        Daemon(app).sweep_deadlines()
    app.store.close()
    # a restart: a new process on the same store must not send anything again
    app = make_app(tmp_path, model_path, clock, maildir, cfg, env)
    Daemon(app).sweep_deadlines()
    for hours in (24.5, 30):
        clock.set(T0 + timedelta(hours=hours))
        Daemon(app).sweep_deadlines()
    got = Counter((b["message_id"], b["threshold"]) for b in webhook_receiver.bodies)
    assert got == Counter({(i, t): 1 for i in ids for t in ("3h", "1h", "breached")})
    first = webhook_receiver.bodies[0]
    assert first["event"] == "deadline.warning" and first["channel"] == "email"
    assert first["due_at"] == "2026-11-24T02:00:00Z" and first["subject"].startswith("Order")
    assert webhook_receiver.bodies[-1]["event"] == "deadline.breached"
    keys = [h["Idempotency-Key"] for h in webhook_receiver.headers]
    assert len(set(keys)) == len(keys) == 6
    assert {n["status"] for n in app.sweeper.dstore.notices()} == {"sent"}
    app.store.close()


def test_retries_with_backoff_then_delivers_once(tmp_path: Path, model_path: Path,
                                                 clock: FrozenClock, maildir: Path,
                                                 webhook_receiver: Receiver) -> None:
    app = make_app(tmp_path, model_path, clock, maildir,
                   {"webhook_url_env": "H", "webhook_format": "slack", "retry": {"base": "1m"}},
                   {"H": webhook_receiver.url})
    seed(app, maildir, clock, n=1)
    webhook_receiver.fail_next = 2
    clock.set(T0 + timedelta(hours=21, minutes=30))
    Daemon(app).sweep_deadlines()  # attempt 1: HTTP 500
    (n,) = app.sweeper.dstore.notices()
    assert n["status"] == "pending" and n["attempts"] == 1
    assert n["next_attempt_at"] == clock.now() + timedelta(minutes=1)
    Daemon(app).sweep_deadlines()  # not due yet: no attempt
    assert app.sweeper.dstore.notices()[0]["attempts"] == 1
    clock.advance(timedelta(minutes=1))
    Daemon(app).sweep_deadlines()  # attempt 2: HTTP 500, next in 2 min
    assert app.sweeper.dstore.notices()[0]["next_attempt_at"] == clock.now() + timedelta(
        minutes=2)
    clock.advance(timedelta(minutes=2))
    Daemon(app).sweep_deadlines()  # attempt 3: delivered
    clock.advance(timedelta(minutes=5))
    Daemon(app).sweep_deadlines()
    (body,) = webhook_receiver.bodies
    assert "due in 3h" in body["text"] and body["blocks"][0]["type"] == "section"
    n = app.sweeper.dstore.notices()[0]
    assert n["status"] == "sent" and n["attempts"] == 3
    app.store.close()


def test_gives_up_after_max_attempts(tmp_path: Path, model_path: Path, clock: FrozenClock,
                                     maildir: Path) -> None:
    app = make_app(tmp_path, model_path, clock, maildir,
                   {"webhook_url_env": "H", "retry": {"max_attempts": 2, "base": "1m"}},
                   {"H": "http://127.0.0.1:9/refused"})
    seed(app, maildir, clock, n=1)
    clock.set(T0 + timedelta(hours=22))
    Daemon(app).sweep_deadlines()
    clock.advance(timedelta(minutes=1))
    Daemon(app).sweep_deadlines()
    (n,) = app.sweeper.dstore.notices()
    assert n["status"] == "failed" and n["attempts"] == 2 and "unreachable" in n["last_error"]
    app.store.close()


def test_late_sweep_notifies_only_the_most_advanced_threshold(
        tmp_path: Path, model_path: Path, clock: FrozenClock, maildir: Path,
        webhook_receiver: Receiver) -> None:
    app = make_app(tmp_path, model_path, clock, maildir, {"webhook_url_env": "H"},
                   {"H": webhook_receiver.url})
    seed(app, maildir, clock, n=1)
    clock.set(T0 + timedelta(hours=26))  # the daemon was down through both warnings
    assert Daemon(app).sweep_deadlines() == {"breached": 1}
    assert [b["threshold"] for b in webhook_receiver.bodies] == ["breached"]
    (row,) = app.sweeper.dstore.open_deadlines()
    assert row["warnings_sent"] == ["3h", "1h", "breached"]
    app.store.close()


def test_lead_gets_a_digest_over_smtp(tmp_path: Path, model_path: Path, clock: FrozenClock,
                                      maildir: Path, smtp_sink: Sink) -> None:
    app = make_app(tmp_path, model_path, clock, maildir, {
        "email_to": ["lead@example.com"], "email_from": "triage@example.com",
        "smtp": {"host": smtp_sink.host, "port": smtp_sink.port, "tls": "none"},
        "digest_interval": "15m"})
    seed(app, maildir, clock)
    clock.set(T0 + timedelta(hours=21, minutes=30))
    Daemon(app).sweep_deadlines()
    assert len(smtp_sink.messages) == 1
    frm, rcpt, raw = smtp_sink.messages[0]
    msg = message_from_bytes(raw)
    assert frm == "triage@example.com" and rcpt == ["lead@example.com"]
    assert msg["Subject"] == "[triage] 0 breached, 2 due soon"
    assert msg["Auto-Submitted"] == "auto-generated"
    body = msg.get_payload(decode=True).decode()
    assert "Order 0 late" in body and "Order 1 late" in body
    clock.advance(timedelta(minutes=5))
    Daemon(app).sweep_deadlines()
    assert len(smtp_sink.messages) == 1  # nothing new
    clock.set(T0 + timedelta(hours=24, minutes=30))
    Daemon(app).sweep_deadlines()
    assert len(smtp_sink.messages) == 2
    last = message_from_bytes(smtp_sink.messages[1][2])
    assert last["Subject"] == "[triage] 2 breached, 0 due soon"
    app.store.close()


def test_answered_messages_get_no_warnings(tmp_path: Path, model_path: Path,
                                           clock: FrozenClock, maildir: Path,
                                           webhook_receiver: Receiver) -> None:
    app = make_app(tmp_path, model_path, clock, maildir, {"webhook_url_env": "H"},
                   {"H": webhook_receiver.url})
    ids = seed(app, maildir, clock)
    app.store.mark_met(ids[0])
    clock.set(T0 + timedelta(hours=22))
    Daemon(app).sweep_deadlines()
    assert [b["message_id"] for b in webhook_receiver.bodies] == [ids[1]]
    app.store.close()


def test_sweep_reads_a_deadline_only_when_its_next_check_is_due(
        tmp_path: Path, model_path: Path, clock: FrozenClock, maildir: Path,
        webhook_receiver: Receiver) -> None:
    app = make_app(tmp_path, model_path, clock, maildir, {"webhook_url_env": "H"},
                   {"H": webhook_receiver.url})
    seed(app, maildir, clock, n=3)
    dstore = app.sweeper.dstore
    app.sweeper.page = 2  # the sweep reads open deadlines in pages: two pages here
    Daemon(app).sweep_deadlines()
    assert len(dstore.open_deadlines()) == 3
    assert dstore.open_deadlines(due_by=clock.now()) == []  # nothing to look at until 21h
    (planned,) = {r["next_check_at"] for r in dstore.open_deadlines()}
    assert planned == T0 + timedelta(hours=21) - timedelta(seconds=1)  # the "3h" warning
    clock.set(T0 + timedelta(hours=20, minutes=59))
    Daemon(app).sweep_deadlines()
    assert webhook_receiver.bodies == []
    clock.set(T0 + timedelta(hours=21))
    Daemon(app).sweep_deadlines()
    assert [b["threshold"] for b in webhook_receiver.bodies] == ["3h"] * 3
    clock.set(T0 + timedelta(hours=25))
    Daemon(app).sweep_deadlines()
    assert dstore.open_deadlines(due_by=clock.now() + timedelta(days=365)) == []  # breached
    assert {r["state"] for r in dstore.open_deadlines()} == {"breached"}
    app.store.close()


def test_sweep_stops_between_pages_on_shutdown_and_logs_one_summary(
        tmp_path: Path, model_path: Path, clock: FrozenClock, maildir: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    app = make_app(tmp_path, model_path, clock, maildir, {})
    seed(app, maildir, clock, n=3)
    clock.set(T0 + timedelta(hours=30))  # all three breached
    app.sweeper.page = 1
    app.stop.set()  # SIGTERM arrived: the sweep ends after its current page
    assert Daemon(app).sweep_deadlines() == {"breached": 1}
    app.stop.clear()
    caplog.set_level(logging.INFO, logger="triage.deadlines.sweep")
    caplog.clear()
    assert Daemon(app).sweep_deadlines() == {"breached": 2}
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["deadlines: 2 newly breached, 0 now due soon"]
    assert {r["state"] for r in app.sweeper.dstore.open_deadlines()} == {"breached"}
    app.store.close()
