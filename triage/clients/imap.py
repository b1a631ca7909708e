"""IMAP connections: TLS modes, password or XOAUTH2 login, timeouts, retry with backoff.

Transport only: nothing here knows about cursors, parsing or the store. Every failure is
turned into :class:`~triage.errors.SourceError` (retried) or
:class:`~triage.errors.SourceAuthError` (credentials must be fixed first).
"""

from __future__ import annotations

import imaplib
import json
import logging
import random
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.imapclient import SocketTimeout

from triage.config import ImapSettings, is_loopback
from triage.errors import SourceAuthError, SourceError

log = logging.getLogger(__name__)

NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    OSError, IMAPClientError, imaplib.IMAP4.error, imaplib.IMAP4.abort, EOFError,
)
"""Exceptions that mean the connection or the server failed (retrying may help)."""

MICROSOFT_SCOPE = "https://outlook.office365.com/IMAP.AccessAsUser.All offline_access"

ClientFactory = Callable[..., IMAPClient]
TokenPoster = Callable[[str, dict[str, str], float], dict[str, Any]]


def post_form(url: str, form: dict[str, str], timeout: float) -> dict[str, Any]:
    """POST ``form`` to ``url`` and return the JSON answer (the OAuth2 token request).

    Raises SourceAuthError when the endpoint refuses the refresh token, SourceError when it
    cannot be reached.
    """
    data = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return dict(json.loads(resp.read().decode("utf-8")))
    except urllib.error.HTTPError as exc:
        body = exc.read()[:300].decode("utf-8", "replace")
        if 400 <= exc.code < 500:
            raise SourceAuthError(f"token endpoint {url} refused the refresh token "
                                  f"(HTTP {exc.code}: {body}); create a new refresh token") from exc
        raise SourceError(f"token endpoint {url} failed: HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise SourceError(f"token endpoint {url} unreachable: {exc}") from exc


class ImapConnector:
    """Opens logged-in IMAPClient connections for one configured account.

    ``client_factory`` (default :class:`IMAPClient`) and ``post`` (the token request) are
    injected so that tests and other transports can replace them; ``sleep`` waits between
    attempts (an Event's ``wait`` in the daemon, so shutdown is never delayed).
    """

    def __init__(self, settings: ImapSettings, environ: Mapping[str, str], *,
                 resolve: Callable[[str], Path] = Path,
                 client_factory: ClientFactory = IMAPClient, post: TokenPoster = post_form,
                 sleep: Callable[[float], object] | None = None,
                 rand: Callable[[], float] = random.random) -> None:
        self.settings = settings
        self.environ = environ
        self.resolve = resolve
        self.client_factory = client_factory
        self.post = post
        self.sleep = sleep or threading.Event().wait
        self.rand = rand
        self._token: str | None = None

    def with_sleep(self, sleep: Callable[[float], object]) -> ImapConnector:
        """Return a connector like this one that waits with ``sleep`` (a stop event's wait)."""
        return ImapConnector(self.settings, self.environ, resolve=self.resolve,
                             client_factory=self.client_factory, post=self.post, sleep=sleep,
                             rand=self.rand)

    @property
    def label(self) -> str:
        """``user@host:port`` for log lines (never a secret)."""
        return f"{self.settings.username}@{self.settings.host}:{self.port}"

    @property
    def port(self) -> int:
        """The port, defaulting by TLS mode."""
        s = self.settings
        return s.port or (993 if s.tls == "ssl" else 143)

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying TLS context (the configured CA file, else the system CAs)."""
        ca = self.settings.ca_file
        if ca:
            path = self.resolve(ca)
            if not path.is_file():
                raise SourceError(f"source {self.settings.name!r}: ca_file {path} not found; "
                                  "fix 'ca_file' or leave it empty for the system CAs")
            return ssl.create_default_context(cafile=str(path))
        return ssl.create_default_context()

    def connect(self) -> IMAPClient:
        """Return a logged-in client, trying up to ``connect_attempts`` times.

        Waits ``min(30 s, 0.5 s * 2^n)`` plus up to 50 % jitter between attempts. Raises
        SourceAuthError at once on rejected credentials, SourceError after the last attempt.
        """
        attempts = self.settings.connect_attempts
        last: Exception | None = None
        for n in range(attempts):
            if n:
                delay = min(30.0, 0.5 * 2 ** (n - 1)) * (1 + 0.5 * self.rand())
                log.info("imap %s: reconnecting in %.1fs (attempt %d of %d)", self.label, delay,
                         n + 1, attempts)
                self.sleep(delay)
            try:
                return self._connect_once()
            except SourceAuthError:
                raise
            except SourceError as exc:
                last = exc
        raise SourceError(f"source {self.settings.name!r}: cannot reach {self.label} after "
                          f"{attempts} attempt(s): {last}") from last

    def _connect_once(self) -> IMAPClient:
        s = self.settings
        if s.tls == "none" and not s.allow_insecure and not is_loopback(s.host):
            raise SourceAuthError(f"source {s.name!r}: tls = 'none' to {s.host} is refused; "
                                  "use 'ssl' or 'starttls' (or set allow_insecure = true)")
        timeout = SocketTimeout(connect=s.connect_timeout.total_seconds(),
                                read=s.read_timeout.total_seconds())
        ctx = self.ssl_context() if s.tls != "none" else None
        client: IMAPClient | None = None
        try:
            client = self.client_factory(s.host, port=self.port, ssl=s.tls == "ssl",
                                         ssl_context=ctx, timeout=timeout)
            quiet_imaplib(client)
            if s.tls == "starttls":
                client.starttls(ssl_context=ctx)
            self._login(client)
            log.info("imap %s: connected (tls=%s)", self.label, s.tls)
            return client
        except SourceError:
            _quiet_logout(client)
            raise
        except LoginError as exc:
            _quiet_logout(client)
            raise SourceAuthError(f"source {s.name!r}: {self.label} rejected the login: "
                                  f"{_text(exc)}; check username and the secret in "
                                  f"{self._secret_name()}") from exc
        except ssl.SSLCertVerificationError as exc:
            _quiet_logout(client)
            raise SourceAuthError(f"source {s.name!r}: certificate of {s.host} not trusted: "
                                  f"{exc.verify_message}; set ca_file to the CA that signed "
                                  "it") from exc
        except NETWORK_ERRORS as exc:
            _quiet_logout(client)
            raise SourceError(f"source {s.name!r}: {self.label}: {type(exc).__name__}: "
                              f"{_text(exc)}") from exc

    def _secret_name(self) -> str:
        s = self.settings
        return s.oauth2.refresh_token_env if s.oauth2 else s.password_env

    def _login(self, client: IMAPClient) -> None:
        s = self.settings
        if s.oauth2 is None:
            password = self.environ.get(s.password_env, "")
            if not password:
                raise SourceAuthError(f"source {s.name!r}: environment variable "
                                      f"{s.password_env} is not set; export it")
            client.login(s.username, password)
            return
        token = self._token or self.refresh_access_token()
        try:
            client.oauth2_login(s.username, token)
        except LoginError:
            # the cached access token may have expired: get a fresh one, try once more
            self._token = None
            client.oauth2_login(s.username, self.refresh_access_token())

    def refresh_access_token(self) -> str:
        """Exchange the refresh token for an access token (cached until a login fails)."""
        o = self.settings.oauth2
        assert o is not None
        refresh = self.environ.get(o.refresh_token_env, "")
        if not refresh:
            raise SourceAuthError(f"source {self.settings.name!r}: environment variable "
                                  f"{o.refresh_token_env} is not set; export it")
        client_id = self.environ.get(o.client_id_env, "") if o.client_id_env else o.client_id
        form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id}
        if o.client_secret_env:
            form["client_secret"] = self.environ.get(o.client_secret_env, "")
        scope = o.scope or (MICROSOFT_SCOPE if o.provider == "microsoft" else "")
        if scope:
            form["scope"] = scope
        answer = self.post(o.endpoint(), form, self.settings.connect_timeout.total_seconds())
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise SourceAuthError(f"source {self.settings.name!r}: token endpoint answered "
                                  f"without access_token ({answer.get('error', 'no error')})")
        self._token = token
        return token


def _text(exc: BaseException) -> str:
    msg = exc.args[0] if exc.args else exc
    if isinstance(msg, bytes):
        return msg.decode("utf-8", "replace")
    return str(msg)


def _quiet_logout(client: IMAPClient | None) -> None:
    if client is None:
        return
    try:
        client.logout()
    except Exception:  # the connection is already broken; nothing to release politely
        try:
            client.shutdown()
        except Exception:
            log.debug("imap: shutdown of a broken connection failed", exc_info=True)


def quiet_imaplib(client: IMAPClient) -> None:
    """Stop imaplib formatting a debug trace nobody reads (unless DEBUG logging is on for
    ``imapclient.imaplib``).

    IMAPClient sets imaplib's ``debug = 5`` and routes its messages to that logger, so imaplib
    builds the ``repr`` of every response line, of every message body and of each command's
    whole response list, before the logger drops it: about a third of the CPU of fetching a
    burst of mail. With DEBUG on for that logger the trace is kept as before.
    """
    imap = getattr(client, "_imap", None)
    if imap is not None and not logging.getLogger("imapclient.imaplib").isEnabledFor(
            logging.DEBUG):
        imap.debug = 0


def close_client(client: IMAPClient | None) -> None:
    """Log out, ignoring a connection that is already gone."""
    _quiet_logout(client)


def external_id(folder: str, uidvalidity: int, uid: int) -> str:
    """Return the external id of one message: ``INBOX:<uidvalidity>:<uid>``."""
    return f"{folder}:{uidvalidity}:{uid}"


def split_external_id(ext: str) -> tuple[str, int, int] | None:
    """Return ``(folder, uidvalidity, uid)`` of an IMAP external id, or None if it is not one."""
    parts = ext.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return parts[0], int(parts[1]), int(parts[2])
