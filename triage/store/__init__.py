"""The message store: one SQLAlchemy code path for SQLite and PostgreSQL."""

from triage.store.store import Store

__all__ = ["Store"]
