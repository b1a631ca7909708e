"""Sessions of the review page kept on the server, and failed sign-ins counted in the store.

A session is a random token in the (signed) cookie; the store keeps only its SHA-256, who it
belongs to, when it started and was last used, and when and why it ended. A session is good
while it has not ended, was used within the idle lifetime and started within the absolute
lifetime, so sign-out, a new password, a disabled account or an admin's "sign out
everywhere" end it at once for every copy of the cookie. Failed sign-ins are rows per key
(account, client address), so a restart or a second web worker shares one count.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update

from triage.clock import ensure_utc
from triage.store import schema as s
from triage.store.base import Aggregate

TOUCH_EVERY = timedelta(minutes=1)
"""A session's last use is written at most this often (not on every request)."""


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class WebSessions(Aggregate):
    """The ``web_sessions`` table. Every method raises StoreError when the store fails."""

    def start(self, user: str, client: str) -> str:
        """Open a session for ``user``; return its new random token (for the cookie)."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.write(f"cannot open a session for {user!r}") as c:
            c.execute(insert(s.web_sessions).values(
                token_hash=token_hash(token), user_name=user, client=client[:64],
                created_at=now, last_seen_at=now))
        return token

    def user(self, token: str, idle: timedelta, absolute: timedelta) -> str | None:
        """Return the user of the live session ``token`` and note its use; None when there is
        no such session or it ended, or ends now for being idle or too old."""
        w = s.web_sessions
        now = self.clock.now()
        with self.write("cannot read the session") as c:
            row = c.execute(select(w.c.id, w.c.user_name, w.c.created_at,
                                   w.c.last_seen_at).where(
                w.c.token_hash == token_hash(token), w.c.ended_at.is_(None))).first()
            if row is None:
                return None
            seen, created = ensure_utc(row.last_seen_at), ensure_utc(row.created_at)
            if now - seen >= idle or now - created >= absolute:
                c.execute(update(w).where(w.c.id == row.id).values(
                    ended_at=now, end_reason="expired"))
                return None
            if now - seen >= TOUCH_EVERY:
                c.execute(update(w).where(w.c.id == row.id).values(last_seen_at=now))
            return str(row.user_name)

    def end(self, token: str, reason: str) -> bool:
        """End the session ``token``; True when it was live."""
        w = s.web_sessions
        return self._end(w.c.token_hash == token_hash(token), reason) > 0

    def end_user(self, user: str, reason: str) -> int:
        """End every live session of ``user``; return how many."""
        return self._end(s.web_sessions.c.user_name == user, reason)

    def end_all(self, reason: str) -> int:
        """End every live session of every user; return how many."""
        return self._end(None, reason)

    def _end(self, where: object, reason: str) -> int:
        w = s.web_sessions
        q = update(w).where(w.c.ended_at.is_(None)).values(ended_at=self.clock.now(),
                                                           end_reason=reason)
        if where is not None:
            q = q.where(where)  # type: ignore[arg-type]
        with self.write("cannot end sessions") as c:
            return int(c.execute(q).rowcount or 0)

    def live_counts(self, idle: timedelta, absolute: timedelta) -> dict[str, int]:
        """Live sessions per user (not ended, not idle, not too old)."""
        w = s.web_sessions
        now = self.clock.now()
        with self.read("cannot count sessions") as c:
            rows = c.execute(select(w.c.user_name, func.count()).where(
                w.c.ended_at.is_(None), w.c.last_seen_at > now - idle,
                w.c.created_at > now - absolute).group_by(w.c.user_name))
            return {str(r[0]): int(r[1]) for r in rows}


class LoginFailures(Aggregate):
    """The ``login_failures`` table: failed sign-ins per key within a window."""

    def counts(self, keys: Iterable[str], since: datetime) -> dict[str, tuple[int, datetime]]:
        """Failures per key since ``since``, with the oldest one's time (keys without any
        are left out)."""
        f = s.login_failures
        keys = list(keys)
        with self.read("cannot read failed sign-ins") as c:
            rows = c.execute(select(f.c.key, func.count(), func.min(f.c.at)).where(
                f.c.key.in_(keys), f.c.at > since).group_by(f.c.key))
            return {str(r[0]): (int(r[1]), ensure_utc(r[2])) for r in rows}

    def add(self, keys: Iterable[str], before: datetime) -> None:
        """Record one failure per key now; forget failures older than ``before``."""
        f = s.login_failures
        now = self.clock.now()
        with self.write("cannot record a failed sign-in") as c:
            c.execute(insert(f), [{"key": k[:300], "at": now} for k in keys])
            c.execute(delete(f).where(f.c.at <= before))

    def clear(self, keys: Iterable[str]) -> None:
        """Forget the failures of ``keys`` (after a good sign-in)."""
        f = s.login_failures
        with self.write("cannot clear failed sign-ins") as c:
            c.execute(delete(f).where(f.c.key.in_(list(keys))))
