"""The one SMTP client: replies (``triage.send.smtp``) and deadline digests
(``triage.deadlines.notify``) both go out through it.

TLS is ``"ssl"`` (implicit TLS), ``"starttls"`` (refused when the server does not offer it,
never a silent fall-back to plain text) or ``"none"`` (a relay on this machine). The server's
certificate is always verified, chain and host name, against the system CAs or the CA bundle
of ``ca_file``; the login comes only after TLS is up, so the password never reaches a server
whose certificate failed. Errors are smtplib's and the socket's (``ssl.SSLError`` is an
``OSError``); the caller decides what they mean (retry, give up, in doubt).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from triage.config import SmtpSettings
from triage.config.secret_env import env_secret
from triage.errors import ConfigError

log = logging.getLogger(__name__)

TlsMode = Literal["none", "starttls", "ssl"]


def tls_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """Return a client context that verifies the certificate chain and the host name,
    trusting ``ca_file`` (PEM) when given, else the system CAs.

    Raises ConfigError when ``ca_file`` cannot be read as a CA bundle.
    """
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot read the CA file {str(ca_file)!r}: {exc}", key="ca_file",
                          fix="point ca_file at a PEM file with the CA certificate(s)") from None


def smtp_password(settings: SmtpSettings, environ: Mapping[str, str], key: str) -> str:
    """Return the password named by ``settings.password_env`` ('' when none is named).

    Raises MissingSecretError naming ``key`` (e.g. ``send.smtp.password_env``) when the
    variable is named but not set.
    """
    return env_secret(settings.password_env, environ, key)


class SmtpClient:
    """Connects to one SMTP server, secures the connection, logs in; a connection per use."""

    def __init__(self, host: str, port: int, *, tls: TlsMode = "starttls", username: str = "",
                 password: str = "", timeout: float = 30.0,
                 ssl_context: ssl.SSLContext | None = None,
                 ca_file: str | Path | None = None) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.username = username
        self._password = password
        self.timeout = timeout
        self.ssl_context = ssl_context or tls_context(ca_file)

    @classmethod
    def from_settings(cls, settings: SmtpSettings, password: str = "",
                      ca_file: Path | None = None) -> SmtpClient:
        """Build the client ``settings`` describe; ``ca_file`` is ``settings.ca_file``
        resolved against the config file's directory (None: the system CAs)."""
        return cls(settings.host, settings.port, tls=settings.tls, username=settings.username,
                   password=password, timeout=settings.timeout.total_seconds(), ca_file=ca_file)

    @property
    def label(self) -> str:
        """``SMTP host:port``, for messages and logs (never the password)."""
        return f"SMTP {self.host}:{self.port}"

    def _open(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=self.ssl_context)
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.tls == "starttls":
            try:
                conn.starttls(context=self.ssl_context)  # checks the certificate and host name
            except BaseException:
                conn.close()  # no QUIT over a connection whose handshake failed
                raise
        return conn

    @contextmanager
    def session(self) -> Iterator[smtplib.SMTP]:
        """Yield a connection that is secured as ``tls`` asks and logged in (when a user
        name is set); QUIT and close on exit."""
        conn = self._open()
        with conn:
            if self.username:
                conn.login(self.username, self._password)
            yield conn

    def send(self, msg: EmailMessage, *, from_addr: str | None = None,
             to_addrs: Sequence[str] | None = None) -> None:
        """Deliver ``msg`` in one session (envelope from its headers unless given)."""
        with self.session() as conn:
            conn.send_message(msg, from_addr=from_addr,
                              to_addrs=list(to_addrs) if to_addrs is not None else None)
        log.debug("%s accepted %s", self.label, msg.get("Message-ID", "a message"))
