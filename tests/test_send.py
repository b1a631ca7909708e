"""Sending: the SMTP sender against aiosmtpd (plain+AUTH, STARTTLS, SSL), and the outbox
(idempotency, retries with backoff, permanent failures, deadline met, audit)."""

from __future__ import annotations

import ssl
import subprocess
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select, update

from tests.fixtures_web import Sink, free_port
from triage.backoff import backoff_delay, no_jitter
from triage.config import settings_from_mapping
from triage.errors import MissingSecretError, PermanentSendError, SendError
from triage.mail.threads import assign_threads
from triage.models import OutgoingReply
from triage.send.factory import build_senders
from triage.send.log import LogSender
from triage.send.outbox import Outbox, idempotency_key
from triage.send.smtp import SmtpSender, message_id_for
from triage.store import schema as s


def reply(key: str = "m1-d1", message_id: int = 1) -> OutgoingReply:
    return OutgoingReply(idempotency_key=key, message_id=message_id, channel="email",
                         to="ann@example.com", subject="Re: Order late [#T-7]",
                         text="We are on it.", in_reply_to="<m1@example.com>",
                         references=["<m0@example.com>"])


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(d / "k.pem"), "-out", str(d / "c.pem")],
                   check=True, capture_output=True)
    return d / "c.pem", d / "k.pem"


def test_plain_smtp_with_auth_sends_threaded_reply() -> None:
    sink = Sink()
    logins: list[tuple[bytes, bytes]] = []

    def auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        logins.append((data.login, data.password))
        ok = data.login == b"bot" and data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)

    port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port, authenticator=auth,
                     auth_require_tls=False)
    ctl.start()
    try:
        sender = SmtpSender(host="127.0.0.1", port=port, tls="none",
                            from_address="support@example.com", from_name="Support",
                            username="bot", password="s3cret")
        copies: list[bytes] = []
        sender.on_sent = lambda r, raw: copies.append(raw)
        mid = sender.send(reply())
        bad = SmtpSender(host="127.0.0.1", port=port, tls="none",
                         from_address="support@example.com", username="bot", password="no")
        with pytest.raises(PermanentSendError, match="refused the login"):
            bad.send(reply("m1-d2"))
    finally:
        ctl.stop()
    assert logins[0] == (b"bot", b"s3cret")
    assert len(sink.messages) == 1
    assert len(copies) == 1 and b"We are on it." in copies[0]
    m = sink.parsed()
    assert m["Message-ID"] == mid == message_id_for("m1-d1", "support@example.com")
    assert m["From"] == "Support <support@example.com>"
    assert m["In-Reply-To"] == "<m1@example.com>"
    assert m["References"] == "<m0@example.com> <m1@example.com>"
    assert m["Subject"] == "Re: Order late [#T-7]"


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_modes(mode: str, tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    sink = Sink()
    port = free_port()
    kw: dict[str, Any] = ({"tls_context": server_ctx, "require_starttls": True}
                          if mode == "starttls" else {"ssl_context": server_ctx})
    ctl = Controller(sink, hostname="127.0.0.1", port=port, **kw)
    ctl.start()
    try:
        SmtpSender(host="127.0.0.1", port=port, tls=mode,  # type: ignore[arg-type]
                   from_address="support@example.com", ssl_context=client_ctx).send(reply())
        # an untrusted certificate is refused (retryable: the admin may fix the CA)
        with pytest.raises(SendError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            SmtpSender(host="127.0.0.1", port=port, tls=mode,  # type: ignore[arg-type]
                       from_address="support@example.com").send(reply("k2"))
    finally:
        ctl.stop()
    assert len(sink.messages) == 1
    assert message_from_bytes(sink.messages[0][2], policy=policy.default)["To"] == \
        "ann@example.com"


class FlakyHandler(Sink):
    """A real SMTP server that answers 451 (try later) to the first ``fail`` deliveries."""

    def __init__(self, fail: int, code: str = "451 4.3.0 try later") -> None:
        super().__init__()
        self.fail, self.code = fail, code

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail > 0:
            self.fail -= 1
            return self.code
        return await super().handle_DATA(server, session, envelope)


def _first_message(app: Any) -> dict[str, Any]:
    with app.store.engine.connect() as c:
        mid = c.execute(select(s.messages.c.id).order_by(s.messages.c.id).limit(1)).scalar_one()
    return app.store.message(mid)


def _outbox(app: Any, handler: Sink, **kw: Any) -> tuple[Outbox, Controller]:
    port = free_port()
    ctl = Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    sender = SmtpSender(host="127.0.0.1", port=port, tls="none",
                        from_address="support@example.com")
    return Outbox(app.store, {"email": sender}, **kw), ctl


def test_outbox_retries_with_backoff_then_sends_once(seeded: Any) -> None:
    app = seeded
    msg = _first_message(app)
    handler = FlakyHandler(fail=2)
    box, ctl = _outbox(app, handler, retry_base=timedelta(seconds=30),
                       retry_max=timedelta(minutes=5))
    try:
        r = reply(idempotency_key(msg["id"], 1), msg["id"])
        oid = box.enqueue(r, draft_id=None, actor="ann")
        assert box.enqueue(r, draft_id=None, actor="ann") == oid  # same key, same row
        first = box.drain()
        assert (first.sent, first.retried) == (0, 1)
        assert box.drain().retried == 0  # not due yet: backoff holds it
        app.clock.advance(timedelta(seconds=30))
        assert box.drain().retried == 1
        app.clock.advance(timedelta(seconds=59))
        assert box.drain().sent == 0  # second wait is 60 s
        app.clock.advance(timedelta(seconds=1))
        assert box.drain().sent == 1
        app.clock.advance(timedelta(hours=1))
        assert box.drain().sent == 0
    finally:
        ctl.stop()
    assert len(handler.messages) == 1
    row = box.rows()[0]
    assert (row["status"], row["attempts"]) == ("sent", 3)
    with app.store.engine.connect() as c:
        assert c.execute(select(s.deadlines.c.state).where(
            s.deadlines.c.message_id == msg["id"])).scalar_one() == "met"
        actions = [a for (a,) in c.execute(select(s.audit_log.c.action).where(
            s.audit_log.c.message_id == msg["id"]))]
    assert actions.count("send_failed") == 2 and actions.count("send") == 1


def test_outbox_permanent_failure_and_attempt_limit(seeded: Any) -> None:
    app = seeded
    msg = _first_message(app)
    handler = FlakyHandler(fail=99, code="550 5.1.1 no such user")
    box, ctl = _outbox(app, handler)
    try:
        box.enqueue(reply("perm", msg["id"]), draft_id=None, actor="ann")
        assert box.drain().failed == 1
    finally:
        ctl.stop()
    row = box.rows()[0]
    assert row["status"] == "failed" and "550" in row["last_error"] and row["attempts"] == 1
    handler2 = FlakyHandler(fail=99)
    box2, ctl2 = _outbox(app, handler2, max_attempts=2, retry_base=timedelta(seconds=1))
    try:
        box2.enqueue(reply("temp", msg["id"]), draft_id=None, actor="ann")
        box2.drain()
        app.clock.advance(timedelta(seconds=5))
        assert box2.drain().failed == 1
    finally:
        ctl2.stop()
    assert [r["status"] for r in box2.rows("failed")] == ["failed", "failed"]


def test_row_left_sending_by_a_crash_is_never_resent(seeded: Any) -> None:
    app = seeded
    msg = _first_message(app)
    log_sender = LogSender()
    box = Outbox(app.store, {"email": log_sender})
    oid = box.enqueue(reply("crash", msg["id"]), draft_id=None, actor="ann")
    with app.store.engine.begin() as c:  # as if the process died after claiming it
        c.execute(update(s.outbox).where(s.outbox.c.id == oid).values(status="sending"))
    assert box.drain().sent == 0 and log_sender.sent == []


def test_no_sender_for_channel_fails_clearly(seeded: Any) -> None:
    msg = _first_message(seeded)
    box = Outbox(seeded.store, {})
    box.enqueue(reply("social", msg["id"]), draft_id=None, actor="ann")
    stats = box.drain()
    assert stats.failed == 1 and "no sender for channel 'email'" in stats.errors[0]


def test_build_senders_from_settings() -> None:
    settings = settings_from_mapping({"send": {"email": "smtp", "smtp": {
        "host": "mail.example.com", "port": 587, "username": "bot",
        "password_env": "SMTP_PW"}}})
    with pytest.raises(MissingSecretError, match="SMTP_PW"):
        build_senders(settings, {})
    sender = build_senders(settings, {"SMTP_PW": "x"})["email"]
    assert isinstance(sender, SmtpSender) and sender.tls == "starttls"
    assert isinstance(build_senders(settings_from_mapping({}), {})["email"], LogSender)


def test_retry_delay_doubles_and_caps() -> None:
    base, cap = timedelta(seconds=30), timedelta(minutes=2)
    assert [backoff_delay(n, base, cap, no_jitter).total_seconds() for n in (1, 2, 3, 4)] == \
        [30, 60, 120, 120]


def test_accounts_and_outbox_on_postgresql(postgres_url: str, clock: Any) -> None:
    """Migration 0005 and every query of accounts and the outbox work on PostgreSQL too."""
    from triage.store import Ingest, Store
    from triage.web.accounts import add_user, authenticate, list_users

    store = Store.open(postgres_url, clock)
    try:
        store.ensure_source("pg", "maildir")
        [mid] = store.add_items("pg", [Ingest("1", b"x", None, error="test row")], {},
                               threader=assign_threads)
        add_user(store, "ann", "long-password-1", "agent")
        assert authenticate(store, "ann", "long-password-1").role == "agent"
        assert [u.name for u in list_users(store)] == ["ann"]
        sender = LogSender()
        box = Outbox(store, {"email": sender})
        box.enqueue(reply("pg-1", mid), draft_id=None, actor="ann")
        box.enqueue(reply("pg-1", mid), draft_id=None, actor="ann")
        assert box.drain().sent == 1 and box.drain().sent == 0
        assert [r.idempotency_key for r in sender.sent] == ["pg-1"]
    finally:
        store.close()


def test_names_and_subjects_with_line_breaks_are_folded_never_injected() -> None:
    """Decoded CR/LF, U+2028, U+2029 and NEL in a display name or an approved subject would
    make the email module raise (and the row retry forever) or add a header of their own."""
    sink = Sink()
    port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        sender = SmtpSender(host="127.0.0.1", port=port, tls="none",
                            from_address="support@example.com", from_name="Support\r\nTeam")
        r = OutgoingReply(idempotency_key="inj-1", message_id=1, channel="email",
                          to="Ann\u2028Bcc: evil@example.org <ann@example.com>",
                          subject="Re: refund\r\nBcc: evil@example.org\u2029now\x85ok",
                          text="We are on it.", in_reply_to="<m1@example.com>\r\nX-Evil: 1")
        sender.send(r)
    finally:
        ctl.stop()
    assert len(sink.messages) == 1
    _, rcpt, _ = sink.messages[0]
    assert rcpt == ["ann@example.com"]
    m = sink.parsed()
    assert m["Subject"] == "Re: refund Bcc: evil@example.org now ok"
    assert m["Bcc"] is None and m["X-Evil"] is None
    assert m["From"] == "Support Team <support@example.com>"
    assert "ann@example.com" in m["To"] and "\n" not in m["To"]


def test_a_reply_that_cannot_be_built_fails_permanently_with_its_reason(seeded: Any) -> None:
    app = seeded
    msg = _first_message(app)
    box, ctl = _outbox(app, Sink())
    try:
        box.enqueue(OutgoingReply(idempotency_key="noaddr", message_id=msg["id"],
                                  channel="email", to="Ann Lee\r\n", subject="Re: hi",
                                  text="Hello"), draft_id=None, actor="ann")
        stats = box.drain()
    finally:
        ctl.stop()
    row = box.rows()[0]
    assert stats.failed == 1 and row["status"] == "failed" and row["attempts"] == 1
    assert "is not an e-mail address" in row["last_error"]
