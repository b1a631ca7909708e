"""A local LLM's second opinions on unsure messages (``[classifier.llm]``): which messages to
ask about, the answers and failures, and the answer shown beside the model's label.

One row per message in ``llm_opinions``. The job writes it; nothing here changes a label or a
draft (an agent decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, insert, or_, select, update

from triage.store import schema as s
from triage.store.base import Aggregate, row_dict
from triage.store.drafts import OPEN, PIPELINE_AUTHOR
from triage.store.learning import AGENT_PREFIX

ANSWERED = "answered"
FAILED = "failed"


def unsure_untouched() -> list[ColumnElement[bool]]:
    """Conditions on ``messages`` joined to its current ``classifications`` row: an unsure
    (``needs_review``) processed customer message whose label is the model's, untouched by an
    agent (no correction or confirmation, the draft open and unedited). The background jobs
    on unsure messages (this LLM's and the sentence encoder's) read these."""
    m, cl, co, d = s.messages, s.classifications, s.corrections, s.drafts
    return [m.c.status == "processed", m.c.is_auto.is_(False), cl.c.needs_review.is_(True),
            ~cl.c.model_version.startswith(AGENT_PREFIX),
            ~exists().where(co.c.message_id == m.c.id),
            exists().where(d.c.message_id == m.c.id, d.c.status == OPEN,
                           d.c.updated_by == PIPELINE_AUTHOR)]


class LlmOpinions(Aggregate):
    """Reads and writes of ``llm_opinions``; one transaction per call."""

    def to_ask(self, limit: int, *, languages: Sequence[str] = (),
               max_attempts: int = 3) -> list[dict[str, Any]]:
        """Return up to ``limit`` messages to ask about, newest first.

        Those are unsure (``needs_review``) processed customer messages whose current label
        is the model's, untouched by an agent (no correction or confirmation, the draft open
        and unedited), in one of ``languages`` (all when empty), never answered, and failed
        fewer than ``max_attempts`` times. Each row has ``id``, ``subject``, ``text``,
        ``language``, ``category`` and ``attempts`` (0 when never asked). Raises StoreError.
        """
        m, cl, o = s.messages, s.classifications, s.llm_opinions
        q = (select(m.c.id, m.c.subject, m.c.text, cl.c.language, cl.c.category,
                    o.c.attempts)
             .select_from(m)
             .join(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
             .outerjoin(o, o.c.message_id == m.c.id)
             .where(*unsure_untouched(),
                    or_(o.c.id.is_(None),
                        and_(o.c.status == FAILED, o.c.attempts < max_attempts)))
             .order_by(m.c.received_at.desc(), m.c.id.desc()).limit(limit))
        if languages:
            q = q.where(cl.c.language.in_(list(languages)))
        with self.read("cannot read the messages to ask the LLM about") as c:
            rows = [row_dict(r) for r in c.execute(q)]
        for r in rows:
            r["attempts"] = r["attempts"] or 0
        return rows

    def _save(self, message_id: int, values: dict[str, Any], action: str) -> None:
        o = s.llm_opinions
        with self.write(action) as c:
            row = c.execute(select(o.c.id, o.c.attempts)
                            .where(o.c.message_id == message_id)).first()
            if row is None:
                c.execute(insert(o).values(message_id=message_id, attempts=1, **values))
            else:
                c.execute(update(o).where(o.c.id == row.id)
                          .values(attempts=row.attempts + 1, **values))

    def record_answer(self, message_id: int, label: str, reason: str, model: str) -> None:
        """Store the answer about ``message_id`` (asked now). Raises StoreError."""
        self._save(message_id, {"status": ANSWERED, "label": label, "reason": reason,
                                "model": model, "asked_at": self.clock.now(), "error": None},
                   f"cannot store the LLM's answer about message {message_id}")

    def record_failure(self, message_id: int, model: str, error: str) -> None:
        """Count a malformed answer about ``message_id`` (it is asked again while fewer than
        ``max_attempts`` failed). Raises StoreError."""
        self._save(message_id, {"status": FAILED, "label": None, "reason": None,
                                "model": model, "asked_at": self.clock.now(),
                                "error": error[:500]},
                   f"cannot record the LLM's failure on message {message_id}")

    def of_message(self, message_id: int) -> dict[str, Any] | None:
        """Return the row of ``message_id`` (``status``, ``label``, ``reason``, ``model``,
        ``asked_at``, ``attempts``, ``error``), or None when it was never asked about.
        Raises StoreError."""
        o = s.llm_opinions
        q = select(o.c.status, o.c.label, o.c.reason, o.c.model, o.c.asked_at, o.c.attempts,
                   o.c.error).where(o.c.message_id == message_id)
        with self.read("cannot read the LLM's answer") as c:
            row = c.execute(q).first()
        return row_dict(row) if row is not None else None
