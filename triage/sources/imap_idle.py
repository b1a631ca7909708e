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
                 confirm_every: float = 1.0, confirm_tries: int = 60,
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
        self._uidnext = 0
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
            self._uidnext = self._select(client)
            if wake_first:
                self._wake()  # mail may have arrived while we were disconnected
            while not self.stop.is_set():
                if self._idle_once(client):
                    self._wake()
        finally:
            self.idling.clear()
            close_client(client)

    def _idle_once(self, client: IMAPClient) -> bool:
        """IDLE until new mail, ``renew`` seconds, or stop; return True on new mail."""
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
                responses = client.idle_check(timeout=min(self.check_every, left))
                if _has_new_mail(responses):
                    new_mail = True
                    break
        finally:
            self.idling.clear()
            _text, done = client.idle_done()
        # mail that arrived while IDLE was being renewed is reported with DONE's answer or
        # not at all; UIDNEXT tells for sure
        new_mail = new_mail or _has_new_mail(done)
        uidnext = self._select(client)
        new_mail = new_mail or uidnext > self._uidnext
        self._uidnext = uidnext
        return new_mail

    def _select(self, client: IMAPClient) -> int:
        info = client.select_folder(self.folder, readonly=True)
        return int(info.get(b"UIDNEXT", 0) or 0)

    def _wake(self) -> None:
        self.wakes += 1
        log.info("idle %s/%s: new mail, waking the poll", self.connector.settings.name,
                 self.folder)
        asked = time.monotonic()
        self._call_wake()
        if self.fetched_since is None:
            return
        # a poll that is already running skips the wake-up; if its last fetch began before
        # the mail came, ask again until a fetch has started since (bounded)
        for _ in range(self.confirm_tries):
            if self.stop.wait(self.confirm_every) or self.fetched_since(asked):
                return
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
