"""Conversations and their deadline states: the one definition every count uses.

A **conversation** is a thread (a message without a thread is a conversation of its own). A
**response deadline** (``first_response`` or ``next_response``) belongs to one customer
message: processed, not automatic, not quarantined.

========== ==========================================================================
open       a conversation with at least one response deadline that is neither met nor
           closed (closed: its draft was discarded, nothing is owed)
waiting    an open conversation with no reply on its way (no outbox row pending,
           sending or in doubt for its open messages): an agent has to act
ok         an open conversation whose most urgent open deadline is not due soon
due_soon   ... whose most urgent open deadline is due at or before the due-soon
           boundary of its channel (see :class:`StateCut`) but after now
breached   ... whose most urgent open deadline is due at or before now
met        a response deadline answered (``met_at`` set): replies, not conversations
========== ==========================================================================

ok + due_soon + breached = open. The queue, the dashboard, ``triage status``, ``triage report``
and ``/metrics`` all count with :meth:`Conversations.counts` or list with
:meth:`Conversations.page`, so their numbers agree. The due-soon boundary depends on business
calendars, which the store does not know: the deadline layer computes one instant per channel
(and per source with a calendar of its own) and hands it in (``triage.deadlines.states``).

Those reads go through ``conversation_summary``, one row per open conversation that the
writers keep (``triage.store.summary``, which recomputes a conversation's row with
:func:`open_deadline` and :func:`conv_key` below); the state is worked out from its due time
when read, with :func:`state_of`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from triage.store import schema as s
from triage.store.base import Aggregate, aware, chunked, row_dict

RESPONSE_KINDS = ("first_response", "next_response")
"""Deadline kinds a reply meets; a conversation is open while one of these is open."""
STATES = ("ok", "due_soon", "breached")
"""The states of an open conversation, least urgent first."""
ON_ITS_WAY = ("pending", "sending", "in_doubt")
"""Outbox states of a reply that is approved but not yet known to be sent."""
COUNTED = "the customer's messages"
"""What a conversation's message count counts, on every page and command: the messages that
are not automatic. Our own mail seen in the inbox (an agent answering from a mail program),
auto-replies and bounces are automatic; replies sent through triage are outbox rows, not
messages. So a conversation where the customer wrote twice counts 2 whichever way we
answered (the queue, the message page, the customer history, ``GET /api/queue``)."""
SORTS = ("due", "received", "category", "language")
PAGE_SIZE = 100


@dataclass(frozen=True)
class StateCut:
    """What decides ok / due soon / breached at one instant.

    ``soon[(channel, "")]`` is the latest due time that counts as due soon for a deadline of
    ``channel``; ``soon[(channel, source)]`` overrides it for a source with a calendar of its
    own. A channel missing is never due soon.
    """

    now: datetime
    soon: Mapping[tuple[str, str], datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Counts:
    """The numbers every view shows (see the module docstring)."""

    open: int = 0
    waiting: int = 0
    ok: int = 0
    due_soon: int = 0
    breached: int = 0
    met: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts by name."""
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


@dataclass
class ConversationFilter:
    """Filters and order of the queue; empty strings mean 'any'."""

    category: str = ""
    channel: str = ""
    language: str = ""
    source: str = ""
    state: str = ""
    """'' (every open conversation), ok, due_soon or breached."""
    needs_review: str = ""
    """'yes', 'no' or ''."""
    assignee: str = ""
    """'' (anyone), 'mine' (needs ``me``), 'unassigned', or an agent's name."""
    q: str = ""
    sort: str = "due"
    page: int = 1
    me: str = ""

    @classmethod
    def from_mapping(cls, data: Any, me: str = "") -> ConversationFilter:
        """Build from query parameters (unknown keys ignored, values trimmed)."""
        def get(name: str) -> str:
            return str(data.get(name) or "").strip()[:200]
        try:
            page = max(1, int(get("page") or 1))
        except ValueError:
            page = 1
        sort = get("sort")
        return cls(category=get("category"), channel=get("channel"), language=get("language"),
                   source=get("source"), state=get("state"), needs_review=get("needs_review"),
                   assignee=get("assignee"), q=get("q"),
                   sort=sort if sort in SORTS else "due", page=page, me=me)

    def as_params(self) -> dict[str, str]:
        """Return the non-default filters (for links that keep them)."""
        out = {f.name: str(getattr(self, f.name)) for f in fields(self)
               if f.name not in ("me", "page", "sort") and getattr(self, f.name)}
        if self.sort != "due":
            out["sort"] = self.sort
        return out


def conv_key(m: Any) -> ColumnElement[Any]:
    """The conversation key of a message row: its thread, else minus its own id."""
    return func.coalesce(m.c.thread_id, -m.c.id)


def open_deadline(d: Any, m: Any) -> ColumnElement[bool]:
    """The condition for a response deadline that is open (joined to its message)."""
    return and_(d.c.kind.in_(RESPONSE_KINDS), d.c.met_at.is_(None), d.c.state != "closed",
                m.c.status == "processed", m.c.is_auto.is_(False))


def _soon(cut: StateCut, channel: Any, source: Any) -> ColumnElement[Any]:
    """SQL for the due-soon boundary of a row with ``channel`` and ``source`` columns."""
    whens = [(and_(channel == ch, source == src), literal(at, s.TS))
             for (ch, src), at in cut.soon.items() if src]
    whens += [(channel == ch, literal(at, s.TS)) for (ch, src), at in cut.soon.items()
              if not src]
    now = literal(cut.now, s.TS)
    return case(*whens, else_=now) if whens else now


def state_of(due: ColumnElement[Any], soon: ColumnElement[Any],
             now: datetime) -> ColumnElement[str]:
    """SQL for the state of an open deadline (or conversation) due at ``due``."""
    return case((due <= literal(now, s.TS), "breached"), (due <= soon, "due_soon"), else_="ok")


def _state(cut: StateCut, row: Any = None) -> ColumnElement[str]:
    """SQL for the state of a summary row (``row``: the table or a subquery with its
    columns): the state of its most urgent open deadline, judged by the channel and source
    of its open messages."""
    c = (row if row is not None else s.conversation_summary).c
    return state_of(c.due_at, _soon(cut, c.state_channel, c.state_source), cut.now)


def _rank(cut: StateCut, row: Any = None) -> ColumnElement[int]:
    """SQL for the rank of a summary row's state (1 ok, 2 due soon, 3 breached)."""
    state = _state(cut, row)
    return case((state == "breached", 3), (state == "due_soon", 2), else_=1)


def _in_state(cut: StateCut, rank: int) -> ColumnElement[bool]:
    """SQL for "the row's state has ``rank``", with a range on ``due_at`` the index serves."""
    cs, now = s.conversation_summary, literal(cut.now, s.TS)
    near = [cs.c.due_at > now]
    if cut.soon:
        near.append(cs.c.due_at <= literal(max(cut.soon.values()), s.TS))
    if rank == 3:  # exactly the first branch of state_of: no row needs reading
        return cs.c.due_at <= now
    return and_(*(near if rank == 2 else [cs.c.due_at > now]), _rank(cut) == rank)


class Conversations(Aggregate):
    """The queue of conversations and the counts of every view.

    They read the ``conversation_summary`` rows (one per open conversation) that the writers
    keep (:mod:`triage.store.summary`; ``store.summary`` compares them with a recomputation
    from the raw tables, or rebuilds them).
    """

    def _on_its_way(self) -> Any:
        """Conversation keys with a reply approved but not yet sent."""
        o, m, d = s.outbox, s.messages, s.deadlines
        return (select(conv_key(m).label("conv")).select_from(o)
                .join(m, m.c.id == o.c.message_id)
                .join(d, d.c.message_id == m.c.id)
                .where(o.c.status.in_(ON_ITS_WAY), open_deadline(d, m)).distinct())

    def counts(self, cut: StateCut, *, met: bool = True) -> Counts:
        """Return open, waiting, ok, due soon, breached (conversations) and met (replies).

        ``met=False`` leaves the count of met replies out (0), for a view that does not show
        it (the queue): it counts every reply ever answered, which grows with the store.
        """
        d, cs = s.deadlines, s.conversation_summary
        away = self._on_its_way().subquery()

        def count(*where: ColumnElement[bool]) -> int:
            return int(c.execute(select(func.count()).select_from(cs).where(*where))
                       .scalar() or 0)
        with self.read("cannot count conversations") as c:
            # three ranges of ix_conversation_summary_due_at (no row is read but the few
            # near their boundaries): breached, due soon, all
            total, breached, soon = count(), count(_in_state(cut, 3)), count(_in_state(cut, 2))
            on_way = int(c.execute(select(func.count()).select_from(away)).scalar() or 0)
            # only customer messages get response deadlines: no join needed (index only)
            answered = int(c.execute(select(func.count()).select_from(d).where(
                d.c.met_at.is_not(None), d.c.kind.in_(RESPONSE_KINDS))).scalar() or 0) \
                if met else 0
        return Counts(open=total, waiting=total - on_way, ok=total - breached - soon,
                      due_soon=soon, breached=breached, met=answered)

    def breakdown(self, cut: StateCut) -> dict[str, dict[str, int]]:
        """Return open conversations by category, channel and language (of the newest open
        message) and by state."""
        cs = s.conversation_summary
        out: dict[str, dict[str, int]] = {}
        with self.read("cannot read the dashboard") as c:
            for key in ("category", "channel", "language"):
                col = cs.c[key]
                out[key] = {str(r[0] or "-"): int(r[1]) for r in c.execute(
                    select(col, func.count()).group_by(col).order_by(col))}
        n = self.counts(cut, met=False)
        out["state"] = {"ok": n.ok, "due_soon": n.due_soon, "breached": n.breached}
        return out

    def page(self, f: ConversationFilter, cut: StateCut, size: int = PAGE_SIZE,
             total: int | None = None) -> tuple[list[dict[str, Any]], int]:
        """Return one page of open conversations for ``f`` and how many match in all.

        Each row: ``conv``, ``thread_id``, ``due_at``, ``state``, the newest open message
        (``id``, ``subject``, ``sender``, ``sender_name``, ``received_at``, ``channel``,
        ``source``, ``snippet``), its ``category``, ``confidence``, ``language``,
        ``needs_review``, ``draft_status``, the conversation's ``messages`` count and
        ``assignee`` (its latest assignment). ``total``, when the caller knows it (the open
        count of :meth:`counts` for an unfiltered queue), saves counting again.

        Filters, order and paging read the summary alone (the text search ``q`` also reads
        the newest message of each row); the 100 rows shown are then joined to their
        message, classification and draft.
        """
        m, cl, dr, cs = s.messages, s.classifications, s.drafts, s.conversation_summary
        # plain columns: the state is computed for the rows of the page only
        keys = select(cs.c.conv, cs.c.due_at, cs.c.state_channel, cs.c.state_source,
                      cs.c.newest_id, cs.c.category, cs.c.language, cs.c.received_at,
                      cs.c.assignee)
        rank = {"ok": 1, "due_soon": 2, "breached": 3}.get(f.state)
        if rank is not None:
            keys = keys.where(_in_state(cut, rank))
        for col, value in ((cs.c.category, f.category), (cs.c.channel, f.channel),
                           (cs.c.language, f.language), (cs.c.source, f.source)):
            if value:
                keys = keys.where(col == value)
        if f.needs_review in ("yes", "no"):
            keys = keys.where(cs.c.needs_review.is_(f.needs_review == "yes"))
        if f.assignee == "unassigned":
            # most rows are unassigned: written so that no index serves it (SQLite would
            # look up every unassigned row through ix_..._assignee and sort them; this way
            # it reads the index of the order and stops after the page)
            keys = keys.where(func.coalesce(cs.c.assignee, "") == "")
        elif f.assignee:
            keys = keys.where(cs.c.assignee == (f.me if f.assignee == "mine" else f.assignee))
        if f.q:
            like = f"%{f.q.lower()}%"
            # a correlated subquery: one look-up of the newest message per candidate row
            # (a join let PostgreSQL hash every stored message)
            hit = (select(m.c.id).where(m.c.id == cs.c.newest_id, or_(
                func.lower(m.c.subject).like(like), func.lower(m.c.text).like(like),
                func.lower(m.c.sender).like(like), func.lower(m.c.sender_name).like(like)))
                .correlate(cs).scalar_subquery())
            keys = keys.where(hit.is_not(None))
        order = {"received": [cs.c.received_at.desc()], "category": [cs.c.category],
                 "language": [cs.c.language]}.get(f.sort, [])
        chosen = (keys.order_by(*order, cs.c.due_at, cs.c.conv)
                  .limit(size).offset((f.page - 1) * size)).subquery()
        newest_draft = (select(func.max(dr.c.id)).where(dr.c.message_id == m.c.id,
                                                        dr.c.status != "superseded")
                        .correlate(m).scalar_subquery())
        q = (select(chosen.c.conv, chosen.c.due_at, _rank(cut, chosen).label("rank"),
                    chosen.c.assignee,
                    m.c.id, m.c.thread_id, m.c.subject, m.c.sender, m.c.sender_name,
                    m.c.received_at, m.c.channel, m.c.source,
                    func.substr(m.c.text, 1, 160).label("snippet"), cl.c.category,
                    cl.c.confidence, cl.c.language, cl.c.needs_review,
                    dr.c.status.label("draft_status"))
             .select_from(chosen).join(m, m.c.id == chosen.c.newest_id)
             .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
             .outerjoin(dr, dr.c.id == newest_draft)
             .order_by(*[{"received": chosen.c.received_at.desc(),
                          "category": chosen.c.category,
                          "language": chosen.c.language}[f.sort]]
                       if f.sort in ("received", "category", "language") else [],
                       chosen.c.due_at, chosen.c.conv))
        with self.read("cannot read the queue") as c:
            if total is None:
                total = int(c.execute(select(func.count()).select_from(keys.subquery()))
                            .scalar() or 0)
            rows = [row_dict(r) for r in c.execute(q)]
            counts = self._message_counts(c, [r["conv"] for r in rows])
        for r in rows:
            r["state"] = STATES[int(r.pop("rank")) - 1]
            r["messages"] = counts.get(r["conv"], 1)
        return rows, total

    @staticmethod
    def _message_counts(c: Any, convs: Sequence[int]) -> dict[int, int]:
        """The customer's messages per conversation (:data:`COUNTED`)."""
        m = s.messages
        tids = [k for k in convs if k > 0]
        out: dict[int, int] = {}
        for chunk in chunked(tids, 500):
            out.update({int(r[0]): int(r[1]) for r in c.execute(
                select(m.c.thread_id, func.count()).where(m.c.thread_id.in_(chunk),
                                                          m.c.is_auto.is_(False))
                .group_by(m.c.thread_id))})
        return out

    def conversation_of(self, message_id: int) -> int:
        """Return the conversation key of a message (its thread, else minus its id)."""
        m = s.messages
        with self.read("cannot read the message") as c:
            tid = c.execute(select(m.c.thread_id).where(m.c.id == message_id)).scalar()
        return int(tid) if tid is not None else -message_id

    def customer_history(self, sender: str, exclude_thread: int | None,
                         limit: int = 20) -> list[dict[str, Any]]:
        """Return the sender's other conversations, newest first: thread, subject, last
        message time, category, and whether a response is still open. (Senders are stored
        in lower case by the parser.)"""
        m, cl, cs = s.messages, s.classifications, s.conversation_summary
        if not sender:
            return []
        newest = (select(conv_key(m).label("conv"), func.max(m.c.id).label("mid"),
                         func.count().label("n"))
                  .where(m.c.sender == sender.lower(), m.c.is_auto.is_(False))
                  .group_by(conv_key(m))).subquery()
        q = (select(newest.c.conv, newest.c.n, m.c.id, m.c.subject, m.c.received_at,
                    cl.c.category).select_from(newest).join(m, m.c.id == newest.c.mid)
             .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
             .order_by(m.c.received_at.desc()).limit(limit + 1))
        with self.read("cannot read the customer history") as c:
            rows = [row_dict(r) for r in c.execute(q)]
            convs = [r["conv"] for r in rows]
            still_open: set[int] = set()
            for chunk in chunked(convs, 500):
                still_open |= {int(r[0]) for r in c.execute(
                    select(cs.c.conv).where(cs.c.conv.in_(chunk)))}
        out = [r for r in rows if exclude_thread is None or r["conv"] != exclude_thread]
        for r in out:
            r["open"] = r["conv"] in still_open
            r["received_at"] = aware(r["received_at"])
        return out[:limit]
