"""Operations reads: what ``/healthz``, ``/metrics`` and ``triage status`` show of the store.

Read-only and cheap: a handful of grouped counts, so a scrape every few seconds costs little.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import and_, func, inspect, literal, select

from triage.store import schema as s
from triage.store.base import Aggregate, row_dict


class MessageCount(NamedTuple):
    """Messages of one source, category (``none`` when unclassified) and status."""

    source: str
    category: str
    status: str
    count: int


class StatusReads(Aggregate):
    """Counts and states for health checks, metrics and status output."""

    def ping(self) -> None:
        """Run the cheapest query; raises StoreError when the store does not answer."""
        with self.read("the store does not answer") as c:
            c.execute(select(literal(1))).scalar()

    def message_counts(self) -> list[MessageCount]:
        """Return message counts by source, current category and status."""
        m, cl = s.messages, s.classifications
        category = func.coalesce(cl.c.category, "none")
        q = (select(m.c.source, category, m.c.status, func.count())
             .select_from(m)
             .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
             .group_by(m.c.source, category, m.c.status))
        with self.read("cannot count messages") as c:
            return [MessageCount(str(r[0]), str(r[1]), str(r[2]), int(r[3]))
                    for r in c.execute(q)]

    def deadline_states(self) -> dict[str, int]:
        """Return deadline counts by state."""
        d = s.deadlines
        with self.read("cannot count deadlines") as c:
            return {str(r[0]): int(r[1]) for r in c.execute(
                select(d.c.state, func.count()).group_by(d.c.state))}

    def source_health(self) -> list[dict[str, Any]]:
        """Return each source's name, consecutive failures, last success and lease owner."""
        src = s.sources
        with self.read("cannot read the sources") as c:
            return [row_dict(r) for r in c.execute(
                select(src.c.name, src.c.failures, src.c.last_success_at, src.c.lease_owner)
                .order_by(src.c.name))]

    def outbox_counts(self) -> dict[str, int] | None:
        """Return outbox rows by status, or None when the store has no outbox table yet."""
        o = s.outbox
        with self.read("cannot count the outbox") as c:
            if not inspect(c).has_table(o.name):
                return None
            return {str(r[0]): int(r[1]) for r in c.execute(
                select(o.c.status, func.count()).group_by(o.c.status))}

    def job_leases(self) -> list[dict[str, Any]]:
        """Return the singleton jobs' leases (name, owner, until, last_run_at), by name."""
        j = s.job_leases
        with self.read("cannot read the job leases") as c:
            return [row_dict(r) for r in c.execute(select(j).order_by(j.c.name))]
