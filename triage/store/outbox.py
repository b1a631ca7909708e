"""The outbox table: approved replies waiting for a sender, and their state transitions.

The sending logic (senders, retries, in-doubt recovery) is ``triage.send.outbox`` and
``triage.send.recovery``; this module is their SQL. Every transition is one conditional
UPDATE (``WHERE status = <what we saw>``), so two daemons, or a daemon and an operator, never
both move one row: the loser gets False and leaves the row alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, literal, or_, select, update

from triage.models import OutgoingReply
from triage.store import schema as s
from triage.store.base import Aggregate, row_dict
from triage.store.summary import refresh


def payload_of(reply: OutgoingReply) -> dict[str, Any]:
    """Return what a row stores of ``reply`` besides its key, message and channel."""
    return {"to": reply.to, "subject": reply.subject, "text": reply.text,
            "in_reply_to": reply.in_reply_to, "references": list(reply.references),
            "source": reply.source, "extra": dict(reply.extra)}


def reply_of(row: Mapping[str, Any]) -> OutgoingReply:
    """Return the reply an outbox row holds (the inverse of :func:`payload_of`)."""
    p = row["payload"]
    return OutgoingReply(
        idempotency_key=row["idempotency_key"], message_id=row["message_id"],
        channel=row["channel"], to=p["to"], subject=p["subject"], text=p["text"],
        in_reply_to=p.get("in_reply_to"), references=list(p.get("references") or []),
        source=p.get("source") or "", extra=dict(p.get("extra") or {}))


class OutboxRows(Aggregate):
    """Reads and moves the rows of the ``outbox`` table."""

    def enqueue(self, reply: OutgoingReply, draft_id: int | None,
                actor: str) -> tuple[int, bool]:
        """Insert a pending row for ``reply`` unless its idempotency key is queued already;
        return the row id and whether it is new."""
        o = s.outbox
        now = self.clock.now()
        with self.write("cannot queue the reply") as c:
            row = c.execute(select(o.c.id).where(
                o.c.idempotency_key == reply.idempotency_key)).first()
            if row is not None:
                return int(row[0]), False
            res = c.execute(insert(o).values(
                idempotency_key=reply.idempotency_key, message_id=reply.message_id,
                draft_id=draft_id, channel=reply.channel, payload=payload_of(reply),
                status="pending", attempts=0, next_attempt_at=now, actor=actor,
                created_at=now))
            return int(res.inserted_primary_key[0]), True

    def rows(self, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Return outbox rows, newest first (optionally only those with ``status``)."""
        q = select(s.outbox).order_by(s.outbox.c.id.desc()).limit(limit)
        if status:
            q = q.where(s.outbox.c.status == status)
        with self.read("cannot read the outbox") as c:
            return [row_dict(r) for r in c.execute(q)]

    def get(self, oid: int) -> dict[str, Any] | None:
        """Return row ``oid``, or None."""
        with self.read("cannot read the outbox") as c:
            row = c.execute(select(s.outbox).where(s.outbox.c.id == oid)).first()
        return row_dict(row) if row else None

    def due_ids(self, limit: int, only_ids: Sequence[int] | None = None) -> list[int]:
        """Return the ids of pending rows due now, earliest due first (at most ``limit``;
        only among ``only_ids`` when given)."""
        o = s.outbox
        q = (select(o.c.id).where(and_(o.c.status == "pending",
                                       o.c.next_attempt_at <= self.clock.now()))
             .order_by(o.c.next_attempt_at, o.c.id).limit(limit))
        if only_ids is not None:
            q = q.where(o.c.id.in_(list(only_ids)))
        with self.read("cannot read the outbox") as c:
            return [int(r[0]) for r in c.execute(q)]

    def claim(self, oid: int, owner: str) -> dict[str, Any] | None:
        """Move row ``oid`` from pending to sending for ``owner`` (one more attempt); return
        the claimed row, or None when another drain took it."""
        o = s.outbox
        with self.write(f"cannot claim outbox row {oid}") as c:
            n = c.execute(update(o).where(o.c.id == oid, o.c.status == "pending").values(
                status="sending", attempts=o.c.attempts + 1, claimed_by=owner,
                claimed_at=self.clock.now())).rowcount
            if n != 1:
                return None
            return row_dict(c.execute(select(o).where(o.c.id == oid)).one())

    def mark_sent(self, row: dict[str, Any], remote_id: str, *, meet_deadline: bool) -> None:
        """Record ``row`` sent as ``remote_id``, its draft sent, and (``meet_deadline``) the
        open response deadlines of its message met now, in one transaction."""
        now = self.clock.now()
        d = s.deadlines
        with self.write(f"cannot record outbox row {row['id']} as sent") as c:
            c.execute(update(s.outbox).where(s.outbox.c.id == row["id"]).values(
                status="sent", sent_at=now, remote_id=remote_id[:998], last_error=None))
            if row["draft_id"] is not None:
                c.execute(update(s.drafts).where(s.drafts.c.id == row["draft_id"]).values(
                    status="sent", updated_at=now))
            if meet_deadline:
                # the reply answers every customer message of the thread received so far, and
                # is credited to the agent who approved it (the report's per-agent figures)
                m = s.messages
                tid = c.execute(select(m.c.thread_id).where(
                    m.c.id == row["message_id"])).scalar()
                answered = (select(m.c.id).where(m.c.thread_id == tid, m.c.received_at <= now)
                            if tid is not None else select(literal(row["message_id"])))
                c.execute(update(d).where(
                    or_(d.c.message_id == row["message_id"], d.c.message_id.in_(answered)),
                    d.c.met_at.is_(None), d.c.kind != "resolution").values(
                    state="met", met_at=now, met_by=(row.get("actor") or None)))
                refresh(c, [int(tid) if tid is not None else -int(row["message_id"])])

    def set_in_doubt(self, oid: int, error: str) -> None:
        """Mark row ``oid`` in doubt (a send that may or may not have gone out)."""
        with self.write(f"cannot update outbox row {oid}") as c:
            c.execute(update(s.outbox).where(s.outbox.c.id == oid).values(
                status="in_doubt", last_error=error[:2000]))

    def record_failure(self, oid: int, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt: pending again at ``retry_at``, or failed when None."""
        values: dict[str, Any] = {"last_error": error[:2000]}
        if retry_at is None:
            values["status"] = "failed"
        else:
            values.update(status="pending", next_attempt_at=retry_at)
        with self.write(f"cannot update outbox row {oid}") as c:
            c.execute(update(s.outbox).where(s.outbox.c.id == oid).values(**values))

    # ------------------------------------------------------------------ doubt
    def sending_rows(self) -> list[dict[str, Any]]:
        """Return the rows in ``sending``: id, message_id, claimed_by, claimed_at."""
        o = s.outbox
        with self.read("cannot read the outbox") as c:
            return [row_dict(r) for r in c.execute(
                select(o.c.id, o.c.message_id, o.c.claimed_by, o.c.claimed_at)
                .where(o.c.status == "sending"))]

    def mark_in_doubt(self, oid: int, claimed_by: str | None, reason: str) -> bool:
        """Move row ``oid`` from sending to in_doubt if ``claimed_by`` still holds it; return
        False when its daemon finished it meanwhile."""
        o = s.outbox
        same_claim = (o.c.claimed_by.is_(None) if claimed_by is None
                      else o.c.claimed_by == claimed_by)
        with self.write(f"cannot update outbox row {oid}") as c:
            return c.execute(update(o).where(o.c.id == oid, o.c.status == "sending", same_claim)
                             .values(status="in_doubt", last_error=f"in doubt: {reason}")
                             ).rowcount == 1

    def in_doubt_rows(self, channels: Sequence[str], limit: int) -> list[dict[str, Any]]:
        """Return up to ``limit`` in-doubt rows of ``channels``, oldest first."""
        o = s.outbox
        with self.read("cannot read the outbox") as c:
            return [row_dict(r) for r in c.execute(
                select(o).where(o.c.status == "in_doubt", o.c.channel.in_(list(channels)))
                .order_by(o.c.id).limit(limit))]

    def settle(self, oid: int, owner: str, *, found: bool) -> bool:
        """Settle in-doubt row ``oid`` checked by ``owner``: claimed for marking sent
        (``found``), or pending again. Returns False when an operator acted meanwhile."""
        o = s.outbox
        now = self.clock.now()
        values: dict[str, Any] = {"claimed_by": owner, "claimed_at": now}
        if not found:
            values.update(status="pending", next_attempt_at=now,
                          last_error="in doubt, then found not sent: queued again")
        with self.write(f"cannot update outbox row {oid}") as c:
            return c.execute(update(o).where(o.c.id == oid, o.c.status == "in_doubt")
                             .values(**values)).rowcount == 1

    # -------------------------------------------------------------- operators
    def requeue(self, oid: int, status_was: str) -> bool:
        """Queue row ``oid`` for sending again (attempts reset) if it is still
        ``status_was``; False when it changed meanwhile."""
        return self._move(oid, status_was, {"status": "pending", "attempts": 0,
                                            "next_attempt_at": self.clock.now()})

    def cancel(self, oid: int, status_was: str) -> bool:
        """Cancel row ``oid`` if it is still ``status_was``; False when it changed."""
        return self._move(oid, status_was, {"status": "cancelled"})

    def _move(self, oid: int, status_was: str, values: dict[str, Any]) -> bool:
        o = s.outbox
        with self.write(f"cannot update outbox row {oid}") as c:
            return c.execute(update(o).where(o.c.id == oid, o.c.status == status_was)
                             .values(**values)).rowcount == 1

    def counts(self) -> dict[str, int]:
        """Return the number of rows by status (only the statuses present)."""
        o = s.outbox
        with self.read("cannot count the outbox") as c:
            return {str(k): int(n) for k, n in c.execute(
                select(o.c.status, func.count()).group_by(o.c.status))}
