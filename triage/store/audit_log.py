"""Reading the audit log (the admins' page and its export), and who is acting right now.

``acting_client`` is set by the review page for the length of one request; every audit line
written meanwhile records that client address, so the log says from where, not only who.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from triage.clock import ensure_utc
from triage.store import schema as s

acting_client: ContextVar[str | None] = ContextVar("acting_client", default=None)
"""Address of the client whose request is being served (None outside a request)."""


@dataclass(frozen=True)
class AuditFilter:
    """Which lines to read: any of these left empty does not filter."""

    actor: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None


class AuditReads:
    """Lines of ``audit_log``, newest first; raises StoreError. (Not an ``Aggregate``:
    ``triage.store.base`` imports ``acting_client`` from here.)"""

    def __init__(self, reader: Any) -> None:
        self.read = reader.read

    def _query(self, f: AuditFilter) -> Any:
        a = s.audit_log
        q = select(a.c.id, a.c.at, a.c.actor, a.c.action, a.c.message_id, a.c.detail)
        if f.actor:
            q = q.where(a.c.actor == f.actor)
        if f.action:
            q = q.where(a.c.action == f.action)
        if f.since is not None:
            q = q.where(a.c.at >= f.since)
        if f.until is not None:
            q = q.where(a.c.at < f.until)
        return q.order_by(a.c.at.desc(), a.c.id.desc())

    @staticmethod
    def _line(row: Any) -> dict[str, Any]:
        detail = dict(row.detail or {})
        return {"id": row.id, "at": ensure_utc(row.at), "actor": row.actor,
                "action": row.action, "message_id": row.message_id,
                "client": detail.pop("client", None), "detail": detail}

    def page(self, f: AuditFilter, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """One page of lines matching ``f``."""
        with self.read("cannot read the audit log") as c:
            return [self._line(r) for r in c.execute(
                self._query(f).limit(limit).offset(offset))]

    def all(self, f: AuditFilter, chunk: int = 1000) -> Iterator[dict[str, Any]]:
        """Every line matching ``f``, read ``chunk`` at a time (for the export)."""
        offset = 0
        while True:
            lines = self.page(f, chunk, offset)
            yield from lines
            if len(lines) < chunk:
                return
            offset += chunk

    def actions(self) -> list[str]:
        """The distinct actions in the log (the page's filter)."""
        a = s.audit_log
        with self.read("cannot read the audit log") as c:
            return sorted(str(r[0]) for r in c.execute(select(a.c.action).distinct()))
