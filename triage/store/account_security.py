"""Switches of an account beyond its password: disabled, and the TOTP second factor."""

from __future__ import annotations

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from triage.clock import Clock
from triage.store import schema as s
from triage.store.dberrors import store_error


class AccountSecurity:
    """Reads and writes ``users.disabled`` and ``users.totp_secret``; raises StoreError."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def disable(self, name: str) -> bool:
        """Disable user ``name``; True when it existed and was enabled."""
        u = s.users
        try:
            with self.engine.begin() as c:
                return bool(c.execute(update(u).where(u.c.name == name, u.c.disabled.is_(False))
                                      .values(disabled=True)).rowcount)
        except SQLAlchemyError as exc:
            raise store_error(f"cannot disable user {name!r}", exc) from exc

    def totp_secret(self, name: str) -> str | None:
        """The TOTP secret of enabled user ``name``, None when it has none."""
        u = s.users
        try:
            with self.engine.connect() as c:
                return c.execute(select(u.c.totp_secret).where(
                    u.c.name == name, u.c.disabled.is_(False))).scalar()
        except SQLAlchemyError as exc:
            raise store_error(f"cannot read user {name!r}", exc) from exc

    def set_totp_secret(self, name: str, secret: str | None) -> bool:
        """Set (or with None remove) the TOTP secret of user ``name``; True when it exists."""
        u = s.users
        try:
            with self.engine.begin() as c:
                return bool(c.execute(update(u).where(u.c.name == name)
                                      .values(totp_secret=secret)).rowcount)
        except SQLAlchemyError as exc:
            raise store_error(f"cannot save user {name!r}", exc) from exc
