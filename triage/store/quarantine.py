"""Quarantined messages: the admins' list, retry after a fix, dismiss.

A message is quarantined when it could not be parsed or processed (its ``error`` says why).
Its raw bytes are kept (until retention purges them), so an admin can download them, fix what
was wrong (a parser or a model update) and retry: the message is parsed again from its raw
bytes, threaded, and marked new for the next processing run. Dismissing keeps the row (and its
audit trail) but takes it off the list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from triage.errors import NotFound, ReviewError
from triage.models import Threader
from triage.store import schema as s
from triage.store.base import Aggregate, row_dict
from triage.store.messages import Ingest, Messages, message_row

KEEP = ("source", "external_id", "raw_sha256", "ingested_at", "backfill")
"""Columns a retry never changes (nor the raw bytes, in ``message_raw``)."""


class Quarantine(Aggregate):
    """Reads and writes of quarantined messages."""

    def rows(self, limit: int = 500) -> list[dict[str, Any]]:
        """Return quarantined messages, newest first, with their reason and raw size."""
        m, r = s.messages, s.message_raw
        q = (select(m.c.id, m.c.source, m.c.external_id, m.c.channel, m.c.sender,
                    m.c.subject, m.c.received_at, m.c.ingested_at, m.c.error,
                    func.length(r.c.raw).label("raw_size"))
             .select_from(m.outerjoin(r, r.c.message_id == m.c.id))
             .where(m.c.status == "quarantined").order_by(m.c.id.desc()).limit(limit))
        with self.read("cannot read the quarantine") as c:
            return [row_dict(r) for r in c.execute(q)]

    def count(self) -> int:
        """Return how many messages are quarantined."""
        m = s.messages
        with self.read("cannot read the quarantine") as c:
            return int(c.execute(select(func.count()).where(
                m.c.status == "quarantined")).scalar() or 0)

    def _quarantined(self, c: Any, message_id: int) -> Any:
        m = s.messages
        row = c.execute(select(m.c.source, m.c.channel, m.c.status).where(
            m.c.id == message_id)).first()
        if row is None:
            raise NotFound(f"message {message_id} does not exist")
        if row.status != "quarantined":
            raise ReviewError(f"message {message_id} is {row.status}, not quarantined")
        return row

    def retry(self, message_id: int, item: Ingest, threader: Threader) -> str:
        """Store ``item`` (the message parsed again) in place of quarantined message
        ``message_id``: ``new`` for processing, or quarantined again with the new reason.
        Returns the new status. Raises NotFound or ReviewError (not quarantined)."""
        m = s.messages
        now = self.clock.now()
        with self.write(f"cannot retry message {message_id}") as c:
            row = self._quarantined(c, message_id)
            thread_id = None
            if item.parsed is not None:
                plan = threader([item.parsed], lambda want: Messages._candidates(c, want))
                [thread_id] = Messages._save_threads(c, plan, now)
            values = message_row(row.source, item, now, row.channel, thread_id)
            for key in KEEP:
                values.pop(key, None)
            c.execute(update(m).where(m.c.id == message_id).values(
                **values, processed_at=None, claim_owner=None, claim_until=None))
            return str(values["status"])

    def dismiss(self, message_id: int) -> None:
        """Take a quarantined message off the list (status ``dismissed``). Raises NotFound or
        ReviewError."""
        m = s.messages
        with self.write(f"cannot dismiss message {message_id}") as c:
            self._quarantined(c, message_id)
            c.execute(update(m).where(m.c.id == message_id).values(status="dismissed"))
