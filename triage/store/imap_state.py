"""Store queries of the IMAP write-back: what to write, and what was written.

Kept apart from the other aggregates so the IMAP feature stays in its own modules; every
function takes the :class:`~triage.store.Store` (anything with its engine and clock) and runs
one transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update

from triage.store import schema as s
from triage.store.base import StoreLike

DUE = ("due_soon", "breached")
"""Deadline states in which the message is \\Flagged on the server."""


def writeback_rows(store: StoreLike, source: str, limit: int = 500) -> list[dict[str, Any]]:
    """Return up to ``limit`` processed messages of ``source`` whose server state may have to
    change (never written back, flag out of date, newer draft, reclassified).

    Each row has the message fields, its current category, deadline state, newest open
    draft (id, subject, text) and what was already written (``wb_*`` columns, None when
    nothing was).
    """
    m, cl, d, dr, wb = s.messages, s.classifications, s.deadlines, s.drafts, s.imap_writeback
    newest = (select(func.max(dr.c.id)).where(dr.c.message_id == m.c.id,
                                              dr.c.status == "pending_review")
              .correlate(m).scalar_subquery())
    q = (select(m.c.id, m.c.external_id, m.c.message_id, m.c.references, m.c.sender,
                m.c.sender_name, m.c.subject, m.c.is_auto, m.c.backfill, cl.c.category,
                d.c.state, dr.c.id.label("draft_id"), dr.c.subject.label("draft_subject"),
                dr.c.text.label("draft_text"), wb.c.keyword.label("wb_keyword"),
                wb.c.flagged.label("wb_flagged"), wb.c.draft_id.label("wb_draft_id"),
                wb.c.moved_to.label("wb_moved_to"), wb.c.id.label("wb_id"))
         .select_from(m)
         .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
         .outerjoin(d, and_(d.c.message_id == m.c.id, d.c.kind == "first_response"))
         .outerjoin(dr, dr.c.id == newest)
         .outerjoin(wb, wb.c.message_id == m.c.id)
         .where(m.c.source == source, m.c.status == "processed",
                or_(wb.c.id.is_(None), wb.c.moved_to == ""),  # moved mail is not ours now
                or_(wb.c.id.is_(None),  # never written back
                    and_(d.c.state.in_(DUE), wb.c.flagged.is_(False)),  # flag to set
                    and_(or_(d.c.state.is_(None), d.c.state.not_in(DUE)),
                         wb.c.flagged.is_(True)),  # flag to clear
                    dr.c.id != wb.c.draft_id,  # a newer draft to append
                    cl.c.created_at > wb.c.updated_at))  # reclassified: new keyword
         .order_by(m.c.id).limit(limit))
    with store.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(q)]


def save_writeback(store: StoreLike, source: str, message_id: int, **values: Any) -> None:
    """Record what was written back for one message (insert or update)."""
    wb = s.imap_writeback
    now = store.clock.now()
    with store.engine.begin() as c:
        done = c.execute(update(wb).where(wb.c.message_id == message_id).values(
            updated_at=now, **values)).rowcount
        if not done:
            base: dict[str, Any] = {"keyword": "", "flagged": False, "moved_to": ""}
            base.update(values)
            c.execute(insert(wb).values(message_id=message_id, source=source, updated_at=now,
                                        **base))


def writeback_state(store: StoreLike, message_id: int) -> dict[str, Any] | None:
    """Return the write-back row of one message, or None."""
    wb = s.imap_writeback
    with store.engine.connect() as c:
        row = c.execute(select(wb).where(wb.c.message_id == message_id)).first()
    return dict(row._mapping) if row else None


def record_sent_copy(store: StoreLike, source: str, message_id: int, reply_message_id: str,
                     raw: bytes) -> bool:
    """Queue a sent reply for the Sent folder of ``source``; False if it is queued already."""
    sc = s.imap_sent_copies
    with store.engine.begin() as c:
        if c.execute(select(sc.c.id).where(sc.c.reply_message_id == reply_message_id)).first():
            return False
        c.execute(insert(sc).values(message_id=message_id, source=source,
                                    reply_message_id=reply_message_id, raw=raw,
                                    created_at=store.clock.now()))
    return True


def pending_sent_copies(store: StoreLike, source: str, limit: int = 200) -> list[dict[str, Any]]:
    """Return sent replies of ``source`` not yet in its Sent folder, oldest first."""
    sc = s.imap_sent_copies
    with store.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(
            select(sc).where(sc.c.source == source, sc.c.appended_at.is_(None))
            .order_by(sc.c.id).limit(limit))]


def sent_copy_done(store: StoreLike, copy_id: int, *, uid: int | None = None,
                   error: str | None = None) -> None:
    """Record that a copy is in the Sent folder (``uid``), or why it is not yet (``error``)."""
    sc = s.imap_sent_copies
    values: dict[str, Any] = {"error": error}
    if error is None:
        values.update(appended_at=store.clock.now(), uid=uid)
    with store.engine.begin() as c:
        c.execute(update(sc).where(sc.c.id == copy_id).values(**values))
