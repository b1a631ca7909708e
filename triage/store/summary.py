"""The conversation summary: one row per open conversation, written by the writers.

Grouping every open response deadline by conversation on each request made the queue slow
on a big store (#16, #19). The ``conversation_summary`` table holds, for each **open**
conversation (:mod:`triage.store.conversations` defines the word, :func:`computed` reads it
from there), what the queue filters and sorts on: the most urgent open due time and the
channel and source its state is judged by, the newest open customer message with its
received time, channel, source and current classification, and the latest assignee. The
state itself (ok, due soon, breached) depends on the time and the business calendars, so it
is still computed when read, from ``due_at``.

Every transaction that changes an input calls :func:`refresh` for the conversations it
touched, as its last statement: the rows of those conversations are recomputed from the raw
tables with the same query that :func:`rebuild` runs for all (and migration 0018 ran once),
so a summary row is always what a recomputation would give. Processing is the exception:
it only opens deadlines, so :func:`add_opened` derives the rows of the conversations a batch
touched from their stored rows and the batch's own values (what a recomputation would give,
since the stored rows are), and recomputes only the few it cannot derive (#19). The writers:

=========================================  ==============================================
``processing.save_processing_many``        a message processed (status, deadline,
                                           classification); ``processing.quarantine``
``deadline_store``                         ``mark_met``, ``mark_answered``,
                                           ``add_deadline``, ``set_due``, ``set_states``
                                           (to closed)
``drafts``                                 ``discard``, ``undo_discard``, ``assign``,
                                           ``reclassify``
``outbox.mark_sent``                       the reply meets the thread's deadlines
=========================================  ==============================================

Not inputs: new messages (status ``new``: no deadline yet), drafts (the page reads the
draft status of its 100 rows), the outbox (``waiting`` is counted from the few replies on
their way), deadline states other than closed, resolution deadlines.

On PostgreSQL, :func:`refresh` first locks the rows of the conversations' threads (or of the
unthreaded message), in order: two transactions touching one conversation refresh it one
after the other, and the second one's recomputation sees the first one's commit. SQLite
has one writer at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.engine import Connection, Row

from triage.store import schema as s
from triage.store.base import Aggregate, aware, chunked, insert_rows, one_of, row_dict
from triage.store.conversations import conv_key, open_deadline

COLUMNS = ("conv", "thread_id", "due_at", "state_channel", "state_source", "newest_id",
           "received_at", "channel", "source", "category", "language", "needs_review",
           "assignee")
"""The columns of ``conversation_summary``, in the order :func:`computed` selects them."""


def _members(c: Connection, convs: Sequence[int]) -> list[int]:
    """The ids of the messages of conversations ``convs``."""
    m = s.messages
    tids = [k for k in convs if k > 0]
    mids = [-k for k in convs if k < 0]
    out: list[int] = []
    if tids:
        out += [int(r[0]) for r in c.execute(select(m.c.id).where(m.c.thread_id.in_(tids)))]
    if mids:
        out += [int(r[0]) for r in c.execute(select(m.c.id).where(m.c.id.in_(mids),
                                                                 m.c.thread_id.is_(None)))]
    return out


def computed(message_ids: Sequence[int] | None = None) -> Any:
    """The summary rows of the open conversations among the messages ``message_ids`` (all of
    a conversation's messages, or none of them; None: every message), computed from the raw
    tables (deadlines, messages, classifications, assignments), columns as :data:`COLUMNS`.

    With ids, every table is reached by them (SQLite otherwise walked every open deadline
    through ``ix_deadlines_met_at_kind`` for one conversation)."""
    d, m, cl, a = s.deadlines, s.messages, s.classifications, s.assignments
    # with ids, the messages are a subquery SQLite does not flatten (it has a LIMIT), so they
    # drive the join: given the whole IN list SQLite preferred walking every open deadline
    mm = (s.messages if message_ids is None else
          select(*[s.messages.c[k] for k in ("id", "thread_id", "channel", "source",
                                             "status", "is_auto")])
          .where(s.messages.c.id.in_(list(message_ids))).limit(len(message_ids))
          .subquery("mm"))
    grouped = (select(conv_key(mm).label("conv"), func.min(d.c.due_at).label("due_at"),
                      func.max(mm.c.id).label("newest_id"),
                      func.max(mm.c.channel).label("state_channel"),
                      func.max(mm.c.source).label("state_source"))
               .select_from(mm).join(d, d.c.message_id == mm.c.id)
               .where(open_deadline(d, mm)))
    m2 = s.messages.alias("m2")
    latest = (select(conv_key(m2).label("conv"), func.max(a.c.id).label("aid"))
              .select_from(a).join(m2, m2.c.id == a.c.message_id))
    if message_ids is not None:
        ids = list(message_ids)
        grouped = grouped.where(d.c.message_id.in_(ids))
        latest = latest.where(a.c.message_id.in_(ids), m2.c.id.in_(ids))
    g = grouped.group_by(conv_key(mm)).subquery()
    la = latest.group_by(conv_key(m2)).subquery()
    a3 = s.assignments.alias("a3")
    return (select(g.c.conv, m.c.thread_id, g.c.due_at, g.c.state_channel, g.c.state_source,
                   g.c.newest_id, m.c.received_at, m.c.channel, m.c.source, cl.c.category,
                   cl.c.language, cl.c.needs_review, a3.c.agent.label("assignee"))
            .select_from(g).join(m, m.c.id == g.c.newest_id)
            .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
            .outerjoin(la, la.c.conv == g.c.conv)
            .outerjoin(a3, a3.c.id == la.c.aid))


def convs_of(c: Connection, message_ids: Iterable[int]) -> set[int]:
    """Return the conversation keys of ``message_ids``."""
    m = s.messages
    out: set[int] = set()
    for chunk in chunked(sorted(set(message_ids)), 500):
        out.update(int(r[0]) for r in c.execute(select(conv_key(m)).where(m.c.id.in_(chunk))))
    return out


def _lock(c: Connection, convs: Sequence[int]) -> None:
    """Lock the rows that stand for ``convs`` (PostgreSQL; see the module docstring)."""
    if c.dialect.name == "sqlite":
        return
    t, m = s.threads, s.messages
    for table, keys in ((t, [k for k in convs if k > 0]), (m, [-k for k in convs if k < 0])):
        if keys:
            c.execute(select(table.c.id).where(one_of(c, table.c.id, keys))
                      .order_by(table.c.id).with_for_update())


def refresh(c: Connection, convs: Iterable[int]) -> None:
    """Recompute the summary rows of ``convs`` in transaction ``c`` (a row for each one that
    is open, none for the others). Call it last in the transaction that changed them."""
    keys = sorted(set(convs))
    if not keys:
        return
    _lock(c, keys)
    cs = s.conversation_summary
    for chunk in chunked(keys, 200):
        c.execute(delete(cs).where(cs.c.conv.in_(chunk)))
        ids = _members(c, chunk)
        if ids:
            c.execute(insert(cs).from_select(list(COLUMNS), computed(ids)))


@dataclass(frozen=True)
class Opened:
    """A response deadline that processing just opened, with what the summary needs of its
    message (flipped to ``processed``, not automatic, in the same transaction) and of the
    classification it got there."""

    message_id: int
    thread_id: int | None
    due_at: datetime
    received_at: datetime
    channel: str
    source: str
    category: str | None
    language: str | None
    needs_review: bool | None

    @property
    def conv(self) -> int:
        """The conversation key (:func:`~triage.store.conversations.conv_key`)."""
        return self.thread_id if self.thread_id is not None else -self.message_id


def add_opened(c: Connection, opened: Sequence[Opened], flipped: Mapping[int, int],
               ours: set[tuple[int, str]]) -> None:
    """Bring the summary up to date after processing opened the deadlines ``opened`` (#19).

    Processing only adds open response deadlines (and the current classification of the
    messages that got them), so a conversation's new row follows from its stored row and the
    batch's own values: the earliest due time, and the newest message with what the queue shows
    of it; a conversation without a row was not open, and opens with the batch's values. That
    replaces the recomputation :func:`refresh` runs (the costliest statement of a batch) for
    the common case. ``flipped`` maps every message the batch flipped to ``processed`` to its
    conversation, ``ours`` holds the (message, kind) of the deadlines the batch inserted.
    Recomputed with :func:`refresh` instead: the conversation of a flipped message that had
    another deadline (given while it waited: it counts from now on), a newly open one with an
    assignment, and any whose channels or sources differ (their maximum is the database's
    collation's) or whose due times are not UTC (SQLite compares them as stored text). A row
    the writers did not keep (a bulk load) stays as wrong as it was: :func:`rebuild` repairs
    it. Like :func:`refresh`, call it last in the transaction.
    """
    by_conv: dict[int, list[Opened]] = {}
    for o in opened:
        by_conv.setdefault(o.conv, []).append(o)
    keys = sorted(set(by_conv) | set(flipped.values()))
    if not keys:
        return
    _lock(c, keys)  # what is read below is read after any writer before us committed
    cs, d = s.conversation_summary, s.deadlines
    redo = {flipped[int(r.message_id)] for r in c.execute(
        select(d.c.message_id, d.c.kind).where(one_of(c, d.c.message_id, list(flipped))))
        if (int(r.message_id), r.kind) not in ours}
    old: dict[int, Row[Any]] = {}
    if derive := [k for k in keys if k in by_conv and k not in redo]:
        old.update((int(r.conv), r) for r in c.execute(select(cs).where(
            one_of(c, cs.c.conv, derive))))
    redo |= _assigned(c, [k for k in by_conv if k not in old and k not in redo])
    rows: list[dict[str, Any]] = []
    for k, group in by_conv.items():
        if k in redo:
            continue
        row = _merged(k, old.get(k), group)
        if row is None:
            redo.add(k)
        elif row:
            rows.append(row)
    if gone := [r["conv"] for r in rows if r["conv"] in old]:
        c.execute(delete(cs).where(one_of(c, cs.c.conv, gone)))
    if rows:
        insert_rows(c, cs, rows)
    refresh(c, redo)


def _utc(value: datetime) -> bool:
    return value.utcoffset() in (None, timedelta(0))


def _merged(conv: int, old: Row[Any] | None, group: Sequence[Opened]) -> dict[str, Any] | None:
    """The row of conversation ``conv`` with ``group`` opened ({}: unchanged; None: it must be
    recomputed)."""
    channels = {o.channel for o in group}
    sources = {o.source for o in group}
    if old is not None:
        channels.add(old.state_channel)
        sources.add(old.state_source)
    if len(channels) > 1 or len(sources) > 1 or not all(_utc(o.due_at) for o in group):
        return None
    first = min(group, key=lambda o: aware(o.due_at))  # type: ignore[arg-type,return-value]
    newest = max(group, key=lambda o: o.message_id)
    row: dict[str, Any] = {}
    if old is None or aware(first.due_at) < aware(old.due_at):  # type: ignore[operator]
        row["due_at"] = first.due_at
    if old is None or newest.message_id > old.newest_id:
        row.update(newest_id=newest.message_id, thread_id=newest.thread_id,
                   received_at=newest.received_at, channel=newest.channel,
                   source=newest.source, category=newest.category, language=newest.language,
                   needs_review=newest.needs_review)
    if not row:
        return {}
    if old is None:
        return dict(row, conv=conv, state_channel=newest.channel, state_source=newest.source,
                    assignee=None)
    return {**{k: old._mapping[k] for k in COLUMNS}, **row}


def _assigned(c: Connection, convs: Sequence[int]) -> set[int]:
    """Which of conversations ``convs`` have an assignment on one of their messages."""
    if not convs:
        return set()
    m, a = s.messages, s.assignments
    tids = [k for k in convs if k > 0]
    mids = [-k for k in convs if k < 0]
    return {int(r[0]) for r in c.execute(
        select(conv_key(m)).select_from(a).join(m, m.c.id == a.c.message_id)
        .where(or_(one_of(c, m.c.thread_id, tids), and_(one_of(c, m.c.id, mids),
                                                        m.c.thread_id.is_(None)))))}


def refresh_messages(c: Connection, message_ids: Iterable[int]) -> None:
    """:func:`refresh` the conversations of ``message_ids``."""
    refresh(c, convs_of(c, message_ids))


def rebuild(c: Connection) -> int:
    """Recompute every summary row (after a bulk load that bypassed the writers); return how
    many conversations are open."""
    cs = s.conversation_summary
    c.execute(delete(cs))
    c.execute(insert(cs).from_select(list(COLUMNS), computed()))
    return int(c.execute(select(func.count()).select_from(cs)).scalar() or 0)


def drift(c: Connection) -> list[tuple[str, dict[str, Any]]]:
    """Compare the stored summary with a recomputation from the raw tables; return each row
    that differs as ``("stored", row)`` or ``("computed", row)`` (empty: they agree)."""
    cs = s.conversation_summary
    stored = {_key(r) for r in (row_dict(x) for x in c.execute(select(*[cs.c[k] for k in
                                                                        COLUMNS])))}
    fresh = {_key(row_dict(x)) for x in c.execute(computed())}
    return ([("stored", dict(k)) for k in sorted(stored - fresh, key=_conv_of)]
            + [("computed", dict(k)) for k in sorted(fresh - stored, key=_conv_of)])


def _conv_of(key: tuple[tuple[str, Any], ...]) -> int:
    return int(key[0][1])


def _key(row: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    out = []
    for k in COLUMNS:
        v = row[k]
        if k == "needs_review" and v is not None:
            v = bool(v)
        out.append((k, v))
    return tuple(out)


class ConversationSummary(Aggregate):
    """``store.summary``: checks and repairs of the summary (the writers keep it)."""

    def drift(self) -> list[tuple[str, dict[str, Any]]]:
        """Compare the summary rows with a recomputation from the raw tables; return the
        rows that differ (``("stored", row)`` or ``("computed", row)``; empty: they agree)."""
        with self.read("cannot check the conversation summary") as c:
            return drift(c)

    def rebuild(self) -> int:
        """Recompute every summary row from the raw tables (after a bulk load that bypassed
        the writers, or to repair); return the number of open conversations."""
        with self.write("cannot rebuild the conversation summary") as c:
            return rebuild(c)
