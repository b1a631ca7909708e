"""Accounts of the review page: users with roles, argon2 password hashes (the sign-in limit
and sessions are in triage.web.sessions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from triage.errors import AuthError, ConfigError, NotFound
from triage.store import Store

Role = Literal["agent", "admin"]
ROLES: tuple[str, ...] = ("agent", "admin")
MIN_PASSWORD = 10

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password-ever")


@dataclass(frozen=True)
class User:
    """A signed-in person: name and role."""

    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        """True for admins (who can also do everything an agent does)."""
        return self.role == "admin"


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _hasher.hash(password)


def add_user(store: Store, name: str, password: str, role: str) -> User:
    """Create user ``name`` or reset its password and role; return it.

    Raises ConfigError naming the field when the name, role or password is unusable.
    """
    name = name.strip()
    if not name or len(name) > 200 or any(ch.isspace() for ch in name):
        raise ConfigError("user name must be 1-200 characters without spaces", key="NAME",
                          fix="pick a name such as 'ann' or 'ann.lee'")
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}", key="--role", fix="use agent or admin")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"password is shorter than {MIN_PASSWORD} characters",
                          key="password", fix="choose a longer password")
    store.accounts.set_user(name, hash_password(password), role)
    store.audit("cli", "user_set", None, {"user": name, "role": role})
    return User(name, role)


def get_user(store: Store, name: str) -> User:
    """Return the enabled user ``name``; raises NotFound."""
    row = store.accounts.user(name)
    if row is None:
        raise NotFound(f"user {name!r} does not exist or is disabled")
    return User(row.name, row.role)


def list_users(store: Store) -> list[User]:
    """Return every enabled user, by name."""
    return [User(name, role) for name, role in store.accounts.users()]


def authenticate(store: Store, name: str, password: str) -> User:
    """Return the user when ``password`` is right; raises AuthError (same text either way)."""
    row = store.accounts.user(name)
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise AuthError("wrong user name or password") from None
    if row is None:
        raise AuthError("wrong user name or password")
    if _hasher.check_needs_rehash(row.password_hash):
        store.accounts.set_password_hash(name, hash_password(password))
    return User(row.name, row.role)

