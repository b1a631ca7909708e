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
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Row

from triage.models import Classification, Draft
from triage.store import schema as s
from triage.store.base import Aggregate, insert_rows, one_of
from triage.store.conversations import RESPONSE_KINDS
from triage.store.drafts import classification_values, draft_values, supersede_drafts
from triage.store.planner_stats import analyze_grown
from triage.store.stale_drafts import supersede_stale
from triage.store.summary import Opened, add_opened, refresh_messages


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

        Each message flips from ``new`` to ``processed`` in one statement, which also records
        who held its claim (``claim_owner``: who processed it); only the messages that
        flipped get their classification, deadline and draft (so a message processed by
        someone else meanwhile gets nothing twice), and their claims are deleted. Returns the
        ids that flipped. Raises StoreError.
        """
        if not results:
            return set()
        now = self.clock.now()
        m, cl = s.messages, s.message_claims
        by_id = {r.message_id: r for r in results}
        ids = list(by_id)
        with self.write(f"cannot save the processing of {len(ids)} message(s) "
                        f"(ids {min(ids)}-{max(ids)})") as c:
            flipped: dict[int, Row[Any]] = {
                int(r.id): r for r in c.execute(
                    update(m).where(one_of(c, m.c.id, ids), m.c.status == "new")
                    .values(status="processed", processed_at=now, claim_owner=select(cl.c.owner)
                            .where(cl.c.message_id == m.c.id).scalar_subquery())
                    .returning(m.c.id, m.c.thread_id, m.c.received_at, m.c.channel,
                               m.c.source, m.c.is_auto))}
            if flipped:  # after the flip, so a claim committed while it waited goes too
                c.execute(delete(cl).where(one_of(c, cl.c.message_id, list(flipped))))
            done = [by_id[i] for i in by_id if i in flipped]
            classified = [(r.message_id, r.classification) for r in done
                          if r.classification is not None]
            if classified:
                add_classifications(c, classified, now)
            deadlines = [dict(message_id=r.message_id, kind=r.kind, policy=r.policy,
                              due_at=r.due_at, state="ok", warnings_sent=[],
                              priority=r.priority) for r in done if r.due_at is not None]
            if deadlines:
                insert_rows(c, s.deadlines, deadlines)
            drafted = [(r.message_id, r.draft) for r in done if r.draft is not None]
            if drafted:
                supersede_drafts(c, [mid for mid, _ in drafted], now)
                insert_rows(c, s.drafts, [draft_values(mid, d, now, "triage")
                                          for mid, d in drafted])
                # a customer's newer message answers for the older ones: their open drafts
                # must not be sent (triage.store.stale_drafts)
                supersede_stale(c, [mid for mid, _ in drafted], now)
            # a message with a response deadline opens (or changes) its conversation
            add_opened(c, [_opened(r, flipped[r.message_id]) for r in done
                           if r.due_at is not None and r.kind in RESPONSE_KINDS
                           and not flipped[r.message_id].is_auto],
                       {mid: _conv(msg) for mid, msg in flipped.items()},
                       {(r.message_id, r.kind) for r in done if r.due_at is not None})
        if flipped:
            analyze_grown(self.engine)
        return set(flipped)

    def quarantine(self, message_id: int, reason: str) -> None:
        """Mark a message quarantined with ``reason``; it stays stored and visible."""
        with self.write(f"cannot quarantine message {message_id}") as c:
            c.execute(update(s.messages).where(s.messages.c.id == message_id).values(
                status="quarantined", error=reason[:4000], processed_at=self.clock.now()))
            c.execute(delete(s.message_claims).where(
                s.message_claims.c.message_id == message_id))
            refresh_messages(c, [message_id])
        self.audit("triage", "quarantine", message_id, {"reason": reason[:500]})


def _conv(msg: Row[Any]) -> int:
    return int(msg.thread_id) if msg.thread_id is not None else -int(msg.id)


def _opened(r: Processed, msg: Row[Any]) -> Opened:
    """The summary's view of the response deadline ``r`` opens on message ``msg``."""
    cl = r.classification
    return Opened(r.message_id, msg.thread_id, r.due_at, msg.received_at,  # type: ignore[arg-type]
                  msg.channel, msg.source, cl.category if cl else None,
                  cl.language if cl else None, bool(cl.needs_review) if cl else None)


def add_classifications(c: Connection, results: Sequence[tuple[int, Classification]],
                        now: datetime) -> None:
    """Make each classification the current one of its message (the old ones retired)."""
    cl = s.classifications
    c.execute(update(cl).where(one_of(c, cl.c.message_id, [mid for mid, _ in results]))
              .values(current=False))
    insert_rows(c, cl, [classification_values(mid, x, now) for mid, x in results])
