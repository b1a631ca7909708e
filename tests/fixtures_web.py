"""Fixtures of the review page tests: an SMTP sink (aiosmtpd), a seeded app, users, clients."""

from __future__ import annotations

import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import add_to_maildir
from triage.daemon import Daemon
from triage.send.outbox import Outbox
from triage.send.smtp import SmtpSender
from triage.web.accounts import add_user

AGENT = ("ann", "agent-password-1")
ADMIN = ("root", "admin-password-1")
XSS_SUBJECT = '<script>window.__pwned="subject"</script><img src=x onerror="window.__pwned=1">'


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sink:
    """Collects what the SMTP server receives."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              bytes(envelope.original_content)))
        self.arrived.set()
        return "250 OK"

    def parsed(self, i: int = -1) -> Message:
        """Return received message ``i`` parsed."""
        return message_from_bytes(self.messages[i][2], policy=policy.default)


@pytest.fixture
def smtp_server_sink() -> Iterator[tuple[Sink, int]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; yields the sink and its port."""
    sink = Sink()
    port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    yield sink, port
    ctl.stop()


def _email(subject: str, body: str, sender: str, msgid: str, html: str | None = None) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "support@example.com"
    m["Subject"] = subject
    m["Date"] = "Fri, 20 Nov 2026 08:00:00 +0000"
    m["Message-ID"] = msgid
    m["References"] = "<earlier@example.com>"
    m.set_content(body)
    if html:
        m.add_alternative(html, subtype="html")
    return bytes(m)


XSS_HTML = ('<p>Hello</p><script>window.__pwned="script"</script>'
            '<img src="http://tracker.example/p.gif" onerror="window.__pwned=\'img\'">'
            '<a href="javascript:window.__pwned=\'link\'" id="evil">click me</a>'
            '<div onmouseover="window.__pwned=\'hover\'">hover</div>')


@pytest.fixture
def seeded(app: Any, maildir: Any) -> Any:
    """The conftest app with four customer messages processed and two users."""
    add_to_maildir(maildir, _email(
        "My order is late", "I ordered 3 weeks ago and nothing arrived. Where is my order?",
        "Ann Lee <ann.customer@example.com>", "<late@example.com>"))
    add_to_maildir(maildir, _email(
        "App crashes on login", "The app crashes every time I try to log in, error 500.",
        "Budi <budi@example.co.id>", "<crash@example.com>"))
    add_to_maildir(maildir, _email(
        "Idea", "It would be great if you added dark mode to the app.",
        "Maria <maria@example.ph>", "<idea@example.com>"))
    add_to_maildir(maildir, _email(
        XSS_SUBJECT, 'Text body <script>window.__pwned="body"</script> '
        'javascript:window.__pwned=3', "Mallory <mallory@example.com>", "<xss@example.com>",
        html=XSS_HTML))
    Daemon(app).poll_all()
    add_user(app.store, *AGENT, "agent")
    add_user(app.store, *ADMIN, "admin")
    return app


@pytest.fixture
def smtp_outbox(seeded: Any, smtp_server_sink: tuple[Sink, int]) -> Outbox:
    """An outbox that sends email through the SMTP sink (no TLS: loopback test server)."""
    _, port = smtp_server_sink
    sender = SmtpSender(host="127.0.0.1", port=port, tls="none",
                        from_address="support@example.com", from_name="Support")
    return Outbox(seeded.store, {"email": sender})


@pytest.fixture
def web(seeded: Any, smtp_outbox: Outbox) -> Any:
    """The FastAPI app of the review page on the seeded store."""
    from triage.web import create_app

    return create_app(seeded.web_parts(outbox=smtp_outbox), secret_key="t" * 64)


PG_BIN = "/usr/lib/postgresql/15/bin"


@pytest.fixture
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (skipped when PostgreSQL is missing)."""
    import os
    import pwd
    import shutil
    import subprocess
    from pathlib import Path

    if not Path(PG_BIN, "initdb").exists():
        pytest.skip("needs Debian's postgresql (apt-get install postgresql)")
    d = Path(tempfile.mkdtemp(prefix="triage-pg-"))
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        pw = pwd.getpwnam("postgres")
        os.chown(d, pw.pw_uid, pw.pw_gid)
    port = free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)

    run(f"{PG_BIN}/initdb", "-D", str(d / "data"), "-U", "test", "--auth=trust",
        "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
    run(f"{PG_BIN}/pg_ctl", "-D", str(d / "data"), "-l", str(d / "log"), "-w", "start", "-o",
        f"-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off")
    try:
        run(f"{PG_BIN}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "test", "test")
        yield f"postgresql+psycopg://test@127.0.0.1:{port}/test"
    finally:
        run(f"{PG_BIN}/pg_ctl", "-D", str(d / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(d, ignore_errors=True)
