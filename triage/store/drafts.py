"""Drafts and what agents do to them: every statement of the review actions.

This module is the one writer of the ``drafts`` table for processing (the row built by
:func:`draft_values`, earlier drafts superseded by :func:`supersede_drafts`) and for the agent's
actions (save an edit, approve, discard, reclassify); the outbox only marks a draft sent. It also
writes assignments and corrections, and the agent's classification (built like the
pipeline's, :func:`classification_values`).

Each public method of :class:`Drafts` is one transaction. A write that finds the draft no
longer open (another agent or the outbox changed it meanwhile) raises ``ReviewError`` and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from triage.clock import Clock, ensure_utc
from triage.errors import ReviewError
from triage.models import Classification, Draft
from triage.store import schema as s
from triage.store.base import one_of
from triage.store.stale_drafts import newer_draft_message
from triage.store.summary import refresh_messages

OPEN = "pending_review"
"""The one status in which a draft may still be edited, approved or discarded."""
PIPELINE_AUTHOR = "triage"
"""``updated_by`` / ``drafted_by`` of a draft as processing wrote it (no agent touched it)."""
RESPONSE_KINDS = ("first_response", "next_response")
"""Deadline kinds that a reply meets (a resolution deadline is met by marking resolved)."""


def _as_dict(row: Row[Any]) -> dict[str, Any]:
    return {k: ensure_utc(v) if isinstance(v, datetime) else v
            for k, v in row._mapping.items()}


def draft_values(message_id: int, draft: Draft, now: datetime, by: str) -> dict[str, Any]:
    """Return the column values of a new draft row (processing and reclassification)."""
    return dict(message_id=message_id, status=draft.status, subject=draft.subject,
                text=draft.text, template=draft.template, language=draft.language,
                situation=draft.situation or "", drafted_text=draft.text, drafted_by=by,
                created_at=now, updated_at=now, updated_by=by)


def classification_values(message_id: int, cl: Classification, now: datetime) -> dict[str, Any]:
    """Return the column values of a new current classification row."""
    return dict(message_id=message_id, category=cl.category, confidence=float(cl.confidence),
                language=cl.language, model_version=cl.model_version,
                needs_review=bool(cl.needs_review), scores=cl.scores, created_at=now,
                current=True)


def supersede_drafts(c: Connection, message_ids: Sequence[int], now: datetime,
                     statuses: Sequence[str] = (OPEN,)) -> None:
    """Mark the drafts of ``message_ids`` in ``statuses`` superseded (a new draft follows)."""
    d = s.drafts
    if message_ids:
        c.execute(update(d).where(one_of(c, d.c.message_id, message_ids),
                                  d.c.status.in_(list(statuses)))
                  .values(status="superseded", updated_at=now))


def move_response_deadline(c: Connection, message_id: int, due_at: datetime, policy: str,
                           priority: str, state: str) -> None:
    """Move the unmet response deadlines of ``message_id`` to ``due_at`` (a new category's
    policy); the sweep looks at them again at its next run (``next_check_at`` cleared)."""
    dl = s.deadlines
    c.execute(update(dl).where(
        dl.c.message_id == message_id, dl.c.kind.in_(RESPONSE_KINDS),
        dl.c.state != "met").values(
        due_at=due_at, policy=policy, priority=priority, state=state, next_check_at=None))


@dataclass(frozen=True)
class Reclassification:
    """An agent's new category for a message, with what follows from it: the classification,
    the new draft, the moved response deadline and the correction for training."""

    message_id: int
    classification: Classification
    draft: Draft
    due_at: datetime | None
    policy: str
    priority: str
    state: str
    """The moved deadline's state as of now (ok, due_soon or breached)."""
    correction_text: str
    """The text the model reads (``classifiers.model.model_input``), stored for training."""
    channel: str
    old_category: str | None


class Drafts:
    """Reads and writes of the review actions. Built by the :class:`Store` facade."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    # ------------------------------------------------------------------- reads
    def current(self, message_id: int) -> dict[str, Any] | None:
        """Return the newest draft of a message that is not superseded, if any."""
        d = s.drafts
        with self.engine.connect() as c:
            row = c.execute(select(d).where(d.c.message_id == message_id,
                                            d.c.status != "superseded")
                            .order_by(d.c.id.desc()).limit(1)).first()
        return _as_dict(row) if row else None

    def superseded_by(self, message_id: int) -> tuple[dict[str, Any], int] | None:
        """Return the message's last draft and the newer message of its conversation whose
        draft answers it now, when that draft was superseded by it (no draft of the message
        itself is left to review); else None."""
        d = s.drafts
        with self.engine.connect() as c:
            row = c.execute(select(d).where(d.c.message_id == message_id)
                            .order_by(d.c.id.desc()).limit(1)).first()
            if row is None or row.status != "superseded":
                return None
            by = newer_draft_message(c, message_id)
        return (_as_dict(row), by) if by is not None else None

    def classification(self, message_id: int) -> dict[str, Any] | None:
        """Return the current classification row of a message, if any."""
        cl = s.classifications
        with self.engine.connect() as c:
            row = c.execute(select(cl).where(cl.c.message_id == message_id,
                                             cl.c.current.is_(True))
                            .order_by(cl.c.id.desc()).limit(1)).first()
        return _as_dict(row) if row else None

    def outcomes(self, since: datetime | None = None,
                 until: datetime | None = None) -> list[dict[str, Any]]:
        """Return what became of the drafts created in ``[since, until)`` that an agent
        decided on (sent, approved or discarded; superseded and open drafts left out): their
        template, language, situation, status, the text as triage drafted it
        (``drafted_text``, None for rows older than migration 0015) and the final text
        (``text``: as sent, for a sent or approved draft). The one read behind the
        "learn from use" figures of the dashboard and ``triage report``."""
        d = s.drafts
        q = select(d.c.template, d.c.language, d.c.situation, d.c.status, d.c.drafted_text,
                   d.c.text).where(d.c.status.in_(["sent", "approved", "discarded"]))
        if since is not None:
            q = q.where(d.c.created_at >= since)
        if until is not None:
            q = q.where(d.c.created_at < until)
        with self.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(q.order_by(d.c.id))]

    def assignee(self, message_id: int) -> str | None:
        """Return the agent a message is assigned to, if any."""
        a = s.assignments
        with self.engine.connect() as c:
            row = c.execute(select(a.c.agent).where(a.c.message_id == message_id)).first()
        return str(row[0]) if row else None

    # ------------------------------------------------------------------ writes
    def _set_open(self, c: Connection, draft_id: int, **values: Any) -> dict[str, Any]:
        """Update draft ``draft_id`` if it is still open; return the row after the change."""
        d = s.drafts
        n = c.execute(update(d).where(d.c.id == draft_id, d.c.status == OPEN)
                      .values(updated_at=self.clock.now(), **values)).rowcount
        row = c.execute(select(d).where(d.c.id == draft_id)).first()
        if row is None:
            raise ReviewError(f"draft {draft_id} does not exist")
        if n != 1:
            raise ReviewError(f"draft {draft_id} changed meanwhile (it is {row.status} now); "
                              "reload the message and try again")
        return _as_dict(row)

    def save_edit(self, draft_id: int, subject: str, text: str, by: str) -> dict[str, Any]:
        """Store an agent's edit of an open draft; return the draft row. Raises ReviewError
        when the draft is no longer open."""
        with self.engine.begin() as c:
            return self._set_open(c, draft_id, subject=subject, text=text, updated_by=by)

    def approve(self, draft_id: int, subject: str, text: str, by: str) -> dict[str, Any]:
        """Store the final edit and mark an open draft approved, in one transaction; return
        the approved row. Raises ReviewError when the draft is no longer open."""
        with self.engine.begin() as c:
            return self._set_open(c, draft_id, subject=subject, text=text, updated_by=by,
                                  status="approved")

    def discard(self, draft_id: int, by: str) -> dict[str, Any]:
        """Mark an open draft discarded (nothing will be sent) and close its message's open
        response deadlines (no reply is owed: the conversation leaves the queue); return the
        row. Raises ReviewError when the draft is no longer open."""
        dl = s.deadlines
        with self.engine.begin() as c:
            row = self._set_open(c, draft_id, status="discarded", updated_by=by)
            c.execute(update(dl).where(dl.c.message_id == row["message_id"],
                                       dl.c.kind.in_(RESPONSE_KINDS), dl.c.met_at.is_(None))
                      .values(state="closed", next_check_at=None))
            refresh_messages(c, [row["message_id"]])
            return row

    def undo_discard(self, draft_id: int, by: str, since: datetime) -> dict[str, Any]:
        """Give a draft discarded at or after ``since`` back to review and reopen its
        message's closed deadlines; return the row. Raises ReviewError when the draft is not
        discarded or was discarded too long ago."""
        d, dl = s.drafts, s.deadlines
        with self.engine.begin() as c:
            n = c.execute(update(d).where(d.c.id == draft_id, d.c.status == "discarded",
                                          d.c.updated_at >= since)
                          .values(status=OPEN, updated_by=by,
                                  updated_at=self.clock.now())).rowcount
            row = c.execute(select(d).where(d.c.id == draft_id)).first()
            if row is None or n != 1:
                raise ReviewError(f"draft {draft_id} can no longer be restored (the undo "
                                  "window has passed or it changed meanwhile)")
            c.execute(update(dl).where(dl.c.message_id == row.message_id,
                                       dl.c.state == "closed")
                      .values(state="ok", next_check_at=None))
            refresh_messages(c, [row.message_id])
            return _as_dict(row)

    def assign(self, message_id: int, agent: str) -> None:
        """Assign a message to ``agent``, replacing any earlier assignee."""
        a = s.assignments
        with self.engine.begin() as c:
            c.execute(delete(a).where(a.c.message_id == message_id))
            c.execute(insert(a).values(message_id=message_id, agent=agent,
                                       assigned_at=self.clock.now()))
            refresh_messages(c, [message_id])

    def redraft(self, message_id: int, draft: Draft, by: str) -> int:
        """Replace the message's draft by ``draft`` (an agent switched its situation) in one
        transaction: open and discarded drafts are superseded, the new one is open. The
        classification, the deadlines and the corrections do not change. Returns the new
        draft's id; raises ReviewError when a reply was approved or sent meanwhile."""
        d = s.drafts
        now = self.clock.now()
        with self.engine.begin() as c:
            if c.execute(select(d.c.id).where(
                    d.c.message_id == message_id,
                    d.c.status.in_(["approved", "sent"]))).first() is not None:
                raise ReviewError("a reply to this message was already approved; its draft "
                                  "cannot be written again now")
            supersede_drafts(c, [message_id], now, (OPEN, "discarded"))
            return int(c.execute(insert(d).values(
                draft_values(message_id, draft, now, by))).inserted_primary_key[0])

    def reclassify(self, r: Reclassification, by: str) -> int:
        """Write an agent's reclassification in one transaction: the classification becomes
        current, open and discarded drafts are superseded by the new one (drafted by the
        pipeline, as processing drafts, and updated by ``by``), the open response deadline
        moves, the correction is recorded. Returns the new draft's id.

        Raises ReviewError when a reply to the message was approved or sent meanwhile.
        """
        d, cl = s.drafts, s.classifications
        now = self.clock.now()
        with self.engine.begin() as c:
            if c.execute(select(d.c.id).where(
                    d.c.message_id == r.message_id,
                    d.c.status.in_(["approved", "sent"]))).first() is not None:
                raise ReviewError("a reply to this message was already approved; it cannot be "
                                  "reclassified now")
            c.execute(update(cl).where(cl.c.message_id == r.message_id).values(current=False))
            c.execute(insert(cl).values(classification_values(r.message_id, r.classification,
                                                              now)))
            supersede_drafts(c, [r.message_id], now, (OPEN, "discarded"))
            # the new draft is written as processing writes one (the situation detected in
            # the text), so it is the pipeline's; the agent is who asked for it (updated_by);
            # it is born superseded when a newer message of the conversation has the draft
            # to send (the label still changes and is learnt)
            stale = newer_draft_message(c, r.message_id) is not None
            draft_id = int(c.execute(insert(d).values(
                {**draft_values(r.message_id, r.draft, now, by), "drafted_by": PIPELINE_AUTHOR,
                 **({"status": "superseded"} if stale else {})}
            )).inserted_primary_key[0])
            if r.due_at is not None:
                move_response_deadline(c, r.message_id, r.due_at, r.policy, r.priority, r.state)
            c.execute(insert(s.corrections).values(
                message_id=r.message_id, text=r.correction_text,
                language=r.classification.language, channel=r.channel,
                old_category=r.old_category, new_category=r.classification.category,
                agent=by, created_at=now))
            refresh_messages(c, [r.message_id])
        return draft_id
