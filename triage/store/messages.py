"""Messages and their sources: ingest, cursors, source state, reads, retention, export.

Ingestion inserts a batch of messages, the threads it starts and the source's new cursor in
one transaction, so a crash never stores a batch without its cursor or the reverse. Which
thread each message joins is decided outside the store (``triage.mail.threads``, handed in as
the ``threader``); the store reads the candidates it asks for in bulk and persists its plan.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, cast, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from triage.errors import NotFound, StoreError
from triage.models import (
    ParsedMessage,
    StoredThread,
    ThreadCandidates,
    Threader,
    ThreadLookups,
    ThreadParent,
    ThreadPlan,
)
from triage.store import schema as s
from triage.store.base import (
    Aggregate,
    aware,
    chunked,
    insert_ids,
    insert_rows,
    one_of,
    row_dict,
)
from triage.store.dberrors import store_error
from triage.store.planner_stats import analyze_grown

log = logging.getLogger(__name__)

CHUNK = 500
"""Values per IN list."""

PIPELINE_COLUMNS = (
    "id", "source", "channel", "message_id", "thread_id", "received_at", "ingested_at",
    "sender", "sender_name", "subject", "text", "full_text", "references", "attachments",
    "defects", "is_auto", "auto_reason", "language_hint", "private", "backfill")
"""The columns of a message the pipeline reads (:meth:`Messages.messages_to_process`): the
classifier (texts, subject, language hint, defects), the thread contexts and the deadline
policy (thread, received, channel, source, sender), the draft request (sender's name,
attachments, private) and the after-processing observers (metrics: source, ingested;
acknowledgements: Message-ID, references, automatic reason, backfill). Not read: the HTML,
the recipients and copies, In-Reply-To, the hash of the raw bytes, the status, error and claim
columns."""

_JSON_COLUMNS = frozenset({"references", "attachments", "defects"})
_TIME_COLUMNS = frozenset({"received_at", "ingested_at"})


def _json(text: str | None) -> Any:
    """A JSON column's value from its text, as the column type would decode it (a fresh
    ``[]`` for the common empty list without the parser)."""
    if text is None:
        return None
    return [] if text == "[]" else json.loads(text)


@dataclass
class Ingest:
    """One item to store: a parsed message, or a quarantined one with its reason."""

    external_id: str
    raw: bytes
    parsed: ParsedMessage | None
    error: str | None = None
    received_at: datetime | None = None
    backfill: bool = False


class Messages(Aggregate):
    """The ``sources``, ``messages`` and ``threads`` tables."""

    # ----------------------------------------------------------------- sources
    def ensure_source(self, name: str, type_: str) -> None:
        """Create the row of source ``name`` if it is new (several daemons may race here).

        Raises StoreError.
        """
        action = f"cannot register source {name!r}"
        try:
            with self.engine.begin() as c:
                if c.execute(select(s.sources.c.id).where(
                        s.sources.c.name == name)).first() is None:
                    c.execute(insert(s.sources).values(name=name, type=type_, cursor={},
                                                       failures=0))
        except IntegrityError as exc:
            # another daemon registered it between our SELECT and INSERT: that is fine
            with self.read(action) as c:
                if c.execute(select(s.sources.c.id).where(
                        s.sources.c.name == name)).first() is None:
                    raise store_error(action, exc) from exc
        except SQLAlchemyError as exc:
            raise store_error(action, exc) from exc

    def get_cursor(self, name: str) -> dict[str, Any]:
        """Return the saved cursor of source ``name`` ({} when it never ran)."""
        with self.read(f"cannot read the cursor of source {name!r}") as c:
            row = c.execute(select(s.sources.c.cursor).where(s.sources.c.name == name)).first()
        return dict(row[0] or {}) if row else {}

    def record_source_result(self, name: str, error: str | None) -> int:
        """Record a poll's success or error; return the count of consecutive failures."""
        now = self.clock.now()
        src = s.sources
        with self.write(f"cannot record the poll of source {name!r}") as c:
            if error is None:
                c.execute(update(src).where(src.c.name == name).values(
                    last_success_at=now, failures=0))
                return 0
            c.execute(update(src).where(src.c.name == name).values(
                last_error=error[:2000], last_error_at=now, failures=src.c.failures + 1))
            row = c.execute(select(src.c.failures).where(src.c.name == name)).first()
            return int(row[0]) if row else 1

    def record_source_failure(self, name: str, type_: str, error: str) -> None:
        """Record a failed poll of source ``name``. When the store itself is down this is
        logged, not raised: the caller re-raises the poll's own error."""
        try:
            self.ensure_source(name, type_)
            self.record_source_result(name, error)
        except StoreError as exc:
            log.error("cannot record the failure of source %s: %s", name, exc)

    def source_failures(self, name: str) -> int:
        """Return how many polls of source ``name`` failed in a row (1 if it is unknown or
        the store cannot be read: back off as after one failure)."""
        try:
            with self.read(f"cannot read the state of source {name!r}") as c:
                row = c.execute(select(s.sources.c.failures).where(
                    s.sources.c.name == name)).first()
        except StoreError:
            return 1
        return int(row[0] or 0) if row else 1

    def pause_source(self, name: str, until: datetime | None) -> None:
        """Pause polling of source ``name`` until ``until`` (None lifts the pause)."""
        with self.write(f"cannot pause source {name!r}") as c:
            c.execute(update(s.sources).where(s.sources.c.name == name).values(
                paused_until=until))

    def paused_until(self, name: str) -> datetime | None:
        """Return when the pause of source ``name`` ends, or None when it is not paused."""
        with self.read(f"cannot read the state of source {name!r}") as c:
            row = c.execute(select(s.sources.c.paused_until).where(
                s.sources.c.name == name)).first()
        return aware(row[0]) if row else None

    def source_rows(self) -> list[dict[str, Any]]:
        """Return every source row as a dict (for status output)."""
        with self.read("cannot read the sources") as c:
            return [row_dict(r) for r in c.execute(select(s.sources).order_by(s.sources.c.name))]

    # --------------------------------------------------------------- ingestion
    def add_items(self, source: str, items: Sequence[Ingest], cursor: dict[str, Any], *,
                  threader: Threader, channel: str = "email") -> list[int]:
        """Store new items and the source's new cursor in one transaction.

        Items whose (source, external_id) is already stored are skipped. ``threader`` decides
        the thread of each parsed item (``triage.mail.threads.assign_threads``). Returns the
        ids of the messages inserted, in the order of ``items``. Raises StoreError.
        """
        now = self.clock.now()
        new_ids: list[int] = []
        with self.write(f"cannot store messages of source {source!r}") as c:
            known: set[str] = set()
            if items:
                known.update(r[0] for r in c.execute(
                    select(s.messages.c.external_id).where(
                        s.messages.c.source == source,
                        one_of(c, s.messages.c.external_id, [i.external_id for i in items]))))
            fresh: list[Ingest] = []
            for item in items:
                if item.external_id not in known:
                    known.add(item.external_id)
                    fresh.append(item)
            parsed = [i.parsed for i in fresh if i.parsed is not None]
            plan = threader(parsed, lambda want: self._candidates(c, want))
            thread_ids = iter(self._save_threads(c, plan, now))
            rows = [message_row(source, item, now, channel,
                                next(thread_ids) if item.parsed is not None else None)
                    for item in fresh]
            if rows:
                new_ids = self._insert(c, source, rows)
                insert_rows(c, s.message_raw, [dict(message_id=i, raw=item.raw)
                                               for i, item in zip(new_ids, fresh, strict=True)])
            c.execute(update(s.sources).where(s.sources.c.name == source).values(
                cursor=cursor))
        if new_ids:
            analyze_grown(self.engine)
        return new_ids

    @staticmethod
    def _insert(c: Connection, source: str, rows: list[dict[str, Any]]) -> list[int]:
        """Insert message ``rows`` of ``source``; return their ids in order. On SQLite by
        executemany (sqlite3 runs one prepared statement over the rows), then the ids read
        back by their unique (source, external_id): cheaper than building and preparing a
        multi-row INSERT ... RETURNING of some 5,000 parameters per batch (#19)."""
        if c.dialect.name == "postgresql":
            return insert_ids(c, s.messages, rows)
        m = s.messages
        c.execute(insert(m), rows)
        ids = dict(c.execute(select(m.c.external_id, m.c.id).where(
            m.c.source == source, one_of(c, m.c.external_id, [r["external_id"] for r in rows]))
        ).all())
        return [int(ids[r["external_id"]]) for r in rows]

    @staticmethod
    def _candidates(c: Connection, want: ThreadLookups) -> ThreadCandidates:
        """Read what the threader asked for: a few IN queries for the whole batch."""
        t, m = s.threads, s.messages
        by_key: dict[str, int] = {}
        if want.keys:
            by_key.update((r.key, int(r.id)) for r in c.execute(
                select(t.c.id, t.c.key).where(one_of(c, t.c.key, sorted(want.keys)))))
        parents: dict[str, ThreadParent] = {}
        if want.message_ids:
            for r in c.execute(select(m.c.id, m.c.message_id, m.c.thread_id, m.c.sender,
                                      m.c.is_auto, m.c.subject, m.c.auto_reason)
                               .where(one_of(c, m.c.message_id, sorted(want.message_ids)),
                                      m.c.thread_id.is_not(None))):
                seen = parents.get(r.message_id)
                if seen is None or r.id > seen.row_id:
                    parents[r.message_id] = ThreadParent(int(r.id), int(r.thread_id), r.sender,
                                                         bool(r.is_auto), r.subject or "",
                                                         r.auto_reason)
        threads: dict[int, StoredThread] = {}
        if want.thread_ids:
            threads.update((int(r.id), StoredThread(int(r.id), r.subject or "",
                                                    r.customer or ""))
                           for r in c.execute(select(t.c.id, t.c.subject, t.c.customer).where(
                               one_of(c, t.c.id, sorted(want.thread_ids)))))
        return ThreadCandidates(by_key, parents, threads)

    @staticmethod
    def _save_threads(c: Connection, plan: ThreadPlan, now: datetime) -> list[int]:
        """Insert the threads the plan starts, move the touched ones; return each message's
        thread id in order."""
        t = s.threads
        new_ids: list[int] = []
        if plan.new_threads:
            new_ids = insert_ids(c, t, [
                dict(key=n.key, subject=n.subject, channel=n.channel, customer=n.customer,
                     created_at=now, last_message_at=now) for n in plan.new_threads])
        if plan.touched:
            c.execute(update(t).where(one_of(c, t.c.id, sorted(plan.touched)))
                      .values(last_message_at=now))
        return [ch.thread_id if ch.thread_id is not None else new_ids[ch.new]  # type: ignore[index]
                for ch in plan.choices]

    def known_message_ids(self, source: str | None, message_ids: Sequence[str]) -> set[str]:
        """Return which of ``message_ids`` are already stored for ``source`` (any source when
        ``source`` is None)."""
        m = s.messages
        found: set[str] = set()
        with self.read("cannot read the stored Message-IDs") as c:
            for chunk in chunked(list(message_ids), CHUNK):
                q = select(m.c.message_id).where(m.c.message_id.in_(chunk))
                if source is not None:
                    q = q.where(m.c.source == source)
                found.update(r[0] for r in c.execute(q))
        return found

    # ------------------------------------------------------------------- reads
    def pending_ids(self, limit: int) -> list[int]:
        """Return ids of messages waiting to be processed, oldest first."""
        with self.read("cannot read the waiting messages") as c:
            rows = c.execute(select(s.messages.c.id).where(s.messages.c.status == "new")
                             .order_by(s.messages.c.id).limit(limit))
            return [int(r[0]) for r in rows]

    def messages_by_ids(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Return message rows (without raw bytes) for ``ids``, in that order."""
        rows: dict[int, dict[str, Any]] = {}
        with self.read("cannot read messages") as c:
            if ids:
                rows.update((r.id, row_dict(r)) for r in c.execute(
                    select(s.messages).where(one_of(c, s.messages.c.id, ids))))
        return [rows[i] for i in ids if i in rows]

    def messages_to_process(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Return the rows the pipeline processes for ``ids``, in that order: only the
        columns of :data:`PIPELINE_COLUMNS`, each value as :meth:`messages_by_ids` gives it.

        The full rows cost the polling worker 0.55-0.7 CPU s per 10,000 messages on
        PostgreSQL (#19), mostly decoding the five JSON columns (50,000 ``json.loads`` of
        bytes) and building 35-column dicts; the pipeline reads three of those JSON columns,
        nearly always ``[]``. So the JSON columns come as their text (``[]`` decoded without
        the parser) and the dict is built from the known columns directly.
        """
        if not ids:
            return []
        m = s.messages
        cols = [cast(m.c[k], Text).label(k) if k in _JSON_COLUMNS else m.c[k]
                for k in PIPELINE_COLUMNS]
        json_at = [n for n, k in enumerate(PIPELINE_COLUMNS) if k in _JSON_COLUMNS]
        time_at = [n for n, k in enumerate(PIPELINE_COLUMNS) if k in _TIME_COLUMNS]
        rows: dict[int, dict[str, Any]] = {}
        with self.read("cannot read messages") as c:
            for r in c.execute(select(*cols).where(one_of(c, m.c.id, ids))).all():
                v = list(r)
                for n in json_at:
                    v[n] = _json(v[n])
                for n in time_at:
                    v[n] = aware(v[n])
                rows[v[0]] = dict(zip(PIPELINE_COLUMNS, v, strict=True))
        return [rows[i] for i in ids if i in rows]

    def message(self, message_id: int) -> dict[str, Any]:
        """Return one message row; raises NotFound."""
        rows = self.messages_by_ids([message_id])
        if not rows:
            raise NotFound(f"message {message_id} does not exist")
        return rows[0]

    def raw(self, message_id: int) -> bytes:
        """Return the raw bytes of a message as received; raises NotFound."""
        m, r = s.messages, s.message_raw
        with self.read(f"cannot read message {message_id}") as c:
            row = c.execute(select(m.c.id, r.c.raw).select_from(
                m.outerjoin(r, r.c.message_id == m.c.id)).where(m.c.id == message_id)).first()
        if row is None:
            raise NotFound(f"message {message_id} does not exist")
        return bytes(row.raw or b"")

    def counts(self) -> dict[str, int]:
        """Return message counts by status."""
        with self.read("cannot count messages") as c:
            rows = c.execute(select(s.messages.c.status, func.count()).group_by(
                s.messages.c.status))
            return {r[0]: int(r[1]) for r in rows}

    # --------------------------------------------------------------- retention
    def purge_raw(self, ingested_before: datetime, *, dry_run: bool = False,
                  chunk: int = 2000) -> int:
        """Drop the raw bytes of processed or quarantined messages ingested before
        ``ingested_before`` (and Sent-folder copies already filed); return how many messages.

        Works in chunks of ``chunk`` rows, one transaction each, so a first run over a big
        store never holds a long write lock. ``dry_run`` only counts.
        """
        m, r, sc = s.messages, s.message_raw, s.imap_sent_copies
        kept = m.join(r, r.c.message_id == m.c.id)
        old = and_(m.c.ingested_at < ingested_before, m.c.status != "new")
        action = "cannot apply retention"
        if dry_run:
            with self.read(action) as c:
                return int(c.execute(select(func.count()).select_from(kept).where(old))
                           .scalar_one())
        total = 0
        while True:
            with self.write(action) as c:
                ids = [int(x[0]) for x in c.execute(select(m.c.id).select_from(kept)
                                                    .where(old).limit(chunk))]
                if ids:
                    c.execute(delete(r).where(r.c.message_id.in_(ids)))
                if len(ids) < chunk:
                    c.execute(sc.delete().where(sc.c.appended_at < ingested_before))
            total += len(ids)
            if len(ids) < chunk:
                return total

    # ------------------------------------------------------------------ export
    def export_rows(self, ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Return one joined row per message: message, current classification, deadline,
        newest draft (the newest not superseded; when every draft of the message was
        superseded, by a newer message of its conversation, the last one, with
        ``draft_status`` ``superseded``). Ordered by id."""
        m, cl, d, dr = s.messages, s.classifications, s.deadlines, s.drafts
        live = (select(func.max(dr.c.id)).where(dr.c.message_id == m.c.id,
                                                dr.c.status != "superseded")
                .correlate(m).scalar_subquery())
        last = (select(func.max(dr.c.id)).where(dr.c.message_id == m.c.id)
                .correlate(m).scalar_subquery())
        newest = func.coalesce(live, last)
        q = (select(m.c.id, m.c.source, m.c.channel, m.c.external_id, m.c.message_id,
                    m.c.thread_id, m.c.received_at, m.c.sender, m.c.sender_name, m.c.subject,
                    m.c.text, m.c.full_text, m.c.is_auto, m.c.auto_reason, m.c.status,
                    m.c.error, cl.c.category, cl.c.confidence, cl.c.language,
                    cl.c.needs_review, cl.c.model_version, d.c.due_at, d.c.state,
                    d.c.kind.label("deadline_kind"), d.c.priority, d.c.met_at,
                    dr.c.status.label("draft_status"), dr.c.text.label("draft"),
                    dr.c.subject.label("draft_subject"))
             .select_from(m)
             .outerjoin(cl, and_(cl.c.message_id == m.c.id, cl.c.current.is_(True)))
             .outerjoin(d, and_(d.c.message_id == m.c.id,
                                d.c.kind.in_(("first_response", "next_response"))))
             .outerjoin(dr, dr.c.id == newest)
             .order_by(m.c.id))
        if ids is not None:
            q = q.where(m.c.id.in_(list(ids)))
        with self.read("cannot export messages") as c:
            return [row_dict(r) for r in c.execute(q)]

    def iter_export_rows(self, chunk: int = 1000) -> Iterator[dict[str, Any]]:
        """Yield :meth:`export_rows` for every message, ``chunk`` messages at a time (one
        short read each, by id), so an export of a million messages never holds them all."""
        m = s.messages
        last = 0
        while True:
            with self.read("cannot export messages") as c:
                ids = [int(r[0]) for r in c.execute(select(m.c.id).where(m.c.id > last)
                                                    .order_by(m.c.id).limit(chunk))]
            if not ids:
                return
            yield from self.export_rows(ids)
            last = ids[-1]


def message_row(source: str, item: Ingest, now: datetime, channel: str,
                thread_id: int | None) -> dict[str, Any]:
    """Return the column values of one message (every row has the same keys, as a
    multi-row INSERT needs)."""
    p = item.parsed
    row: dict[str, Any] = dict(
        source=source, external_id=item.external_id, ingested_at=now,
        raw_sha256=hashlib.sha256(item.raw).hexdigest(), backfill=item.backfill)
    if p is None:
        row.update(
            channel=channel, received_at=item.received_at or now, status="quarantined",
            error=item.error or "unparseable", message_id="", thread_id=None, sender="",
            sender_name="", recipients=[], subject="", text="", full_text="", html=None,
            in_reply_to=None, references=[], attachments=[], is_auto=False,
            auto_reason=None, language_hint=None, cc=[], defects=[], private=False)
        return row
    row.update(
        message_id=p.message_id, channel=p.channel, thread_id=thread_id,
        received_at=p.received_at, sender=p.sender, sender_name=p.sender_name,
        recipients=p.to, cc=p.cc, defects=list(p.defects), subject=p.subject, text=p.text,
        full_text=p.full_text,
        html=p.html, in_reply_to=p.in_reply_to, references=p.references,
        attachments=[asdict(a) for a in p.attachments], is_auto=p.is_auto,
        auto_reason=p.auto_reason, language_hint=p.language_hint, private=p.private,
        status="quarantined" if item.error else "new", error=item.error)
    return row
