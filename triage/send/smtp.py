"""Email replies over SMTP (smtplib): TLS options, AUTH from the environment, threading headers.

The Message-ID is derived from the outbox's idempotency key, so a reply retried after a crash
carries the same Message-ID and a receiving system (or the Sent folder) can recognise it.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any

from triage.clients.smtp import SmtpClient, TlsMode
from triage.config.team import team_name_for
from triage.errors import PermanentSendError, SendError, SendInDoubt
from triage.mail.msgid import message_id_for as message_id_for  # re-exported for callers
from triage.models import OutgoingReply

log = logging.getLogger(__name__)


SentHook = Callable[[OutgoingReply, bytes], None]
"""Called with the reply and its RFC 5322 bytes after a successful send (e.g. IMAP APPEND to
the Sent folder, built by the IMAP write-back work)."""


# Characters that would end a header line (or that some readers treat as one): folded into a
# space in every header value we write, so no value can add a header of its own.
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


_ANGLE_ADDR = re.compile(r"(.*)<([^<>]*)>")
_ADDR_SPEC = re.compile(r"[^\s<>()\[\],;:\\\"@]+@[^\s<>()\[\],;:\\\"@]+")


def header_text(value: str) -> str:
    """Return ``value`` fit for one header: line breaks and control characters (also the
    decoded U+2028, U+2029 and NEL) folded into single spaces, ends trimmed."""
    return " ".join(_HEADER_BREAKS.sub(" ", value).split())


def header_address(value: str) -> str:
    """Return the address ``value`` (``Name <addr>`` or ``addr``) with its display name made
    safe by :func:`header_text`; raises PermanentSendError when there is no usable address.

    The address is the last ``<...>`` part, everything before it the name: a name holding
    ``Bcc: someone@...`` stays a name (``email.utils.parseaddr`` would take it for the
    address).
    """
    text = header_text(value)
    m = _ANGLE_ADDR.fullmatch(text)
    name, addr = (m.group(1).strip().strip('"'), m.group(2).strip()) if m else ("", text)
    if not _ADDR_SPEC.fullmatch(addr):
        raise PermanentSendError(f"recipient {value!r} is not an e-mail address; correct the "
                                 "customer's address, then requeue the reply")
    return formataddr((name, addr)) if name else addr


def build_email(reply: OutgoingReply, from_address: str, from_name: str = "") -> EmailMessage:
    """Return the reply as an email: From, To, Subject, In-Reply-To, References, Message-ID.

    Names and the subject are folded onto one line (they may hold decoded CR/LF or U+2028);
    raises PermanentSendError when the message cannot be built (retrying would not help).
    """
    m = EmailMessage()
    try:
        m["From"] = (formataddr((header_text(from_name), from_address)) if from_name
                     else from_address)
        m["To"] = header_address(reply.to)
        cc = [a for a in (reply.extra.get("cc") or "").split(",") if a.strip()]
        if cc:  # reply-all: the customer's other recipients
            m["Cc"] = ", ".join(header_address(a) for a in cc)
        m["Subject"] = header_text(reply.subject)
        m["Date"] = formatdate(localtime=False, usegmt=True)
        m["Message-ID"] = message_id_for(reply.idempotency_key, from_address)
        if reply.in_reply_to:
            m["In-Reply-To"] = header_text(reply.in_reply_to)
        refs = [header_text(r) for r in reply.references if r]
        if reply.in_reply_to and header_text(reply.in_reply_to) not in refs:
            refs.append(header_text(reply.in_reply_to))
        if refs:
            m["References"] = " ".join(refs[-20:])
        m.set_content(reply.text)
    except (ValueError, TypeError) as exc:  # email's own header checks: not retryable
        raise PermanentSendError(f"the reply to message {reply.message_id} cannot be built as "
                                 f"an e-mail: {exc}; edit the draft, then requeue it") from exc
    return m


class SmtpSender:
    """Sends email replies through one SMTP server (a connection per send), with the
    shared :class:`~triage.clients.smtp.SmtpClient` (certificate always verified).

    ``from_name`` is one From name, or a table per language (``[drafting] team_name``): a
    reply is sent from the name for its ``extra["language"]`` (:func:`team_name_for`)."""

    def __init__(self, *, host: str = "", port: int = 25, tls: TlsMode = "starttls",
                 from_address: str, from_name: str | Mapping[str, str] = "",
                 username: str = "",
                 password: str = "", timeout: float = 30.0,
                 ssl_context: ssl.SSLContext | None = None, ca_file: str | None = None,
                 client: SmtpClient | None = None,
                 on_sent: SentHook | None = None) -> None:
        self.client = client or SmtpClient(host, port, tls=tls, username=username,
                                           password=password, timeout=timeout,
                                           ssl_context=ssl_context, ca_file=ca_file)
        self.from_address, self.from_name = from_address, from_name
        self.on_sent = on_sent

    @property
    def host(self) -> str:
        """The SMTP server's host."""
        return self.client.host

    @property
    def port(self) -> int:
        """The SMTP server's port."""
        return self.client.port

    @property
    def tls(self) -> TlsMode:
        """How the connection is secured: none, starttls or ssl."""
        return self.client.tls

    def send(self, reply: OutgoingReply) -> str:
        """Send ``reply``; return its Message-ID.

        Raises PermanentSendError when the server refuses the recipient or our credentials,
        SendInDoubt when the connection broke after the message data went out (the server may
        have it: not retried), SendError for anything worth retrying (network, 4xx).
        """
        msg = build_email(reply, self.from_address,
                          team_name_for(self.from_name, reply.extra.get("language", "")))
        stage = _Stage()
        try:
            with self.client.session() as conn:
                stage.watch(conn)
                conn.send_message(msg, from_addr=self.from_address,
                                  to_addrs=[_recipient(msg)])
        except Exception as exc:
            if not stage.accepted:
                self._raise_for(exc, reply, stage)
            # the server accepted the message; only QUIT or closing failed: it is sent
            log.warning("SMTP %s:%s accepted the reply to message %s but closing failed: %s",
                        self.host, self.port, reply.message_id, exc)
        log.info("sent reply to message %s to %s via SMTP %s:%s", reply.message_id, reply.to,
                 self.host, self.port)
        if self.on_sent is not None:
            try:
                self.on_sent(reply, bytes(msg))
            except Exception:  # the reply is out; a failed Sent copy must not resend it
                log.exception("sent-copy hook failed for message %s", reply.message_id)
        return str(msg["Message-ID"])

    def _raise_for(self, exc: Exception, reply: OutgoingReply, stage: _Stage) -> None:
        """Raise the SendError that ``exc`` (raised before the server accepted) means."""
        where = f"SMTP {self.host}:{self.port}"
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            raise PermanentSendError(
                f"{where} refused the login of {self.client.username!r} "
                f"({exc.smtp_code}); fix send.smtp.username / password_env") from exc
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            raise PermanentSendError(
                f"{where} refused recipient {reply.to!r}: {exc.recipients}") from exc
        if isinstance(exc, smtplib.SMTPResponseException):  # an answer: not delivered
            err = SendError if exc.smtp_code < 500 else PermanentSendError
            raise err(f"{where} answered {exc.smtp_code} {exc.smtp_error!r}") from exc
        if isinstance(exc, (TimeoutError, smtplib.SMTPException, OSError)):
            if stage.data_started:
                # the connection broke between DATA and the server's answer: the server may
                # have queued the reply, so retrying could deliver it twice
                raise SendInDoubt(
                    f"{where} broke off after the reply's data was sent ({exc}); it may "
                    "have been delivered; check the Sent folder or the server's log, then "
                    "`triage outbox requeue` or `triage outbox cancel` it") from exc
            raise SendError(f"{where} failed: {exc}") from exc
        raise exc


def _recipient(msg: EmailMessage) -> str:
    # the address header_address() put in To (never a name part that looks like one)
    return str(msg["To"].addresses[0].addr_spec)


class _Stage:
    """How far one SMTP transaction got: whether DATA began, and whether the server
    accepted the message (answered 250 to the end of data)."""

    def __init__(self) -> None:
        self.data_started = False
        self.accepted = False

    def watch(self, conn: smtplib.SMTP) -> None:
        """Wrap ``conn.data`` (called by ``send_message``) to record the stage."""
        original = conn.data

        def data(msg: Any) -> tuple[int, bytes]:
            self.data_started = True
            result = original(msg)
            self.accepted = result[0] == 250  # anything else: send_message raises
            return result

        conn.data = data  # type: ignore[method-assign]
