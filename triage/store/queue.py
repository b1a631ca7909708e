"""Read models of the message page (a message with its thread, deadline, corrections and
outbox rows), the filter pickers and the message-level dashboard. The queue itself is
``triage.store.conversations``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select

from triage.store import schema as s
from triage.store.base import Aggregate, row_dict
from triage.store.conversations import RESPONSE_KINDS


class Queue(Aggregate):
    """What agents see of a message: read-only queries over messages, deadlines,
    corrections and the outbox, the filter pickers' values and the message-level dashboard.
    (The queue of conversations is ``store.conversations``; a message's current draft,
    classification and assignee are ``store.drafts``' reads, shared with the review
    actions.)"""

    def filter_choices(self) -> dict[str, list[str]]:
        """Return the values seen for each filterable column (for the filter pickers)."""
        m, cl = s.messages, s.classifications
        with self.read("cannot read the queue filters") as c:
            def distinct(col: Any) -> list[str]:
                return sorted(str(r[0]) for r in c.execute(select(col).distinct()) if r[0])
            return {"channel": distinct(m.c.channel), "source": distinct(m.c.source),
                    "language": distinct(cl.c.language)}

    def known_sources(self) -> list[str]:
        """Names of every source that stored a message."""
        with self.read("cannot read the sources") as c:
            return sorted(r[0] for r in c.execute(select(s.messages.c.source).distinct()))

    def thread_messages(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """Return every message of ``message``'s thread, oldest first (just it when
        unthreaded)."""
        if not message.get("thread_id"):
            return [message]
        m = s.messages
        cols = [c for c in m.c if c.name != "raw"]
        with self.read("cannot read the thread") as c:
            rows = c.execute(select(*cols).where(m.c.thread_id == message["thread_id"])
                             .order_by(m.c.received_at, m.c.id))
            return [row_dict(r) for r in rows]

    def thread_replies(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the replies triage sent (or is sending) in ``message``'s conversation,
        oldest first: outbox rows with their text, recipient, agent and times."""
        o, m = s.outbox, s.messages
        cond = (m.c.thread_id == message["thread_id"] if message.get("thread_id")
                else m.c.id == message["id"])
        with self.read("cannot read the thread's replies") as c:
            return [row_dict(r) for r in c.execute(
                select(o).join(m, m.c.id == o.c.message_id)
                .where(cond, o.c.status.in_(["sent", "pending", "sending", "in_doubt"]))
                .order_by(o.c.id))]

    def deadline(self, message_id: int) -> dict[str, Any] | None:
        """Return the response deadline of a message (first or next response), if any."""
        d = s.deadlines
        with self.read("cannot read the deadline") as c:
            row = c.execute(select(d).where(d.c.message_id == message_id,
                                            d.c.kind.in_(RESPONSE_KINDS))
                            .order_by(d.c.id).limit(1)).first()
        return row_dict(row) if row else None

    def open_resolution(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """Return the open resolution deadline of the message's thread, if it has one."""
        if not message.get("thread_id"):
            return None
        d, m = s.deadlines, s.messages
        with self.read("cannot read the resolution deadline") as c:
            row = c.execute(select(d).join(m, m.c.id == d.c.message_id).where(
                m.c.thread_id == message["thread_id"], d.c.kind == "resolution",
                d.c.state != "met").order_by(d.c.due_at).limit(1)).first()
        return row_dict(row) if row else None

    def corrections(self, message_id: int) -> list[dict[str, Any]]:
        """Return the reclassifications recorded for a message, oldest first."""
        co = s.corrections
        with self.read("cannot read the corrections") as c:
            return [row_dict(r) for r in c.execute(
                select(co).where(co.c.message_id == message_id).order_by(co.c.id))]

    def outbox_rows(self, message_id: int) -> list[dict[str, Any]]:
        """Return the outbox rows of a message, newest first."""
        o = s.outbox
        with self.read("cannot read the outbox") as c:
            return [row_dict(r) for r in c.execute(
                select(o).where(o.c.message_id == message_id).order_by(o.c.id.desc()))]

    def dashboard(self) -> dict[str, dict[str, int]]:
        """Return counts of open (not met) messages by state, category, channel and
        language, plus all messages by status and the outbox by status."""
        m, cl, d, o = s.messages, s.classifications, s.deadlines, s.outbox
        base = (select(m.c.id, m.c.channel, cl.c.category, cl.c.language, d.c.state)
                .select_from(m)
                .join(d, and_(d.c.message_id == m.c.id, d.c.kind == "first_response"))
                .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
                .where(m.c.status == "processed", m.c.is_auto.is_(False))).subquery()
        out: dict[str, dict[str, int]] = {}
        with self.read("cannot read the dashboard") as c:
            for key in ("state", "category", "channel", "language"):
                col = base.c[key]
                rows = c.execute(select(col, func.count()).group_by(col).order_by(col))
                out[key] = {str(r[0] or "-"): int(r[1]) for r in rows}
            out["messages"] = {str(r[0]): int(r[1]) for r in c.execute(
                select(m.c.status, func.count()).group_by(m.c.status))}
            out["outbox"] = {str(r[0]): int(r[1]) for r in c.execute(
                select(o.c.status, func.count()).group_by(o.c.status))}
        return out
