"""The one SMTP client against a real aiosmtpd server with TLS: a certificate for another name,
or one the client has no CA for, is refused before the password is sent (STARTTLS and SSL);
with the right CA file and name the login and the mail go through. Also through the settings,
for the reply sender ([send.smtp]) and the deadline digest ([notifications.smtp])."""

from __future__ import annotations

import smtplib
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.fixtures_web import Sink, free_port
from triage.clients.smtp import SmtpClient
from triage.config import load_settings
from triage.deadlines.notify import SmtpMailer, build_notifier, digest_message
from triage.errors import NotifyError, SendError
from triage.models import OutgoingReply
from triage.send.factory import build_senders

USER, PASSWORD = "bot", "s3cret-password"


@dataclass(frozen=True)
class Cert:
    """A self-signed certificate (its own CA) and its key."""

    cert: Path
    key: Path


def _self_signed(d: Path, name: str, san: str) -> Cert:
    cert, key = d / f"{name}.pem", d / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return Cert(cert, key)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Cert]:
    """``right``: issued for 127.0.0.1; ``wrong``: issued for mail.wrong.example."""
    d = tmp_path_factory.mktemp("smtp-tls")
    return {"right": _self_signed(d, "right", "IP:127.0.0.1"),
            "wrong": _self_signed(d, "mail.wrong.example", "DNS:mail.wrong.example")}


@dataclass
class Server:
    """What the server saw: every AUTH attempt (TLS or not) and every message."""

    port: int
    sink: Sink
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)


@contextmanager
def smtp_server(cert: Cert | None, mode: str = "starttls") -> Iterator[Server]:
    """aiosmtpd on 127.0.0.1 offering STARTTLS (or implicit TLS, ``mode='ssl'``) with
    ``cert``, or no TLS at all (``cert=None``). AUTH is accepted without TLS too, so a client
    that fell back to plain text would be seen logging in."""
    server = Server(free_port(), Sink())

    def auth(srv: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        server.logins.append((data.login, data.password))
        ok = (data.login, data.password) == (USER.encode(), PASSWORD.encode())
        return AuthResult(success=ok, handled=False)

    kw: dict[str, Any] = {"authenticator": auth, "auth_require_tls": False}
    if cert is not None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert.cert, cert.key)
        kw["ssl_context" if mode == "ssl" else "tls_context"] = ctx
    ctl = Controller(server.sink, hostname="127.0.0.1", port=server.port, **kw)
    ctl.start()
    try:
        yield server
    finally:
        ctl.stop()


def message(subject: str = "hello") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "triage@example.com", "lead@example.com", subject
    msg.set_content("body")
    return msg


def client(port: int, mode: str, ca_file: Path | None) -> SmtpClient:
    return SmtpClient("127.0.0.1", port, tls=mode, username=USER,  # type: ignore[arg-type]
                      password=PASSWORD, timeout=10, ca_file=ca_file)


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_a_certificate_for_another_name_is_refused_before_the_password(
        certs: dict[str, Cert], mode: str) -> None:
    # the CA file trusts the server's certificate: only the name is wrong
    with smtp_server(certs["wrong"], mode) as server, \
            pytest.raises(ssl.SSLCertVerificationError, match=r"mismatch|match"):
        client(server.port, mode, certs["wrong"].cert).send(message())
    assert server.logins == [] and server.sink.messages == []


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_an_unknown_ca_is_refused_before_the_password(certs: dict[str, Cert],
                                                      mode: str) -> None:
    # the right name, but no ca_file: the system CAs do not know a self-signed certificate
    with smtp_server(certs["right"], mode) as server, \
            pytest.raises(ssl.SSLCertVerificationError, match=r"self.signed|unable to get"):
        client(server.port, mode, None).send(message())
    assert server.logins == [] and server.sink.messages == []


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_the_right_ca_file_and_name_log_in_and_send(certs: dict[str, Cert], mode: str) -> None:
    with smtp_server(certs["right"], mode) as server:
        client(server.port, mode, certs["right"].cert).send(message("over TLS"))
    assert server.logins == [(USER.encode(), PASSWORD.encode())]
    assert len(server.sink.messages) == 1 and b"over TLS" in server.sink.messages[0][2]


def test_starttls_not_offered_is_refused_not_skipped() -> None:
    with smtp_server(None) as server, \
            pytest.raises(smtplib.SMTPNotSupportedError, match="STARTTLS"):
        client(server.port, "starttls", None).send(message())
    assert server.logins == [] and server.sink.messages == []


def _config(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "triage.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_digest_settings_verify_the_certificate(tmp_path: Path, certs: dict[str, Cert]) -> None:
    """[notifications.smtp] with a ca_file relative to the config file, through the notifier
    the composition root builds."""
    (tmp_path / "ca").mkdir()
    for name, c in certs.items():
        (tmp_path / "ca" / f"{name}.pem").write_bytes(c.cert.read_bytes())
    env = {"SMTP_PW": PASSWORD}
    for name, expect_ok in (("wrong", False), ("right", True)):
        with smtp_server(certs[name]) as server:
            settings = load_settings(_config(tmp_path, (
                "[notifications]\nemail_to = ['lead@example.com']\n"
                f"[notifications.smtp]\nhost = '127.0.0.1'\nport = {server.port}\n"
                f"tls = 'starttls'\nca_file = 'ca/{name}.pem'\nusername = '{USER}'\n"
                "password_env = 'SMTP_PW'\n")), env)
            # the notifier's store is not used to build or use its mailer
            notifier = build_notifier(None, None, settings.notifications, env,  # type: ignore[arg-type]
                                      resolve=settings.resolve_path)
            assert isinstance(notifier.mailer, SmtpMailer)
            digest = digest_message([], "triage@example.com", ["lead@example.com"],
                                    datetime(2026, 1, 1, tzinfo=UTC))
            if expect_ok:
                notifier.mailer.send(digest)
            else:
                with pytest.raises(NotifyError, match=r"SMTP 127\.0\.0\.1:.*certificate") as e:
                    notifier.mailer.send(digest)
                assert PASSWORD not in str(e.value)
        assert len(server.logins) == int(expect_ok)
        assert len(server.sink.messages) == int(expect_ok)


def test_reply_sender_settings_verify_the_certificate(tmp_path: Path,
                                                      certs: dict[str, Cert]) -> None:
    reply = OutgoingReply(idempotency_key="m1-d1", message_id=1, channel="email",
                          to="ann@example.com", subject="Re: late", text="On it.",
                          in_reply_to="<m1@example.com>", references=[])
    env = {"SMTP_PW": PASSWORD}
    for name, expect_ok in (("wrong", False), ("right", True)):
        with smtp_server(certs[name], "ssl") as server:
            settings = load_settings(_config(tmp_path, (
                "[send]\nemail = 'smtp'\n"
                f"[send.smtp]\nhost = '127.0.0.1'\nport = {server.port}\ntls = 'ssl'\n"
                f"ca_file = '{certs[name].cert}'\nusername = '{USER}'\n"
                "password_env = 'SMTP_PW'\n")), env)
            sender = build_senders(settings, env)["email"]
            if expect_ok:
                sender.send(reply)
            else:
                with pytest.raises(SendError, match="certificate"):
                    sender.send(reply)
        assert len(server.logins) == int(expect_ok)
        assert len(server.sink.messages) == int(expect_ok)
