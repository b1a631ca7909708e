"""What the model learns from the agents, read back: the "help the model" candidates and the
model's record on the agents' labels (corrections and confirmations).

Two reads, one statement each. The review service picks the few most useful candidates
(``classifiers.uncertainty``); the classifier page turns the labelled rows into accuracy per
language, per category and per week.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select

from triage.store import schema as s
from triage.store.base import Aggregate, row_dict
from triage.store.drafts import OPEN, PIPELINE_AUTHOR

AGENT_PREFIX = "agent:"
"""``classifications.model_version`` of a label an agent gave."""


class Learning(Aggregate):
    """Reads of active learning and of the model's accuracy on the agents' labels."""

    def unsure_candidates(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Return up to ``limit`` untouched messages the model labelled, newest first.

        Untouched: processed customer mail whose current label is the model's, that no agent
        corrected or confirmed, and whose draft is open and unedited. Each row has ``id``,
        ``subject``, ``text``, ``sender``, ``received_at``, ``channel`` and the current
        classification's ``category``, ``confidence``, ``language``, ``needs_review``,
        ``scores``, ``model_version``. Raises StoreError.
        """
        m, cl, co, d = s.messages, s.classifications, s.corrections, s.drafts
        q = (select(m.c.id, m.c.subject, m.c.text, m.c.sender, m.c.received_at, m.c.channel,
                    cl.c.category, cl.c.confidence, cl.c.language, cl.c.needs_review,
                    cl.c.scores, cl.c.model_version)
             .select_from(m)
             .join(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
             .where(m.c.status == "processed", m.c.is_auto.is_(False),
                    ~cl.c.model_version.startswith(AGENT_PREFIX),
                    ~exists().where(co.c.message_id == m.c.id),
                    exists().where(d.c.message_id == m.c.id, d.c.status == OPEN,
                                   d.c.updated_by == PIPELINE_AUTHOR))
             .order_by(m.c.received_at.desc(), m.c.id.desc()).limit(limit))
        with self.read("cannot read the messages the model is unsure of") as c:
            return [row_dict(r) for r in c.execute(q)]

    def labelled_outcomes(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Return, per message an agent labelled (its newest correction or confirmation), what
        the model had said and what the agent said, oldest first.

        Each row: ``message_id``, ``language`` (the model's), ``model_category``,
        ``needs_review`` (whether the model flagged it), ``model_version``, ``classified_at``
        (when the model labelled it), ``agent_category``, ``agent``, ``labelled_at``. Messages
        the model never labelled (imported corrections) are left out; with ``since``, only
        messages the model labelled after it. Raises StoreError.
        """
        co, cl = s.corrections, s.classifications
        co2, cl2 = co.alias("co2"), cl.alias("cl2")
        newest_label = (select(func.max(co2.c.id)).where(co2.c.message_id == co.c.message_id)
                        .scalar_subquery())
        model_label = (select(func.max(cl2.c.id))
                       .where(cl2.c.message_id == co.c.message_id,
                              ~cl2.c.model_version.startswith(AGENT_PREFIX))
                       .scalar_subquery())
        q = (select(co.c.message_id, cl.c.language, cl.c.category.label("model_category"),
                    cl.c.needs_review, cl.c.model_version,
                    cl.c.created_at.label("classified_at"),
                    co.c.new_category.label("agent_category"), co.c.agent,
                    co.c.created_at.label("labelled_at"))
             .select_from(co).join(cl, cl.c.id == model_label)
             .where(co.c.id == newest_label)
             .order_by(cl.c.created_at, co.c.message_id))
        if since is not None:
            q = q.where(cl.c.created_at > since)
        with self.read("cannot read the agents' labels") as c:
            return [row_dict(r) for r in c.execute(q)]

    def situation_choices(self, limit: int = 5000) -> list[dict[str, Any]]:
        """Return the situation agents chose for messages by switching it (the audit log's
        ``switch_situation`` lines; the newest per message counts), newest first, at most
        ``limit`` messages.

        Each row has ``message_id``, ``situation`` (the agent's choice), ``subject``, ``text``,
        ``attachments`` and the current classification's ``language``, for the situation
        model to learn from (:func:`triage.drafting.situation_model.agent_examples`). Raises
        StoreError.
        """
        a, m, cl = s.audit_log, s.messages, s.classifications
        newest = (select(a.c.message_id, func.max(a.c.id).label("id"))
                  .where(a.c.action == "switch_situation", a.c.message_id.is_not(None))
                  .group_by(a.c.message_id).subquery())
        q = (select(a.c.message_id, a.c.detail, m.c.subject, m.c.text, m.c.attachments,
                    cl.c.language)
             .select_from(newest).join(a, a.c.id == newest.c.id)
             .join(m, m.c.id == a.c.message_id)
             .join(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
             .where(m.c.is_auto.is_(False))
             .order_by(a.c.id.desc()).limit(limit))
        with self.read("cannot read the agents' situation choices") as c:
            rows = [row_dict(r) for r in c.execute(q)]
        out = []
        for r in rows:
            detail = r.pop("detail") or {}
            if detail.get("to"):
                out.append({**r, "situation": str(detail["to"])})
        return out
