"""Store query of self-training: the unlabelled customer messages of a recent period.

Kept apart from ``store.py`` so the classifier's reads stay in one small module; the function
takes the :class:`~triage.store.store.Store` and runs one read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, select

from triage.store import schema as s
from triage.store.base import aware
from triage.store.store import Store


@dataclass(frozen=True)
class InboxMessage:
    """A stored customer message no agent has labelled (for self-training)."""

    message_id: int
    subject: str
    text: str
    received_at: datetime
    language: str
    """The language of its current classification ('' when it has none)."""


def unlabelled_messages(store: Store, since: datetime, limit: int) -> list[InboxMessage]:
    """Return up to ``limit`` processed messages received at or after ``since``, newest first.

    Left out: automatic mail (auto-replies, bounces, lists), empty messages and every message
    an agent reclassified (its correction is a label, which always wins over a pseudo-label).
    """
    m, cl, co = s.messages, s.classifications, s.corrections
    q = (select(m.c.id, m.c.subject, m.c.text, m.c.full_text, m.c.received_at, cl.c.language)
         .select_from(m)
         .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
         .where(m.c.status == "processed", m.c.is_auto.is_(False), m.c.received_at >= since,
                ~exists().where(co.c.message_id == m.c.id))
         .order_by(m.c.received_at.desc(), m.c.id.desc()).limit(limit))
    with store.engine.connect() as c:
        rows = c.execute(q).all()
    out = []
    for r in rows:
        text = r.text or r.full_text or ""
        if text.strip() or (r.subject or "").strip():
            out.append(InboxMessage(int(r.id), r.subject or "", text,
                                    aware(r.received_at), r.language or ""))  # type: ignore[arg-type]
    return out
