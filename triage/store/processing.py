"""Processing results: classification, deadline and draft of a message, written exactly once.

A message flips from ``new`` to ``processed`` in the same transaction that writes its
classification, deadline and draft (and the summary row of its conversation,
``triage.store.summary``), so a crash at any point loses nothing and a re-run (or a
second daemon) doubles nothing. The rows of a classification and a draft, and superseding
the open drafts, are built as the review actions build them (``triage.store.drafts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection

from triage.models import Classification, Draft
from triage.store import schema as s
from triage.store.base import Aggregate, chunked
from triage.store.drafts import classification_values, draft_values, supersede_drafts
from triage.store.summary import refresh_messages


@dataclass(frozen=True)
class Processed:
    """The results of processing one message, ready to be saved."""

    message_id: int
    classification: Classification | None
    due_at: datetime | None
    policy: str
    draft: Draft | None
    kind: str = "first_response"
    priority: str = "normal"


class Processing(Aggregate):
    """Writes the results of the pipeline; quarantines what it cannot process."""

    def save_processing(self, message_id: int, classification: Classification | None,
                        due_at: datetime | None, policy: str, draft: Draft | None, *,
                        kind: str = "first_response", priority: str = "normal") -> bool:
        """Write the results of processing one message, exactly once.

        Returns False (and writes nothing) when the message was already processed.
        """
        return bool(self.save_processing_many([Processed(
            message_id, classification, due_at, policy, draft, kind, priority)]))

    def save_processing_many(self, results: Sequence[Processed]) -> set[int]:
        """Write the results of processing a batch of messages in one transaction.

        Each message flips from ``new`` to ``processed`` in one statement; only the messages
        that flipped get their classification, deadline and draft (so a message processed by
        someone else meanwhile gets nothing twice). Returns the ids that flipped. Raises
        StoreError.
        """
        if not results:
            return set()
        now = self.clock.now()
        m = s.messages
        by_id = {r.message_id: r for r in results}
        ids = list(by_id)
        with self.write(f"cannot save the processing of {len(ids)} message(s) "
                        f"(ids {min(ids)}-{max(ids)})") as c:
            flipped: set[int] = set()
            for chunk in chunked(ids, 500):
                flipped.update(int(r[0]) for r in c.execute(
                    update(m).where(m.c.id.in_(chunk), m.c.status == "new")
                    .values(status="processed", processed_at=now).returning(m.c.id)))
            done = [by_id[i] for i in by_id if i in flipped]
            classified = [(r.message_id, r.classification) for r in done
                          if r.classification is not None]
            if classified:
                add_classifications(c, classified, now)
            deadlines = [dict(message_id=r.message_id, kind=r.kind, policy=r.policy,
                              due_at=r.due_at, state="ok", warnings_sent=[],
                              priority=r.priority) for r in done if r.due_at is not None]
            if deadlines:
                c.execute(insert(s.deadlines), deadlines)
            drafted = [(r.message_id, r.draft) for r in done if r.draft is not None]
            if drafted:
                supersede_drafts(c, [mid for mid, _ in drafted], now)
                c.execute(insert(s.drafts), [draft_values(mid, d, now, "triage")
                                             for mid, d in drafted])
            # a message with a deadline may open (or change) its conversation
            refresh_messages(c, [r.message_id for r in done if r.due_at is not None])
        return flipped

    def quarantine(self, message_id: int, reason: str) -> None:
        """Mark a message quarantined with ``reason``; it stays stored and visible."""
        with self.write(f"cannot quarantine message {message_id}") as c:
            c.execute(update(s.messages).where(s.messages.c.id == message_id).values(
                status="quarantined", error=reason[:4000], processed_at=self.clock.now()))
            refresh_messages(c, [message_id])
        self.audit("triage", "quarantine", message_id, {"reason": reason[:500]})


def add_classifications(c: Connection, results: Sequence[tuple[int, Classification]],
                        now: datetime) -> None:
    """Make each classification the current one of its message (the old ones retired)."""
    cl = s.classifications
    for chunk in chunked([mid for mid, _ in results], 500):
        c.execute(update(cl).where(cl.c.message_id.in_(chunk)).values(current=False))
    c.execute(insert(cl), [classification_values(mid, x, now) for mid, x in results])
