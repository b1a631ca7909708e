"""Email replies over SMTP (smtplib): TLS options, AUTH from the environment, threading headers.

The Message-ID is derived from the outbox's idempotency key, so a reply retried after a crash
carries the same Message-ID and a receiving system (or the Sent folder) can recognise it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal

from triage.errors import PermanentSendError, SendError
from triage.send.base import OutgoingReply

log = logging.getLogger(__name__)

SentHook = Callable[[OutgoingReply, bytes], None]
"""Called with the reply and its RFC 5322 bytes after a successful send (e.g. IMAP APPEND to
the Sent folder, built by the IMAP write-back work)."""


def message_id_for(key: str, from_address: str) -> str:
    """Return the Message-ID for idempotency key ``key``: ``<triage.KEY@domain>``."""
    domain = from_address.rpartition("@")[2] or "triage.invalid"
    safe = "".join(ch if ch.isalnum() or ch in "-._" else "-" for ch in key)
    return f"<triage.{safe}@{domain}>"


def build_email(reply: OutgoingReply, from_address: str, from_name: str = "") -> EmailMessage:
    """Return the reply as an email: From, To, Subject, In-Reply-To, References, Message-ID."""
    m = EmailMessage()
    m["From"] = f"{from_name} <{from_address}>" if from_name else from_address
    m["To"] = reply.to
    m["Subject"] = reply.subject
    m["Date"] = formatdate(localtime=False, usegmt=True)
    m["Message-ID"] = message_id_for(reply.idempotency_key, from_address)
    if reply.in_reply_to:
        m["In-Reply-To"] = reply.in_reply_to
    refs = [r for r in reply.references if r]
    if reply.in_reply_to and reply.in_reply_to not in refs:
        refs.append(reply.in_reply_to)
    if refs:
        m["References"] = " ".join(refs[-20:])
    m.set_content(reply.text)
    return m


class SmtpSender:
    """Sends email replies through one SMTP server (a connection per send)."""

    def __init__(self, *, host: str, port: int, tls: Literal["none", "starttls", "ssl"],
                 from_address: str, from_name: str = "", username: str = "",
                 password: str = "", timeout: float = 30.0,
                 ssl_context: ssl.SSLContext | None = None,
                 on_sent: SentHook | None = None) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.from_address, self.from_name = from_address, from_name
        self.username, self._password = username, password
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.on_sent = on_sent

    def _connect(self) -> smtplib.SMTP:
        ctx = self.ssl_context or ssl.create_default_context()
        if self.tls == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ctx)
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.tls == "starttls":
            conn.starttls(context=ctx)
        return conn

    def send(self, reply: OutgoingReply) -> str:
        """Send ``reply``; return its Message-ID.

        Raises PermanentSendError when the server refuses the recipient or our credentials,
        SendError for anything worth retrying (network, 4xx).
        """
        msg = build_email(reply, self.from_address, self.from_name)
        try:
            with self._connect() as conn:
                if self.username:
                    conn.login(self.username, self._password)
                conn.send_message(msg, from_addr=self.from_address, to_addrs=[reply.to])
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentSendError(
                f"SMTP {self.host}:{self.port} refused the login of {self.username!r} "
                f"({exc.smtp_code}); fix send.smtp.username / password_env") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentSendError(
                f"SMTP {self.host}:{self.port} refused recipient {reply.to!r}: "
                f"{exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            err = SendError if exc.smtp_code < 500 else PermanentSendError
            raise err(f"SMTP {self.host}:{self.port} answered {exc.smtp_code} "
                      f"{exc.smtp_error!r}") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP {self.host}:{self.port} failed: {exc}") from exc
        log.info("sent reply to message %s to %s via SMTP %s:%s", reply.message_id, reply.to,
                 self.host, self.port)
        if self.on_sent is not None:
            try:
                self.on_sent(reply, bytes(msg))
            except Exception:  # the reply is out; a failed Sent copy must not resend it
                log.exception("sent-copy hook failed for message %s", reply.message_id)
        return str(msg["Message-ID"])
