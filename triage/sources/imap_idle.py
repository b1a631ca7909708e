"""IMAP IDLE (RFC 2177): one watcher thread per folder that wakes the poll job on new mail.

The watcher never fetches anything itself; it calls ``wake()`` (the daemon's
``Daemon.wake(job_id)``) and the ordinary poll does the rest, so the poll interval stays the
safety net. IDLE is restarted every ``idle_renew`` (default 25 min, under the 29 min RFC 2177
allows). A server without IDLE ends the watcher: polling alone carries on.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from imapclient import IMAPClient

from triage.clients.imap import NETWORK_ERRORS, ImapConnector, close_client
from triage.errors import SourceError

log = logging.getLogger(__name__)

_NEW_MAIL = (b"EXISTS", b"RECENT")


class IdleWatcher(threading.Thread):
    """Keeps one IDLE connection on ``folder`` and calls ``wake`` when mail arrives.

    ``idling`` is set while the server is in IDLE for us (tests and status use it);
    ``supported`` turns False when the server has no IDLE capability.
    """

    def __init__(self, connector: ImapConnector, folder: str, wake: Callable[[], object],
                 stop: threading.Event, *, renew: timedelta = timedelta(minutes=25),
                 check_every: float = 1.0, backoff_max: float = 300.0,
                 fetched_since: Callable[[float], bool] | None = None,
                 confirm_every: float = 0.2, confirm_tries: int = 300,
                 rand: Callable[[], float] = random.random) -> None:
        super().__init__(name=f"idle:{connector.settings.name}:{folder}", daemon=True)
        self.connector = connector
        self.folder = folder
        self.wake = wake
        self.stop = stop
        self.renew = renew.total_seconds()
        self.check_every = check_every
        self.backoff_max = backoff_max
        self.rand = rand
        self.fetched_since = fetched_since
        self.confirm_every = confirm_every
        self.confirm_tries = confirm_tries
        self.idling = threading.Event()
        self.supported = True
        self.wakes = 0
        self._asked: float | None = None
        """When the last unconfirmed wake-up was asked (``time.monotonic()``), else None."""
        self._tries = 0
        self.idles = 0
        """IDLE commands issued (one more every renewal)."""

    def run(self) -> None:
        """Watch until ``stop`` is set; reconnect with capped exponential backoff + jitter."""
        failures = 0
        while not self.stop.is_set() and self.supported:
            try:
                self._session(wake_first=failures > 0)
                failures = 0
            except (SourceError, *NETWORK_ERRORS) as exc:
                self.idling.clear()
                failures += 1
                delay = min(self.backoff_max, 2.0 ** failures) * (1 + 0.5 * self.rand())
                log.warning("idle %s/%s: %s; reconnecting in %.0fs", self.connector.settings.name,
                            self.folder, exc, delay)
                self.stop.wait(delay)
            except Exception:  # never let a watcher die silently; polling still runs
                self.idling.clear()
                log.exception("idle %s/%s: unexpected error; watcher stopped, polling goes on",
                              self.connector.settings.name, self.folder)
                return

    def _session(self, wake_first: bool) -> None:
        client = self.connector.connect()
        try:
            if b"IDLE" not in client.capabilities():
                self.supported = False
                log.info("idle %s: server has no IDLE; polling every %s instead",
                         self.connector.label, self.connector.settings.poll_interval)
                return
            client.select_folder(self.folder, readonly=True)
            if wake_first:
                self._wake()  # mail may have arrived while we were disconnected
            while not self.stop.is_set():
                if self._idle_once(client):
                    self._wake()
        finally:
            self.idling.clear()
            close_client(client)

    def _idle_once(self, client: IMAPClient) -> bool:
        """IDLE until new mail, ``renew`` seconds, or stop; return True on new mail.

        Mail that came while we were out of IDLE (waking the poll, renewing) is not announced
        when IDLE starts again: Dovecot reports it only at its next periodic check, 30 s
        later by default. A NOOP first syncs our view and reports it at once.
        """
        _text, pending = client.noop()
        if _has_new_mail(pending):
            return True
        client.idle()
        self.idles += 1
        self.idling.set()
        started = time.monotonic()
        new_mail = False
        try:
            while not self.stop.is_set():
                left = self.renew - (time.monotonic() - started)
                if left <= 0:
                    break
                wait = self.confirm_every if self._asked is not None else self.check_every
                responses = client.idle_check(timeout=min(wait, left))
                if _has_new_mail(responses):
                    new_mail = True
                    break
                self._confirm()
        finally:
            self.idling.clear()
            _text, done = client.idle_done()
        # mail that came while IDLE was being ended is reported with DONE's answer
        return new_mail or _has_new_mail(done)

    def _wake(self) -> None:
        self.wakes += 1
        log.info("idle %s/%s: new mail, waking the poll", self.connector.settings.name,
                 self.folder)
        if self.fetched_since is not None:
            self._asked, self._tries = time.monotonic(), 0
        self._call_wake()

    def _confirm(self) -> None:
        """Wake the poll again while no fetch has started since the last wake-up (bounded).

        A poll that is already running skips the wake-up, and its fetch may have begun
        before the mail came. This runs between IDLE checks, so the watcher stays in IDLE
        and sees the next mail meanwhile.
        """
        if self._asked is None or self.fetched_since is None:
            return
        if self.fetched_since(self._asked) or self._tries >= self.confirm_tries:
            self._asked = None
            return
        self._tries += 1
        self._call_wake()

    def _call_wake(self) -> None:
        try:
            self.wake()
        except Exception:
            log.exception("idle %s: wake callback failed", self.connector.settings.name)


def _has_new_mail(responses: object) -> bool:
    return isinstance(responses, list) and any(
        isinstance(r, tuple) and len(r) > 1 and r[1] in _NEW_MAIL for r in responses)


def start_watchers(connector: ImapConnector, folders: list[str], wake: Callable[[], object],
                   stop: threading.Event, renew: timedelta,
                   fetched_since: Callable[[float], bool] | None = None) -> list[IdleWatcher]:
    """Start one watcher per folder and return them (they end when ``stop`` is set)."""
    watchers = [IdleWatcher(connector, f, wake, stop, renew=renew, fetched_since=fetched_since)
                for f in folders]
    for w in watchers:
        w.start()
    return watchers
