"""The store: the only package that speaks SQL, one module per aggregate behind the
:class:`Store` facade (see ``store.py``); one SQLAlchemy code path for SQLite and PostgreSQL."""

from triage.store.base import aware
from triage.store.messages import Ingest
from triage.store.processing import Processed
from triage.store.store import Store

__all__ = ["Ingest", "Processed", "Store", "aware"]
