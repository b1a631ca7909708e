"""Drafts made stale by a newer customer message in the same conversation.

A draft answers its message with what the conversation held when it was written. When the
customer writes again in the thread (sends the order number and photo the draft asks for,
say), the newer message gets its own draft, written with the whole conversation as context,
and approving it meets the response deadlines of every customer message so far. The older
message's draft must then not be sent: processing marks it ``superseded`` (kept, never
deleted) in the same transaction that writes the newer draft, with an audit line
``supersede_draft`` (``draft_id``, ``by_message``). The message page, the commands and the
API then point to the newer message (:func:`newer_draft_message`), and approving the old
draft is refused (``triage.review.service``).

Only open drafts (``pending_review``) are superseded: an approved or sent reply has gone its
way, and a discarded draft was an agent's decision. A draft counts as the newer one while it
is open, approved or sent. Only the same sender's newer message supersedes: in a public
thread (an X or Mastodon conversation, a mail with a colleague in Cc who writes too) someone
else's message gets a draft addressed to them, and the first customer's is still owed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Connection

from triage.store import schema as s
from triage.store.base import insert_rows, one_of

OPEN = "pending_review"
LIVE = (OPEN, "approved", "sent")
"""Statuses of a draft that answers the conversation (a newer one of these makes an older
open draft stale)."""
ACTION = "supersede_draft"
"""The audit log's action for a draft superseded by a newer message's draft."""


def _key(row: Any) -> tuple[datetime, int]:
    return (row.received_at, int(row.message_id))


def _who(row: Any) -> tuple[int, str]:
    return (int(row.thread_id), str(row.sender or "").lower())


def supersede_stale(c: Connection, message_ids: Sequence[int], now: datetime,
                    actor: str = "triage") -> list[tuple[int, int, int]]:
    """Supersede the open drafts that a newer message of the same thread answers, in the
    threads of ``message_ids`` (the messages just drafted), in transaction ``c``; write one
    audit line each. Returns ``(draft_id, message_id, by_message)`` per superseded draft.

    An open draft is stale when a later message of its thread from the same sender (received
    later, or at the same instant with a higher id) has a draft that is open, approved or
    sent; ``by_message`` is the newest such message. One read of the threads' drafts,
    whatever their number.
    """
    m, d = s.messages, s.drafts
    if not message_ids:
        return []
    threads = select(m.c.thread_id).where(one_of(c, m.c.id, list(message_ids)),
                                          m.c.thread_id.is_not(None))
    rows = c.execute(select(d.c.id, d.c.status, d.c.message_id, m.c.thread_id, m.c.sender,
                            m.c.received_at).join(m, m.c.id == d.c.message_id)
                     .where(m.c.thread_id.in_(threads), d.c.status.in_(LIVE))).all()
    if not rows:
        return []
    newest: dict[tuple[int, str], Any] = {}  # (thread, sender) -> newest with a live draft
    for r in rows:
        best = newest.get(_who(r))
        if best is None or _key(r) > _key(best):
            newest[_who(r)] = r
    out = [(int(r.id), int(r.message_id), int(newest[_who(r)].message_id)) for r in rows
           if r.status == OPEN and _key(r) < _key(newest[_who(r)])]
    if out:
        c.execute(update(d).where(one_of(c, d.c.id, [x[0] for x in out]),
                                  d.c.status == OPEN)
                  .values(status="superseded", updated_at=now))
        insert_rows(c, s.audit_log, [
            dict(at=now, actor=actor, action=ACTION, message_id=mid,
                 detail={"draft_id": did, "by_message": by}) for did, mid, by in out])
    return out


def newer_draft_message(c: Connection, message_id: int) -> int | None:
    """Return the newest later message of ``message_id``'s thread, from the same sender,
    whose draft is open, approved or sent (the one that answers the customer now), or None."""
    m, d = s.messages, s.drafts
    me = c.execute(select(m.c.thread_id, m.c.received_at, m.c.sender)
                   .where(m.c.id == message_id)).first()
    if me is None or me.thread_id is None:
        return None
    later = (m.c.received_at > me.received_at) | and_(m.c.received_at == me.received_at,
                                                       m.c.id > message_id)
    found = c.execute(select(m.c.id).join(d, d.c.message_id == m.c.id)
                      .where(m.c.thread_id == me.thread_id, later, d.c.status.in_(LIVE),
                             func.lower(m.c.sender) == str(me.sender or "").lower())
                      .order_by(m.c.received_at.desc(), m.c.id.desc()).limit(1)).scalar()
    return int(found) if found is not None else None
