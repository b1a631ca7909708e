"""Automatic acknowledgements: opt-in, never to automatic mail, once per thread, capped per
sender, never during a backfill, every decision in the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import add_to_maildir, make_email
from triage.clock import FrozenClock
from triage.config import AckRuleSettings, settings_from_mapping
from triage.daemon import Daemon
from triage.drafting.acks import Acknowledger, LogOnlySender
from triage.drafting.within import humanize
from triage.errors import ConfigError, SendError
from triage.models import Classification, OutgoingReply, RawItem
from triage.services import App
from triage.store import schema as s

CRASH = "The app crashes with error 500 when I log in."


def make_app(tmp_path: Path, maildir: Path, model_path: Path, clock: FrozenClock,
             sender: Any, *, config: dict[str, Any] | None = None, **rule: Any) -> App:
    """An app with one acknowledgement rule (``rule`` over a technical_issue rule) and
    ``config``'s other settings, acknowledging through ``sender``."""
    rule = {"name": "tech", "enabled": True, "category": "technical_issue", **rule}
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"),
        "classifier": {"model_path": str(model_path)},
        "sources": [{"name": "inbox", "type": "maildir", "path": str(maildir)}],
        "acknowledgements": [rule], **(config or {}),
    })
    app = App(settings, clock=clock, environ={})
    # the acknowledger sends through the test's sender instead of the outbox
    rules = [r for r in settings.acknowledgements if r.enabled]
    if rules:
        app.acknowledger = Acknowledger(app.store, sender, rules, app.deadlines, clock,
                                        team=settings.drafting.team_name, renderer=app.renderer)
    return app


def audit(app: App) -> list[tuple[str, dict]]:
    with app.store.engine.connect() as c:
        rows = c.execute(select(s.audit_log.c.action, s.audit_log.c.detail)
                         .where(s.audit_log.c.actor == "auto-ack").order_by(s.audit_log.c.id))
        return [(r[0], r[1]) for r in rows]


@pytest.fixture
def sender() -> LogOnlySender:
    return LogOnlySender()


def test_ack_sent_once_per_thread_with_reference_and_deadline(
        tmp_path: Path, maildir: Path, model_path: Path, clock: FrozenClock,
        sender: LogOnlySender) -> None:
    app = make_app(tmp_path, maildir, model_path, clock, sender)
    add_to_maildir(maildir, make_email(msgid="<o@x>", subject="Login broken", body=CRASH))
    Daemon(app).poll_all()
    (reply,) = sender.sent
    (row,) = app.store.export_rows()
    assert reply.to == "ann@example.com" and reply.in_reply_to == "<o@x>"
    assert reply.subject == f"Re: Login broken [#T-{row['thread_id']}]"
    assert f"reference number is T-{row['thread_id']}." in reply.text
    assert "within 24 hours" in reply.text and reply.text.startswith("Hi Ann,\n\n")
    # an English message: the default's en text, signed with team_name's en entry
    assert reply.text.rstrip().endswith("\n\nBest regards,\nCustomer Support"), reply.text
    assert reply.extra == {"kind": "acknowledgement", "language": "en"}
    assert audit(app) == [("ack_sent", {"rule": "tech", "to": "ann@example.com",
                                        "reference": f"T-{row['thread_id']}"})]
    # a follow-up in the same thread is not acknowledged again
    add_to_maildir(maildir, make_email(msgid="<r@x>", subject="Re: Login broken", body=CRASH,
                                       In_Reply_To="<o@x>", References="<o@x>"))
    Daemon(app).poll_all()
    assert len(sender.sent) == 1
    assert audit(app)[-1] == ("ack_skipped", {"rule": "tech",
                                              "reason": "thread already acknowledged"})


def test_cap_per_sender_per_day(tmp_path: Path, maildir: Path, model_path: Path,
                                clock: FrozenClock, sender: LogOnlySender) -> None:
    app = make_app(tmp_path, maildir, model_path, clock, sender, max_per_sender_per_day=2)
    for i in range(3):
        add_to_maildir(maildir, make_email(msgid=f"<{i}@x>", subject=f"Problem {i}",
                                           body=f"{CRASH} Case {i}."))
    Daemon(app).poll_all()
    assert len(sender.sent) == 2
    assert audit(app)[-1][1]["reason"].startswith("sender cap reached (2 in 24 hours)")
    # a day later the same sender may be acknowledged again
    from datetime import timedelta

    clock.advance(timedelta(days=1, minutes=1))
    add_to_maildir(maildir, make_email(msgid="<3@x>", subject="Problem 3", body=CRASH))
    Daemon(app).poll_all()
    assert len(sender.sent) == 3


def test_never_to_automatic_mail_or_backfill(tmp_path: Path, maildir: Path, model_path: Path,
                                             clock: FrozenClock, sender: LogOnlySender) -> None:
    app = make_app(tmp_path, maildir, model_path, clock, sender)
    add_to_maildir(maildir, make_email(msgid="<auto@x>", subject="Out of office", body=CRASH,
                                       Auto_Submitted="auto-replied"))
    Daemon(app).poll_all()
    app.pipeline.import_items("archive", [RawItem("old-1", make_email(
        msgid="<old@x>", subject="Old", body=CRASH, sender="bob@example.org"))])
    assert sender.sent == []
    assert [d["reason"] for _, d in audit(app)] == ["backfill"]
    # the acknowledger itself refuses automatic mail even with a matching classification
    ack = app.acknowledger
    cl = Classification("technical_issue", 0.9, "en", "v", False)
    row = {"id": 1, "channel": "email", "is_auto": True, "auto_reason": "Auto-Submitted",
           "sender": "x@y", "thread_id": 1}
    assert ack.consider(row, cl).startswith("automatic message")


def test_disabled_rule_and_other_categories_send_nothing(
        tmp_path: Path, maildir: Path, model_path: Path, clock: FrozenClock,
        sender: LogOnlySender) -> None:
    app = make_app(tmp_path, maildir, model_path, clock, sender, enabled=False)
    add_to_maildir(maildir, make_email(body=CRASH))
    Daemon(app).poll_all()
    assert app.acknowledger is None and sender.sent == [] and audit(app) == []
    app2 = make_app(tmp_path / "b", maildir, model_path, clock, sender, category="suggestion")
    Daemon(app2).poll_all()
    assert sender.sent == [] and audit(app2) == []


def test_failed_send_is_audited_and_not_retried(tmp_path: Path, maildir: Path,
                                                model_path: Path, clock: FrozenClock) -> None:
    class Down:
        calls = 0

        def send(self, reply: OutgoingReply) -> str:
            Down.calls += 1
            raise SendError("SMTP server 127.0.0.1:1 refused the connection")

    app = make_app(tmp_path, maildir, model_path, clock, Down())
    add_to_maildir(maildir, make_email(body=CRASH))
    Daemon(app).poll_all()
    Daemon(app).poll_all()
    assert Down.calls == 1
    assert audit(app)[0][0] == "ack_failed" and "refused" in audit(app)[0][1]["error"]
    with app.store.engine.connect() as c:
        assert c.execute(select(s.acknowledgements.c.status)).scalar() == "failed"
    assert app.store.export_rows()[0]["status"] == "processed"  # the message is unaffected


def test_bad_template_is_a_config_error(tmp_path: Path, clock: FrozenClock) -> None:
    rule = AckRuleSettings(name="r", enabled=True, category="request", text="Hi {{ name ")
    with pytest.raises(ConfigError, match=r"acknowledgements\[0\]\(name='r'\)"):
        Acknowledger(None, LogOnlySender(), [rule], None, clock)  # type: ignore[arg-type]


def test_unknown_category_in_rule_is_rejected() -> None:
    with pytest.raises(ConfigError, match="praise"):
        settings_from_mapping({"acknowledgements": [{"name": "x", "category": "praise"}]})


@pytest.mark.parametrize("secs,text", [(86400, "24 hours"), (3600 * 24 * 2, "2 days"),
                                       (3600, "1 hour"), (8 * 3600, "8 hours"),
                                       (3600 * 36, "36 hours"), (60 * 60 + 60, "61 minutes")])
def test_humanize(secs: int, text: str) -> None:
    from datetime import timedelta

    assert humanize(timedelta(seconds=secs)) == text


def smtp_ack_app(tmp_path: Path, maildir: Path, model_path: Path, clock: FrozenClock,
                 port: int) -> App:
    """An App acknowledging technical issues from a Maildir, sending through the outbox to
    the SMTP server on ``port``: the real wiring, acks -> outbox -> SMTP."""
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"),
        "classifier": {"model_path": str(model_path)},
        "sources": [{"name": "inbox", "type": "maildir", "path": str(maildir)}],
        "send": {"email": "smtp", "smtp": {"host": "127.0.0.1", "port": port, "tls": "none"}},
        "acknowledgements": [{"name": "tech", "enabled": True,
                              "category": "technical_issue"}],
    })
    return App(settings, clock=clock, environ={})


def test_ack_goes_out_through_the_outbox_over_smtp_once(
        tmp_path: Path, maildir: Path, model_path: Path, clock: FrozenClock,
        smtp_server_sink: Any) -> None:
    sink, port = smtp_server_sink
    app = smtp_ack_app(tmp_path, maildir, model_path, clock, port)
    add_to_maildir(maildir, make_email(msgid="<o@x>", subject="Login broken", body=CRASH))
    Daemon(app).poll_all()
    app.outbox.drain()
    Daemon(app).poll_all()
    app.outbox.drain()
    assert len(sink.messages) == 1, [(r["status"], r["last_error"]) for r in app.outbox.rows()]
    ack = sink.parsed(0)
    assert ack["To"] == "ann@example.com" and ack["In-Reply-To"] == "<o@x>"
    assert "Login broken" in ack["Subject"]
    (row,) = app.store.export_rows()
    assert row["state"] != "met"  # an automatic acknowledgement is not our first response
