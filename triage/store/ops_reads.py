"""What ``/healthz`` reads besides ``store.status.ping``: how far behind processing is.

One cheap query: the oldest ``ingested_at`` among messages still waiting to be processed
(status ``new``, on ``ix_messages_status``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from triage.store import schema as s
from triage.store.base import Aggregate, aware


class OpsReads(Aggregate):
    """The processing lag; every method raises StoreError when the store is down."""

    def oldest_waiting(self) -> datetime | None:
        """When the oldest message still waiting to be processed was stored (None: none
        waits). Raises StoreError."""
        m = s.messages
        with self.read("cannot read the processing lag") as c:
            value = c.execute(select(func.min(m.c.ingested_at))
                              .where(m.c.status == "new")).scalar()
        return aware(value)
