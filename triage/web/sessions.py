"""Sign-in state of the review page: server-side sessions and the sign-in limit.

The signed cookie (Starlette's session) carries the CSRF token, queued messages and the
session token; whether the token still opens a session is decided by the store on every
request (:class:`triage.store.web_sessions.WebSessions`). The sign-in limit counts failures
per account and per client address in the store, so neither a restart nor a second web
worker hands out a fresh budget.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request

from triage.clock import Clock
from triage.config import WebSettings
from triage.errors import RateLimitedLogin
from triage.store.web_sessions import LoginFailures, WebSessions


@dataclass(frozen=True)
class SessionPolicy:
    """The idle and absolute lifetimes of a session."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, web: WebSettings) -> SessionPolicy:
        """From ``[web] session_idle_timeout`` and ``session_max_age``."""
        return cls(web.session_idle_timeout, web.session_max_age)


class Sessions:
    """Opens, checks and ends the sessions of requests."""

    def __init__(self, store: WebSessions, policy: SessionPolicy) -> None:
        self.store = store
        self.policy = policy

    def begin(self, request: Request, user: str, client: str) -> None:
        """Start a fresh session for ``user``: a new token (rotated at every sign-in, so a
        token planted before sign-in is worthless), a new CSRF token, nothing carried over."""
        old = request.session.get("sid")
        if old:  # signing in again in the same browser: the previous session ends
            self.store.end(str(old), "replaced")
        token = self.store.start(user, client)
        request.session.clear()
        request.session["sid"] = token
        request.session["user"] = user
        request.session["csrf"] = secrets.token_urlsafe(32)

    def user(self, request: Request) -> str | None:
        """The user whose live session the request carries, else None (and the cookie's
        content is dropped, so a dead session leaves nothing behind)."""
        token, name = request.session.get("sid"), request.session.get("user")
        if not token or not name:
            return None
        owner = self.store.user(str(token), self.policy.idle, self.policy.absolute)
        if owner is None or owner != name:
            request.session.clear()
            return None
        return owner

    def end(self, request: Request, reason: str) -> None:
        """End the request's session on the server and forget the cookie's content."""
        token = request.session.get("sid")
        if token:
            self.store.end(str(token), reason)
        request.session.clear()


class LoginLimit:
    """Failed sign-ins allowed per key (``user:<name>``, ``ip:<address>``) in a window."""

    def __init__(self, failures: LoginFailures, clock: Clock, max_attempts: int,
                 window: timedelta) -> None:
        self.failures = failures
        self.clock = clock
        self.max_attempts = max_attempts
        self.window = window

    def check(self, keys: Iterable[str]) -> None:
        """Raise RateLimitedLogin when any key has used up its attempts."""
        now = self.clock.now()
        for count, oldest in self.failures.counts(keys, now - self.window).values():
            if count >= self.max_attempts:
                wait = int((oldest + self.window - now).total_seconds()) + 1
                raise RateLimitedLogin(f"too many failed sign-ins; try again in {wait} seconds")

    def failed(self, keys: Iterable[str]) -> None:
        """Record one failed attempt for each key."""
        self.failures.add(keys, before=self.clock.now() - self.window)

    def succeeded(self, keys: Iterable[str]) -> None:
        """Forget the failures of ``keys`` after a good sign-in."""
        self.failures.clear(keys)
