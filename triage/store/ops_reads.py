"""What ``/healthz`` reads from the store: whether it answers, and how far behind processing is.

Two small queries, both cheap on a large store: ``SELECT 1``, and the oldest ``ingested_at``
among messages still waiting to be processed (status ``new``, on ``ix_messages_status``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from triage.clock import ensure_utc
from triage.store import schema as s
from triage.store.dberrors import store_error


class OpsReads:
    """Health reads over one engine; every method raises StoreError when the store is down."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ping(self) -> None:
        """Run ``SELECT 1``; raises StoreError when the store does not answer."""
        try:
            with self.engine.connect() as c:
                c.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise store_error("the store does not answer", exc) from exc

    def oldest_waiting(self) -> datetime | None:
        """When the oldest message still waiting to be processed was stored (None: none
        waits). Raises StoreError."""
        m = s.messages
        try:
            with self.engine.connect() as c:
                value = c.execute(select(func.min(m.c.ingested_at))
                                  .where(m.c.status == "new")).scalar()
        except SQLAlchemyError as exc:
            raise store_error("cannot read the processing lag", exc) from exc
        return ensure_utc(value) if value is not None else None

