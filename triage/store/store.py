"""Store: every read and write of triage's state goes through this class.

Each public method is one transaction. Ingestion inserts messages and saves the source cursor
together; processing flips a message from ``new`` to ``processed`` in the same transaction that
writes its classification, deadline and draft, so a crash at any point loses nothing and a
re-run doubles nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine, and_, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from triage.clock import Clock
from triage.errors import NotFound, StoreError
from triage.mail.threads import normalise_subject, token_in_subject
from triage.models import Classification, Draft, ParsedMessage
from triage.store import schema as s
from triage.store.db import make_engine, migrate
from triage.store.dberrors import store_error
from triage.store.drafts import Drafts, supersede_drafts
from triage.store.drafts import classification_values as _classification_row
from triage.store.drafts import draft_values as _draft_row

log = logging.getLogger(__name__)


def aware(value: datetime | None) -> datetime | None:
    """Return ``value`` as aware UTC (SQLite hands back naive datetimes)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class _NewThread(NamedTuple):
    """A thread started by the batch being stored (its row is inserted with the batch)."""

    index: int


class _Parent(NamedTuple):
    """What threading needs to know of an earlier message."""

    thread_id: int | _NewThread
    sender: str
    is_auto: bool
    subject: str
    auto_reason: str | None


@dataclass
class _Batch:
    """Messages and threads of one ``add_items`` call that are not inserted yet."""

    parents: dict[str, _Parent] = field(default_factory=dict)  # Message-ID -> its thread
    seq: dict[str, int] = field(default_factory=dict)  # Message-ID -> when it was added
    added: int = 0
    new_threads: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, _NewThread] = field(default_factory=dict)  # thread key -> new thread


# a statement built once: building it per message cost more than running it
_TOUCH_THREAD = (update(s.threads).where(s.threads.c.id == bindparam("tid"))
                 .values(last_message_at=bindparam("at")))


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


@dataclass
class Ingest:
    """One item to store: a parsed message, or a quarantined one with its reason."""

    external_id: str
    raw: bytes
    parsed: ParsedMessage | None
    error: str | None = None
    received_at: datetime | None = None
    backfill: bool = False


class Store:
    """Persistent state of triage. Built from an engine; call :meth:`open` for a URL."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self.drafts = Drafts(engine, clock)
        """Drafts, assignments, corrections: the review actions' reads and writes."""

    @classmethod
    def open(cls, url: str, clock: Clock) -> Store:
        """Create the engine for ``url``, apply migrations, and return a Store."""
        engine = make_engine(url)
        try:
            migrate(engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate store: {exc}") from exc
        return cls(engine, clock)

    def close(self) -> None:
        """Release every database connection."""
        self.engine.dispose()

    # ----------------------------------------------------------------- sources
    def ensure_source(self, name: str, type_: str) -> None:
        """Create the row of source ``name`` if it is new (several daemons may race here)."""
        try:
            with self.engine.begin() as c:
                if c.execute(select(s.sources.c.id).where(
                        s.sources.c.name == name)).first() is None:
                    c.execute(insert(s.sources).values(name=name, type=type_, cursor={},
                                                       failures=0))
        except IntegrityError:
            # another daemon registered it between our SELECT and INSERT: that is fine
            with self.engine.connect() as c:
                if c.execute(select(s.sources.c.id).where(
                        s.sources.c.name == name)).first() is None:
                    raise

    def get_cursor(self, name: str) -> dict[str, Any]:
        """Return the saved cursor of source ``name`` ({} when it never ran)."""
        with self.engine.connect() as c:
            row = c.execute(select(s.sources.c.cursor).where(s.sources.c.name == name)).first()
        return dict(row[0] or {}) if row else {}

    def record_source_result(self, name: str, error: str | None) -> int:
        """Record a poll's success or error; return the count of consecutive failures.

        Raises StoreError when the store cannot be written.
        """
        now = self.clock.now()
        try:
            with self.engine.begin() as c:
                if error is None:
                    c.execute(update(s.sources).where(s.sources.c.name == name).values(
                        last_success_at=now, failures=0))
                    return 0
                c.execute(update(s.sources).where(s.sources.c.name == name).values(
                    last_error=error[:2000], last_error_at=now,
                    failures=s.sources.c.failures + 1))
                row = c.execute(select(s.sources.c.failures).where(
                    s.sources.c.name == name)).first()
                return int(row[0]) if row else 1
        except SQLAlchemyError as exc:
            raise store_error(f"cannot record the poll of source {name!r}", exc) from exc

    def record_source_failure(self, name: str, type_: str, error: str) -> None:
        """Record a failed poll of source ``name``. When the store itself is down this is
        logged, not raised: the caller re-raises the poll's own error."""
        try:
            self.ensure_source(name, type_)
            self.record_source_result(name, error)
        except (SQLAlchemyError, StoreError) as exc:
            log.error("cannot record the failure of source %s: %s", name, exc)

    def source_failures(self, name: str) -> int:
        """Return how many polls of source ``name`` failed in a row (1 if it is unknown or
        the store cannot be read: back off as after one failure)."""
        try:
            with self.engine.connect() as c:
                row = c.execute(select(s.sources.c.failures).where(
                    s.sources.c.name == name)).first()
        except SQLAlchemyError:
            return 1
        return int(row[0] or 0) if row else 1

    def pause_source(self, name: str, until: datetime | None) -> None:
        """Pause polling of source ``name`` until ``until`` (None lifts the pause)."""
        with self.engine.begin() as c:
            c.execute(update(s.sources).where(s.sources.c.name == name).values(
                paused_until=until))

    def paused_until(self, name: str) -> datetime | None:
        """Return when the pause of source ``name`` ends, or None when it is not paused."""
        with self.engine.connect() as c:
            row = c.execute(select(s.sources.c.paused_until).where(
                s.sources.c.name == name)).first()
        return aware(row[0]) if row else None

    def source_rows(self) -> list[dict[str, Any]]:
        """Return every source row as a dict (for status output)."""
        with self.engine.connect() as c:
            return [self._dict(r) for r in c.execute(select(s.sources).order_by(s.sources.c.name))]

    # --------------------------------------------------------------- ingestion
    def add_items(self, source: str, items: Sequence[Ingest], cursor: dict[str, Any],
                  *, channel: str = "email") -> list[int]:
        """Store new items and the source's new cursor in one transaction.

        Items whose (source, external_id) is already stored are skipped. Returns the ids of
        the messages inserted, in the order of ``items``.
        """
        now = self.clock.now()
        new_ids: list[int] = []
        try:
            with self.engine.begin() as c:
                ext_ids = [i.external_id for i in items]
                known: set[str] = set()
                for chunk in chunked(ext_ids, 500):
                    known.update(r[0] for r in c.execute(
                        select(s.messages.c.external_id).where(
                            s.messages.c.source == source, s.messages.c.external_id.in_(chunk))))
                batch = _Batch()
                rows: list[dict[str, Any]] = []
                for item in items:
                    if item.external_id in known:
                        continue
                    known.add(item.external_id)
                    rows.append(self._message_row(c, source, item, now, channel, batch))
                if batch.new_threads:
                    # threads started by this batch: one multi-row INSERT, then the ids
                    stmt = insert(s.threads).returning(s.threads.c.id,
                                                       sort_by_parameter_order=True)
                    tids = [int(r[0]) for r in c.execute(stmt, batch.new_threads)]
                    for row in rows:
                        if isinstance(row["thread_id"], _NewThread):
                            row["thread_id"] = tids[row["thread_id"].index]
                if rows:
                    # one multi-row INSERT; ids come back in the order of the rows
                    stmt = insert(s.messages).returning(s.messages.c.id,
                                                        sort_by_parameter_order=True)
                    new_ids = [int(r[0]) for r in c.execute(stmt, rows)]
                c.execute(update(s.sources).where(s.sources.c.name == source).values(
                    cursor=cursor))
        except SQLAlchemyError as exc:
            raise store_error(f"cannot store messages of source {source!r}", exc) from exc
        return new_ids

    def _message_row(self, c: Connection, source: str, item: Ingest, now: datetime,
                     channel: str, batch: _Batch) -> dict[str, Any]:
        """Return the column values of one message (every row has the same keys)."""
        p = item.parsed
        row: dict[str, Any] = dict(
            source=source, external_id=item.external_id, ingested_at=now, raw=item.raw,
            raw_sha256=hashlib.sha256(item.raw).hexdigest(), backfill=item.backfill)
        if p is None:
            row.update(
                channel=channel, received_at=item.received_at or now, status="quarantined",
                error=item.error or "unparseable", message_id="", thread_id=None, sender="",
                sender_name="", recipients=[], subject="", text="", full_text="", html=None,
                in_reply_to=None, references=[], attachments=[], is_auto=False,
                auto_reason=None, language_hint=None)
            return row
        thread_id = self._thread_for(c, p, now, batch)
        if p.message_id:
            batch.parents[p.message_id] = _Parent(thread_id, p.sender, p.is_auto, p.subject,
                                                  p.auto_reason)
            batch.added += 1
            batch.seq[p.message_id] = batch.added
        row.update(
            message_id=p.message_id, channel=p.channel, thread_id=thread_id,
            received_at=p.received_at, sender=p.sender, sender_name=p.sender_name,
            recipients=p.to, subject=p.subject, text=p.text, full_text=p.full_text,
            html=p.html, in_reply_to=p.in_reply_to, references=p.references,
            attachments=[asdict(a) for a in p.attachments], is_auto=p.is_auto,
            auto_reason=p.auto_reason, language_hint=p.language_hint,
            status="quarantined" if item.error else "new", error=item.error)
        return row

    def _thread_for(self, c: Connection, p: ParsedMessage, now: datetime,
                    batch: _Batch | None = None) -> int | _NewThread:
        """Find the thread of ``p`` or start one (see ``triage.mail.threads``).

        ``batch`` holds the messages and threads of the same transaction not inserted yet;
        they are newer than anything stored, so a reference to one of them wins. A thread
        started in the batch is returned as a :class:`_NewThread` placeholder.
        """
        batch = batch if batch is not None else _Batch()
        t = s.threads
        if p.thread_hint:
            if p.thread_hint in batch.keys:
                return batch.keys[p.thread_hint]
            row = c.execute(select(t.c.id).where(t.c.key == p.thread_hint)).first()
            if row:
                self._touch_thread(c, int(row[0]), now)
                return int(row[0])
        refs = [r for r in [*p.references, p.in_reply_to] if r][-50:]
        if refs:
            parent: _Parent | Row[Any] | None = None
            in_batch = [r for r in refs if r in batch.parents]
            if in_batch:  # the latest stored of them, as the query below picks
                parent = batch.parents[max(in_batch, key=batch.seq.__getitem__)]
            else:
                m = s.messages
                parent = c.execute(
                    select(m.c.thread_id, m.c.sender, m.c.is_auto, m.c.subject,
                           m.c.auto_reason)
                    .where(m.c.message_id.in_(refs), m.c.thread_id.is_not(None))
                    .order_by(m.c.id.desc()).limit(1)).first()
            if parent is not None and not self._over_threaded(p, parent):
                if isinstance(parent.thread_id, _NewThread):
                    return parent.thread_id
                self._touch_thread(c, int(parent.thread_id), now)
                return int(parent.thread_id)
        token = token_in_subject(p.subject)
        bounce = False
        if token is None and p.is_auto and p.auto_reason:
            token = token_in_subject(p.auto_reason)  # a bounce names the reply that bounced
            bounce = token is not None
        if token is not None:
            row = c.execute(select(t.c.id, t.c.subject, t.c.customer)
                            .where(t.c.id == token)).first()
            if row is not None and (bounce or not self._token_reused(p, row)):
                self._touch_thread(c, token, now)
                return token
        new = _NewThread(len(batch.new_threads))
        batch.new_threads.append(dict(key=p.thread_hint, subject=p.subject, channel=p.channel,
                                      customer=p.sender, created_at=now, last_message_at=now))
        if p.thread_hint:
            batch.keys[p.thread_hint] = new
        return new

    @staticmethod
    def _touch_thread(c: Connection, thread_id: int, now: datetime) -> None:
        c.execute(_TOUCH_THREAD, dict(tid=thread_id, at=now))

    @staticmethod
    def _over_threaded(p: ParsedMessage, parent: _Parent | Row[Any]) -> bool:
        """Guard: a reply to a newsletter from someone else, or a changed subject, is new."""
        ours = (parent.auto_reason or "").startswith("sent from our own address")
        if parent.is_auto and parent.sender != p.sender and not ours:
            return True  # (a customer answering our agent's mail stays in the thread)
        old, new = normalise_subject(parent.subject or ""), normalise_subject(p.subject)
        return bool(old and new and old != new and old not in new and new not in old)

    def known_message_ids(self, source: str | None, message_ids: Sequence[str]) -> set[str]:
        """Return which of ``message_ids`` are already stored for ``source`` (any source when
        ``source`` is None)."""
        found: set[str] = set()
        m = s.messages
        with self.engine.connect() as c:
            for chunk in chunked(list(message_ids), 500):
                q = select(m.c.message_id).where(m.c.message_id.in_(chunk))
                if source is not None:
                    q = q.where(m.c.source == source)
                found.update(r[0] for r in c.execute(q))
        return found

    @staticmethod
    def _token_reused(p: ParsedMessage, thread: Row[Any]) -> bool:
        """Guard: someone else's mail on another subject that carries an old [#T-n] token
        (a forwarded or reused subject line) starts a new thread."""
        if not thread.customer or thread.customer == p.sender:
            return False
        old, new = normalise_subject(thread.subject or ""), normalise_subject(p.subject)
        return bool(old and new and old not in new and new not in old)

    # -------------------------------------------------------------- processing
    def pending_ids(self, limit: int) -> list[int]:
        """Return ids of messages waiting to be processed, oldest first."""
        with self.engine.connect() as c:
            rows = c.execute(select(s.messages.c.id).where(s.messages.c.status == "new")
                             .order_by(s.messages.c.id).limit(limit))
            return [int(r[0]) for r in rows]

    def messages_by_ids(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Return message rows (without raw bytes) for ``ids``, in that order."""
        cols = [col for col in s.messages.c if col.name != "raw"]
        with self.engine.connect() as c:
            rows = {r.id: self._dict(r) for r in c.execute(
                select(*cols).where(s.messages.c.id.in_(list(ids))))}
        return [rows[i] for i in ids if i in rows]

    def message(self, message_id: int) -> dict[str, Any]:
        """Return one message row; raises NotFound."""
        rows = self.messages_by_ids([message_id])
        if not rows:
            raise NotFound(f"message {message_id} does not exist")
        return rows[0]

    def raw(self, message_id: int) -> bytes:
        """Return the raw bytes of a message as received."""
        with self.engine.connect() as c:
            row = c.execute(select(s.messages.c.raw).where(s.messages.c.id == message_id)).first()
        if row is None:
            raise NotFound(f"message {message_id} does not exist")
        return bytes(row[0] or b"")

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
        someone else meanwhile gets nothing twice). Returns the ids that flipped.
        """
        if not results:
            return set()
        now = self.clock.now()
        m = s.messages
        by_id = {r.message_id: r for r in results}
        with self.engine.begin() as c:
            flipped: set[int] = set()
            for chunk in chunked(list(by_id), 500):
                flipped.update(int(r[0]) for r in c.execute(
                    update(m).where(m.c.id.in_(chunk), m.c.status == "new")
                    .values(status="processed", processed_at=now).returning(m.c.id)))
            done = [by_id[i] for i in by_id if i in flipped]
            classified = [r for r in done if r.classification is not None]
            drafted = [r for r in done if r.draft is not None]
            if classified:
                self._retire(c, s.classifications, [r.message_id for r in classified],
                             current=False)
                c.execute(insert(s.classifications), [
                    _classification_row(r.message_id, r.classification, now)  # type: ignore[arg-type]
                    for r in classified])
            deadlines = [dict(message_id=r.message_id, kind=r.kind, policy=r.policy,
                              due_at=r.due_at, state="ok", warnings_sent=[],
                              priority=r.priority) for r in done if r.due_at is not None]
            if deadlines:
                c.execute(insert(s.deadlines), deadlines)
            if drafted:
                supersede_drafts(c, [r.message_id for r in drafted], now)
                c.execute(insert(s.drafts), [
                    _draft_row(r.message_id, r.draft, now, "triage")  # type: ignore[arg-type]
                    for r in drafted])
        return flipped

    @staticmethod
    def _retire(c: Connection, table: Any, message_ids: Sequence[int], **values: Any) -> None:
        for chunk in chunked(list(message_ids), 500):
            c.execute(update(table).where(table.c.message_id.in_(chunk)).values(**values))

    def purge_raw(self, ingested_before: datetime, *, dry_run: bool = False,
                  chunk: int = 2000) -> int:
        """Drop the raw bytes of processed or quarantined messages ingested before
        ``ingested_before`` (and Sent-folder copies already filed); return how many messages.

        Works in chunks of ``chunk`` rows, one transaction each, so a first run over a big
        store never holds a long write lock. ``dry_run`` only counts.
        """
        m, sc = s.messages, s.imap_sent_copies
        old = and_(m.c.ingested_at < ingested_before, m.c.status != "new",
                   m.c.raw.is_not(None))
        if dry_run:
            with self.engine.connect() as c:
                return int(c.execute(select(func.count()).select_from(m).where(old))
                           .scalar_one())
        total = 0
        while True:
            with self.engine.begin() as c:
                ids = [int(r[0]) for r in c.execute(select(m.c.id).where(old).limit(chunk))]
                if ids:
                    c.execute(update(m).where(m.c.id.in_(ids)).values(raw=None))
                if len(ids) < chunk:
                    c.execute(sc.delete().where(sc.c.appended_at < ingested_before))
            total += len(ids)
            if len(ids) < chunk:
                return total

    def quarantine(self, message_id: int, reason: str) -> None:
        """Mark a message quarantined with ``reason``; it stays stored and visible."""
        with self.engine.begin() as c:
            c.execute(update(s.messages).where(s.messages.c.id == message_id).values(
                status="quarantined", error=reason[:4000], processed_at=self.clock.now()))
        self.audit("triage", "quarantine", message_id, {"reason": reason[:500]})

    # ---------------------------------------------------------------- deadlines
    def mark_met(self, message_id: int, by: str | None = None) -> None:
        """Mark the open response deadlines of a message met now (a reply went out);
        ``by`` names the agent, for the report."""
        with self.engine.begin() as c:
            c.execute(update(s.deadlines).where(
                s.deadlines.c.message_id == message_id, s.deadlines.c.state != "met",
                s.deadlines.c.kind != "resolution").values(
                state="met", met_at=self.clock.now(), met_by=by))

    # ------------------------------------------------------------------- audit
    def audit(self, actor: str, action: str, message_id: int | None = None,
              detail: dict[str, Any] | None = None) -> None:
        """Append one line to the audit log."""
        with self.engine.begin() as c:
            c.execute(insert(s.audit_log).values(at=self.clock.now(), actor=actor, action=action,
                                                 message_id=message_id, detail=detail or {}))

    # ------------------------------------------------------------------ export
    def export_rows(self, ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Return one joined row per message: message, current classification, deadline,
        newest draft. Ordered by id."""
        m, cl, d, dr = s.messages, s.classifications, s.deadlines, s.drafts
        newest = (select(func.max(dr.c.id)).where(dr.c.message_id == m.c.id,
                                                  dr.c.status != "superseded")
                  .correlate(m).scalar_subquery())
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
        with self.engine.connect() as c:
            return [self._dict(r) for r in c.execute(q)]

    def counts(self) -> dict[str, int]:
        """Return message counts by status."""
        with self.engine.connect() as c:
            rows = c.execute(select(s.messages.c.status, func.count()).group_by(
                s.messages.c.status))
            return {r[0]: int(r[1]) for r in rows}

    @staticmethod
    def _dict(row: Row[Any]) -> dict[str, Any]:
        out = dict(row._mapping)
        for k, v in out.items():
            if isinstance(v, datetime):
                out[k] = aware(v)
        return out


def chunked(seq: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    """Yield ``seq`` in slices of at most ``n`` (keeps IN lists under database limits)."""
    for i in range(0, len(seq), n):
        yield seq[i:i + n]
