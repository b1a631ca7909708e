"""Store queries of the deadline sweep, notices and the report.

Kept apart from the other aggregates so that the deadline feature reads and writes its own
tables in one place. Each public method is one transaction; the engine and clock are those of
the Store. What a thread says about a new message is returned as the kernel's
:class:`~triage.models.ThreadContext`, which the deadline policy reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update

from triage.errors import NotFound
from triage.models import ThreadContext
from triage.store import schema as s
from triage.store.base import Aggregate, StoreLike, aware, chunked, one_of, row_dict
from triage.store.conversations import RESPONSE_KINDS
from triage.store.summary import refresh, refresh_messages

# "nothing will change until someone answers": far enough to never come, valid everywhere
_NEVER = datetime(9999, 1, 1, tzinfo=UTC)
SWEPT = ("ok", "due_soon", "breached")
"""The states of a deadline neither met nor closed (the others: met, closed), spelled as a
list so that ``ix_deadlines_state_next_check_at`` serves the sweep (``state NOT IN (met,
closed)`` made PostgreSQL read every deadline ever stored)."""
EARLIER_KEPT = 10
"""The customer's earlier messages a thread context carries (the newest): what a next draft
reads for details already given; a thread of hundreds would make every draft read them all,
so only these texts are read from the database."""


@dataclass(frozen=True)
class ReplyEvent:
    """Something that answered a thread: an agent's mail seen in it, or a reply sent by triage."""

    thread_id: int
    at: datetime
    by: str


class DeadlineStore(Aggregate):
    """Deadline-related reads and writes on top of a :class:`~triage.store.Store`.

    ``own_addresses`` are the support addresses: mail from them in a thread is our reply.
    """

    def __init__(self, store: StoreLike, own_addresses: Iterable[str] = ()) -> None:
        super().__init__(store.engine, store.clock)
        self.own = tuple(a.lower() for a in own_addresses if a)

    def mark_met(self, message_id: int, by: str | None = None) -> None:
        """Mark the open response deadlines of a message met now (a reply went out);
        ``by`` names the agent, for the report."""
        d = s.deadlines
        with self.write(f"cannot mark the deadline of message {message_id} met") as c:
            c.execute(update(d).where(
                d.c.message_id == message_id, d.c.state != "met",
                d.c.kind != "resolution").values(state="met", met_at=self.clock.now(),
                                                 met_by=by))
            refresh_messages(c, [message_id])

    # ----------------------------------------------------------------- threads
    def _replies(self, c: Any, thread_ids: Sequence[int]) -> list[ReplyEvent]:
        m, d = s.messages, s.deadlines
        out: list[ReplyEvent] = []
        if not thread_ids:
            return out
        if self.own:
            rows = c.execute(select(m.c.thread_id, m.c.received_at, m.c.sender_name, m.c.sender)
                             .where(m.c.thread_id.in_(list(thread_ids)),
                                    func.lower(m.c.sender).in_(self.own)))
            out += [ReplyEvent(r.thread_id, aware(r.received_at),  # type: ignore[arg-type]
                               r.sender_name or r.sender) for r in rows]
        rows = c.execute(select(m.c.thread_id, d.c.met_at, d.c.met_by)
                         .join(m, m.c.id == d.c.message_id)
                         .where(m.c.thread_id.in_(list(thread_ids)), d.c.met_at.is_not(None),
                                d.c.kind != "resolution"))
        out += [ReplyEvent(r.thread_id, aware(r.met_at), r.met_by or "")  # type: ignore[arg-type]
                for r in rows]
        return sorted(out, key=lambda e: e.at)

    def thread_contexts(self, messages: Sequence[dict[str, Any]]) -> list[ThreadContext]:
        """Return what each message's thread says about it: did we reply before it, how many
        customer messages since our last reply (it included), and the newest
        :data:`EARLIER_KEPT` of the customer's earlier messages (texts and attachment types,
        oldest first). A few queries per batch.

        Most new mail starts its own thread: one grouped count finds the threads that hold
        more than one message, and only those are read in detail: first the times and
        senders of their messages, then the texts and attachments of only those messages
        some context keeps (a thread of hundreds is not read whole for ten texts).
        """
        tids = sorted({int(msg["thread_id"]) for msg in messages if msg.get("thread_id")})
        if not tids:
            return [ThreadContext() for _ in messages]
        m = s.messages
        events: dict[int, list[ReplyEvent]] = {}
        customer: dict[int, list[tuple[datetime, int]]] = {}
        plans: list[tuple[bool, int, list[int]] | None] = []
        told: dict[int, tuple[str, tuple[str, ...]]] = {}
        with self.read("cannot read deadlines") as c:
            busy = [int(r[0]) for r in c.execute(
                select(m.c.thread_id).where(one_of(c, m.c.thread_id, tids))
                .group_by(m.c.thread_id).having(func.count() > 1))]
            for chunk in chunked(busy, 500):
                for e in self._replies(c, chunk):
                    events.setdefault(e.thread_id, []).append(e)
                for r in c.execute(select(m.c.thread_id, m.c.id, m.c.received_at, m.c.sender)
                                   .where(m.c.thread_id.in_(chunk), m.c.is_auto.is_(False))):
                    if (r.sender or "").lower() not in self.own:  # ours: a reply, not told
                        customer.setdefault(int(r[0]), []).append(
                            (aware(r[2]), int(r[1])))  # type: ignore[arg-type]
            for msg in messages:
                tid = msg.get("thread_id")
                if not tid:
                    plans.append(None)
                    continue
                at = msg["received_at"]
                replies = [e for e in events.get(int(tid), []) if e.at <= at]
                last = replies[-1].at if replies else None
                before = sorted((when, mid) for when, mid in customer.get(int(tid), [])
                                if mid != msg["id"] and when <= at)
                unanswered = sum(1 for when, _mid in before if last is None or when > last)
                plans.append((last is not None, unanswered + 1,
                              [mid for _when, mid in before[-EARLIER_KEPT:]]))
            kept = sorted({mid for plan in plans if plan for mid in plan[2]})
            if kept:
                for r in c.execute(select(m.c.id, m.c.text, m.c.attachments)
                                   .where(one_of(c, m.c.id, kept))):
                    told[int(r.id)] = (r.text or "", tuple(
                        str(a.get("content_type", "")) for a in r.attachments or []))
        out: list[ThreadContext] = []
        for plan in plans:
            if plan is None:
                out.append(ThreadContext())
                continue
            replied, unanswered, ids = plan
            # a message deleted (retention) between the two reads on PostgreSQL: nothing told
            earlier = [told.get(mid, ("", ())) for mid in ids]
            out.append(ThreadContext(
                replied_before=replied, unanswered=unanswered,
                earlier=tuple(text for text, _t in earlier if text.strip()),
                earlier_attachments=tuple(t for _text, types in earlier for t in types)))
        return out

    # ------------------------------------------------------------------- sweep
    def open_deadlines(self, due_by: datetime | None = None, *, after_id: int | None = None,
                       limit: int | None = None) -> list[dict[str, Any]]:
        """Return deadlines not yet met, with the fields of their message the sweep needs.

        With ``due_by``, only those the sweep must look at by then: never looked at, their
        next check passed, or resolution deadlines (their clock pauses and resumes). With
        ``limit``, one page in id order, after ``after_id``.
        """
        d, m, cl = s.deadlines, s.messages, s.classifications
        q = (select(d, m.c.channel, m.c.source, m.c.thread_id, m.c.received_at, m.c.subject,
                    m.c.sender, m.c.sender_name, cl.c.category)
             .join(m, m.c.id == d.c.message_id)
             .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
             .where(d.c.state.in_(SWEPT)).order_by(d.c.due_at))
        if due_by is not None:
            q = q.where(or_(d.c.next_check_at.is_(None), d.c.next_check_at <= due_by,
                            d.c.kind == "resolution"))
        if limit is not None:
            # ordered by id + 0, not id: ordered by id with a LIMIT, PostgreSQL walked the
            # primary key over every deadline ever stored (0.4 s at 1,000,000) looking for
            # the few due; this way it reads the (state, next_check_at) index and sorts them
            q = (q.where(d.c.id > (after_id or 0)).order_by(None).order_by(d.c.id + 0)
                 .limit(limit))
        with self.read("cannot read deadlines") as c:
            return [row_dict(r) for r in c.execute(q)]

    def set_next_checks(self, checks: dict[int, datetime | None]) -> None:
        """Record when the sweep must look at each deadline next (None: only if answered)."""
        if not checks:
            return
        stmt = (update(s.deadlines).where(s.deadlines.c.id == bindparam("did"))
                .values(next_check_at=bindparam("at")))
        with self.write("cannot update deadlines") as c:
            c.execute(stmt, [{"did": k, "at": v or _NEVER} for k, v in checks.items()])

    def recheck_all(self) -> None:
        """Forget every planned check (the policy may have changed): the next sweep looks at
        every open deadline once."""
        with self.write("cannot update deadlines") as c:
            c.execute(update(s.deadlines).where(s.deadlines.c.state != "met")
                      .values(next_check_at=None))

    def mark_answered(self) -> list[dict[str, Any]]:
        """Mark met every open response deadline whose thread got a reply at or after the
        message arrived (an agent's mail from the support address, or a reply triage sent).

        ``met_at`` is the earliest such reply's time, ``met_by`` its sender name. Returns the
        deadlines met. The database pairs open deadlines with the replies in their threads (two
        joins), so no open deadline is read into Python unless it was answered.
        """
        d, m = s.deadlines, s.messages
        reply, d2, m2 = s.messages.alias("reply"), s.deadlines.alias("d2"), s.messages.alias("m2")
        cols = (d.c.id, d.c.message_id, d.c.kind, m.c.thread_id, m.c.received_at)
        # not met: the swept states and closed, spelled out so that an index finds them
        is_open = and_(d.c.state.in_((*SWEPT, "closed")), d.c.kind != "resolution",
                       m.c.thread_id.is_not(None))
        hits: dict[int, tuple[datetime, str, dict[str, Any]]] = {}
        with self.write("cannot update deadlines") as c:
            found: list[tuple[Any, datetime, str]] = []
            if self.own:
                for r in c.execute(select(*cols, reply.c.received_at.label("at"),
                                          reply.c.sender_name, reply.c.sender)
                                   .join(m, m.c.id == d.c.message_id)
                                   .join(reply, and_(reply.c.thread_id == m.c.thread_id,
                                                     reply.c.received_at >= m.c.received_at,
                                                     func.lower(reply.c.sender).in_(self.own)))
                                   .where(is_open)):
                    found.append((r, aware(r.at), r.sender_name or r.sender))  # type: ignore[arg-type]
            for r in c.execute(select(*cols, d2.c.met_at, d2.c.met_by)
                               .join(m, m.c.id == d.c.message_id)
                               .join(m2, m2.c.thread_id == m.c.thread_id)
                               .join(d2, and_(d2.c.message_id == m2.c.id,
                                              d2.c.met_at.is_not(None),
                                              d2.c.kind != "resolution",
                                              d2.c.met_at >= m.c.received_at))
                               .where(is_open)):
                found.append((r, aware(r.met_at), r.met_by or ""))  # type: ignore[arg-type]
            for r, at, by in found:
                if r.id not in hits or at < hits[r.id][0]:
                    hits[r.id] = (at, by, row_dict(r))
            met: list[dict[str, Any]] = []
            for did, (at, by, row) in sorted(hits.items()):
                done = c.execute(update(s.deadlines).where(
                    s.deadlines.c.id == did, s.deadlines.c.state != "met").values(
                    state="met", met_at=at, met_by=by[:320] or None)).rowcount
                if done:
                    met.append({**row, "met_at": at, "met_by": by})
            refresh(c, {int(r["thread_id"]) for r in met})  # answered: threaded
        return met

    # -------------------------------------------------------------- resolution
    def resolution_candidates(self) -> list[dict[str, Any]]:
        """Return the first customer message of each thread that has a response deadline but
        no resolution deadline yet (with its category and priority)."""
        d, m, cl = s.deadlines, s.messages, s.classifications
        with self.read("cannot read deadlines") as c:
            done = {r[0] for r in c.execute(
                select(m.c.thread_id).join(d, d.c.message_id == m.c.id)
                .where(d.c.kind == "resolution"))}
            rows = c.execute(
                select(m.c.id, m.c.thread_id, m.c.channel, m.c.source, m.c.received_at,
                       d.c.priority, cl.c.category)
                .join(d, d.c.message_id == m.c.id)
                .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
                .where(d.c.kind == "first_response", m.c.thread_id.is_not(None))
                .order_by(m.c.received_at, m.c.id))
            first: dict[int, dict[str, Any]] = {}
            for r in rows:
                if r.thread_id not in done and r.thread_id not in first:
                    first[r.thread_id] = row_dict(r)
        return list(first.values())

    def thread_events(self, thread_ids: Sequence[int]
                      ) -> dict[int, tuple[list[datetime], list[datetime]]]:
        """Return, per thread, the times of our replies and of the customer's messages."""
        m = s.messages
        out: dict[int, tuple[list[datetime], list[datetime]]] = {t: ([], []) for t in thread_ids}
        if not thread_ids:
            return out
        with self.read("cannot read deadlines") as c:
            for e in self._replies(c, thread_ids):
                out[e.thread_id][0].append(e.at)
            for r in c.execute(select(m.c.thread_id, m.c.received_at).where(
                    m.c.thread_id.in_(list(thread_ids)), m.c.is_auto.is_(False))):
                out[r.thread_id][1].append(aware(r.received_at))  # type: ignore[arg-type]
        return out

    def add_deadline(self, message_id: int, kind: str, policy: str, due_at: datetime,
                     priority: str) -> bool:
        """Insert a deadline unless the message already has one of ``kind``."""
        d = s.deadlines
        with self.write("cannot update deadlines") as c:
            if c.execute(select(d.c.id).where(d.c.message_id == message_id,
                                              d.c.kind == kind)).first():
                return False
            c.execute(insert(d).values(message_id=message_id, kind=kind, policy=policy,
                                       due_at=due_at, state="ok", warnings_sent=[],
                                       priority=priority))
            if kind in RESPONSE_KINDS:
                refresh_messages(c, [message_id])
        return True

    def set_due(self, deadline_id: int, due_at: datetime) -> None:
        """Move an open deadline (a resolution whose clock was paused)."""
        with self.write("cannot update deadlines") as c:
            c.execute(update(s.deadlines).where(s.deadlines.c.id == deadline_id,
                                                s.deadlines.c.state != "met").values(
                due_at=due_at, next_check_at=None))
            refresh_messages(c, [r[0] for r in c.execute(select(s.deadlines.c.message_id).where(
                s.deadlines.c.id == deadline_id, s.deadlines.c.kind.in_(RESPONSE_KINDS)))])

    def resolve(self, message_id: int, by: str) -> int:
        """Mark the resolution deadline of ``message_id``'s thread met now; return how many
        deadlines changed (0: none open). Raises NotFound for an unknown message."""
        d, m = s.deadlines, s.messages
        with self.write("cannot update deadlines") as c:
            tid = c.execute(select(m.c.thread_id).where(m.c.id == message_id)).first()
            if tid is None:
                raise NotFound(f"message {message_id} does not exist")
            ids = [r[0] for r in c.execute(
                select(d.c.id).join(m, m.c.id == d.c.message_id).where(
                    m.c.thread_id == tid[0], d.c.kind == "resolution", d.c.state != "met"))]
            if not ids:
                return 0
            c.execute(update(d).where(d.c.id.in_(ids)).values(
                state="met", met_at=self.clock.now(), met_by=by[:320] or None))
        return len(ids)

    def set_states(self, states: dict[int, str]) -> None:
        """Set the state of many open deadlines in one transaction (never overwrites met or
        closed)."""
        if not states:
            return
        d = s.deadlines
        stmt = (update(d).where(d.c.id == bindparam("did"), d.c.state != "met",
                                d.c.state != "closed")
                .values(state=bindparam("st")))
        closing = [k for k, v in states.items() if v == "closed"]
        with self.write("cannot update deadlines") as c:
            c.execute(stmt, [{"did": k, "st": v} for k, v in states.items()])
            if closing:  # the other states are computed when read: no summary input
                refresh_messages(c, [r[0] for r in c.execute(select(d.c.message_id).where(
                    d.c.id.in_(closing)))])

    def record_warnings(self, row: dict[str, Any], thresholds: Sequence[str],
                        notice: str | None, targets: Sequence[str],
                        payload: dict[str, Any]) -> int:
        """Add ``thresholds`` to the deadline's ``warnings_sent`` and queue one notice of
        threshold ``notice`` per target, in one transaction.

        A notice already recorded for (deadline, threshold, target) is never queued again.
        Returns the number of notices queued.
        """
        now = self.clock.now()
        queued = 0
        with self.write("cannot update deadlines") as c:
            cur = c.execute(select(s.deadlines.c.warnings_sent).where(
                s.deadlines.c.id == row["id"])).scalar_one()
            sent = list(cur or [])
            new = [t for t in thresholds if t not in sent]
            if not new:
                return 0
            c.execute(update(s.deadlines).where(s.deadlines.c.id == row["id"]).values(
                warnings_sent=sent + new))
            if notice is None or notice not in new:
                return 0
            for target in targets:
                exists = c.execute(select(s.deadline_notices.c.id).where(
                    s.deadline_notices.c.deadline_id == row["id"],
                    s.deadline_notices.c.threshold == notice,
                    s.deadline_notices.c.target == target)).first()
                if exists:
                    continue
                c.execute(insert(s.deadline_notices).values(
                    deadline_id=row["id"], message_id=row["message_id"], threshold=notice,
                    target=target, status="pending", attempts=0, payload=payload,
                    created_at=now, next_attempt_at=now))
                queued += 1
        return queued

    # ----------------------------------------------------------------- notices
    def due_notices(self, target: str) -> list[dict[str, Any]]:
        """Return pending notices for ``target`` whose next attempt is due, oldest first."""
        n = s.deadline_notices
        with self.read("cannot read deadlines") as c:
            rows = c.execute(select(n).where(
                n.c.target == target, n.c.status == "pending",
                n.c.next_attempt_at <= self.clock.now()).order_by(n.c.id))
            return [row_dict(r) for r in rows]

    def notices_sent(self, ids: Sequence[int]) -> None:
        """Mark notices delivered now."""
        with self.write("cannot update deadlines") as c:
            c.execute(update(s.deadline_notices).where(
                s.deadline_notices.c.id.in_(list(ids)),
                s.deadline_notices.c.status == "pending").values(
                status="sent", sent_at=self.clock.now(),
                attempts=s.deadline_notices.c.attempts + 1))

    def notices_failed(self, ids: Sequence[int], error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt; ``retry_at`` None gives the notices up (status failed)."""
        values: dict[str, Any] = {"attempts": s.deadline_notices.c.attempts + 1,
                                  "last_error": error[:2000]}
        if retry_at is None:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = retry_at
        with self.write("cannot update deadlines") as c:
            c.execute(update(s.deadline_notices).where(
                s.deadline_notices.c.id.in_(list(ids))).values(**values))

    def last_sent_at(self, target: str) -> datetime | None:
        """When a notice for ``target`` was last delivered (None: never)."""
        n = s.deadline_notices
        with self.read("cannot read deadlines") as c:
            v = c.execute(select(func.max(n.c.sent_at)).where(n.c.target == target)).scalar()
        return aware(v)

    def notices(self) -> list[dict[str, Any]]:
        """Return every notice (for status output and tests)."""
        n = s.deadline_notices
        with self.read("cannot read deadlines") as c:
            return [row_dict(r) for r in c.execute(select(n).order_by(n.c.id))]

    # ------------------------------------------------------------------ report
    def report_rows(self, since: datetime | None, until: datetime | None
                    ) -> list[dict[str, Any]]:
        """Return one row per customer message received in ``[since, until)`` that got a
        deadline, or whose deadline was met in that window, with its classification."""
        d, m, cl = s.deadlines, s.messages, s.classifications
        q = (select(m.c.id, m.c.channel, m.c.source, m.c.received_at, m.c.thread_id,
                    cl.c.category, cl.c.language, d.c.kind, d.c.priority, d.c.due_at,
                    d.c.state, d.c.met_at, d.c.met_by)
             .select_from(d).join(m, m.c.id == d.c.message_id)
             .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
             .where(d.c.state != "closed")  # discarded: no reply was owed
             .order_by(m.c.received_at, m.c.id))
        conds_in = []
        conds_met = []
        if since is not None:
            conds_in.append(m.c.received_at >= since)
            conds_met.append(d.c.met_at >= since)
        if until is not None:
            conds_in.append(m.c.received_at < until)
            conds_met.append(d.c.met_at < until)
        if conds_in:
            q = q.where(or_(and_(*conds_in), and_(d.c.met_at.is_not(None), *conds_met)))
        with self.read("cannot read deadlines") as c:
            return [row_dict(r) for r in c.execute(q)]
