"""Accounts of the review page: the ``users`` table (name, role, password hash, disabled).

Hashing and checking passwords is ``triage.web.accounts``; this module only stores them, with
the optional TOTP secret. Sessions are rows of their own (``triage.store.web_sessions``).
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import insert, select, update

from triage.store import schema as s
from triage.store.base import Aggregate


class UserRow(NamedTuple):
    """A stored, enabled user."""

    name: str
    role: str
    password_hash: str


class Accounts(Aggregate):
    """Reads and writes the ``users`` table."""

    def set_user(self, name: str, password_hash: str, role: str) -> bool:
        """Create user ``name``, or reset its password, role and enable it; return True when
        it is new."""
        u = s.users
        with self.write(f"cannot save user {name!r}") as c:
            exists = c.execute(select(u.c.id).where(u.c.name == name)).first()
            if exists:
                c.execute(update(u).where(u.c.id == exists[0]).values(
                    password_hash=password_hash, role=role, disabled=False))
                return False
            c.execute(insert(u).values(name=name, password_hash=password_hash, role=role,
                                       created_at=self.clock.now(), disabled=False))
            return True

    def user(self, name: str) -> UserRow | None:
        """Return the enabled user ``name`` with its password hash, or None."""
        u = s.users
        with self.read(f"cannot read user {name!r}") as c:
            row = c.execute(select(u.c.name, u.c.role, u.c.password_hash).where(
                u.c.name == name, u.c.disabled.is_(False))).first()
        return UserRow(row.name, row.role, row.password_hash) if row else None

    def users(self) -> list[tuple[str, str]]:
        """Return the name and role of every enabled user, by name."""
        u = s.users
        with self.read("cannot read the users") as c:
            return [(r.name, r.role) for r in c.execute(
                select(u.c.name, u.c.role).where(u.c.disabled.is_(False)).order_by(u.c.name))]

    def set_password_hash(self, name: str, password_hash: str) -> None:
        """Replace the password hash of user ``name`` (a rehash with newer parameters)."""
        u = s.users
        with self.write(f"cannot save user {name!r}") as c:
            c.execute(update(u).where(u.c.name == name).values(password_hash=password_hash))

    def disable(self, name: str) -> bool:
        """Disable user ``name``; True when it existed and was enabled."""
        u = s.users
        with self.write(f"cannot disable user {name!r}") as c:
            return bool(c.execute(update(u).where(u.c.name == name, u.c.disabled.is_(False))
                                  .values(disabled=True)).rowcount)

    def totp_secret(self, name: str) -> str | None:
        """The TOTP secret of enabled user ``name``, None when it has none."""
        u = s.users
        with self.read(f"cannot read user {name!r}") as c:
            return c.execute(select(u.c.totp_secret).where(
                u.c.name == name, u.c.disabled.is_(False))).scalar()

    def set_totp_secret(self, name: str, secret: str | None) -> bool:
        """Set (or with None remove) the TOTP secret of user ``name``; True when it exists."""
        u = s.users
        with self.write(f"cannot save user {name!r}") as c:
            return bool(c.execute(update(u).where(u.c.name == name)
                                  .values(totp_secret=secret)).rowcount)
