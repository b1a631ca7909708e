"""A sentence encoder's re-scores of unsure messages (``[classifier.encoder]``): which messages
to re-score, and the new label and draft written in one transaction with the record that the
message was re-scored (``encoder_rescores``, one row per message: never re-scored twice).

The messages are those the LLM's second opinion reads too (:func:`unsure_untouched`); the
write checks again that no agent touched the message meanwhile, and replaces nothing if one did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, insert, select, update

from triage.models import Classification, Draft
from triage.store import schema as s
from triage.store.base import Aggregate, row_dict
from triage.store.drafts import (
    OPEN,
    PIPELINE_AUTHOR,
    classification_values,
    draft_values,
    move_response_deadline,
    supersede_drafts,
)
from triage.store.opinions import unsure_untouched
from triage.store.summary import refresh_messages


@dataclass(frozen=True)
class Rescore:
    """The encoder's verdict on one message, and what follows when its label changes: the
    new classification, draft and response deadline (``draft`` None: the label stays)."""

    message_id: int
    old_category: str
    classification: Classification
    head: str
    weight: float
    draft: Draft | None = None
    due_at: datetime | None = None
    policy: str = ""
    priority: str = "normal"
    state: str = "ok"


class EncoderRescores(Aggregate):
    """Reads and writes of ``encoder_rescores``; one transaction per call."""

    def to_rescore(self, limit: int, *, languages: Sequence[str]) -> list[dict[str, Any]]:
        """Return up to ``limit`` unsure messages no agent touched, in ``languages``, never
        re-scored, newest first: ``id``, ``subject``, ``text``, ``full_text``, ``language``,
        ``category``, ``confidence``, ``model_version``, ``scores``. Raises StoreError."""
        m, cl, r = s.messages, s.classifications, s.encoder_rescores
        q = (select(m.c.id, m.c.subject, m.c.text, m.c.full_text, cl.c.language,
                    cl.c.category, cl.c.confidence, cl.c.model_version, cl.c.scores)
             .select_from(m)
             .join(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
             .where(*unsure_untouched(), cl.c.language.in_(list(languages)),
                    ~exists().where(r.c.message_id == m.c.id))
             .order_by(m.c.received_at.desc(), m.c.id.desc()).limit(limit))
        with self.read("cannot read the messages to re-score") as c:
            return [row_dict(row) for row in c.execute(q)]

    def record(self, r: Rescore) -> bool:
        """Record the re-score of ``r.message_id`` and, when ``r.draft`` is set and the message
        is still unsure and untouched, make ``r.classification`` current, supersede the open
        draft by ``r.draft`` (written by the pipeline, so still untouched) and move the open
        response deadline. Return whether the label and draft were replaced. Raises StoreError
        (also when the message was re-scored already)."""
        m, cl, d = s.messages, s.classifications, s.drafts
        now = self.clock.now()
        with self.write(f"cannot store the re-score of message {r.message_id}") as c:
            applied = False
            if r.draft is not None:
                still = c.execute(
                    select(m.c.id).select_from(m)
                    .join(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
                    .where(m.c.id == r.message_id, cl.c.category == r.old_category,
                           *unsure_untouched())).first()
                applied = still is not None
            if applied:
                assert r.draft is not None
                c.execute(update(cl).where(cl.c.message_id == r.message_id)
                          .values(current=False))
                c.execute(insert(cl).values(classification_values(
                    r.message_id, r.classification, now)))
                supersede_drafts(c, [r.message_id], now, (OPEN,))
                c.execute(insert(d).values(draft_values(r.message_id, r.draft, now,
                                                        PIPELINE_AUTHOR)))
                if r.due_at is not None:
                    move_response_deadline(c, r.message_id, r.due_at, r.policy, r.priority,
                                           r.state)
            c.execute(insert(s.encoder_rescores).values(
                message_id=r.message_id, old_category=r.old_category,
                new_category=r.classification.category, head=r.head, weight=r.weight,
                confidence=r.classification.confidence, applied=applied, rescored_at=now))
            if applied:
                refresh_messages(c, [r.message_id])
        return applied

    def of_message(self, message_id: int) -> dict[str, Any] | None:
        """Return the re-score of ``message_id`` (``old_category``, ``new_category``,
        ``confidence`` (the blend's in ``new_category``; None on rows re-scored before
        migration 0023), ``head``, ``weight``, ``applied``, ``rescored_at``), or None.
        Raises StoreError."""
        r = s.encoder_rescores
        q = select(r.c.old_category, r.c.new_category, r.c.confidence, r.c.head, r.c.weight,
                   r.c.applied, r.c.rescored_at).where(r.c.message_id == message_id)
        with self.read("cannot read the encoder's re-score") as c:
            row = c.execute(q).first()
        return None if row is None else row_dict(row)
