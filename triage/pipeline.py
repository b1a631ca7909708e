"""The pipeline: fetch -> parse -> store -> classify -> deadline -> draft.

Ingestion and processing are separate steps joined by the message status in the store, so a
crash between them, or in the middle of either, is repaired by simply running again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from triage.clock import Clock
from triage.deadlines.policy import DeadlinePolicy, ThreadContext
from triage.drafting.render import Renderer
from triage.drafting.request import request_for
from triage.mail.batch import ParseJob, ParseOutcome, parse_batch, parse_one
from triage.mail.scrub import clean_text, scrub
from triage.mail.threads import assign_threads
from triage.models import Classification, FetchResult, RawItem, Threader
from triage.sources.base import Source
from triage.sources.imap import header_message_id
from triage.store import Ingest, Processed, Store
from triage.store.deadline_store import DeadlineStore

log = logging.getLogger(__name__)


@dataclass
class RunStats:
    """Counts of one poll or processing run."""

    fetched: int = 0
    stored: int = 0
    quarantined: int = 0
    processed: int = 0
    failed: int = 0
    duplicates: int = 0
    """Messages not stored because their Message-ID was already stored (imports)."""
    errors: list[str] = field(default_factory=list)

    def merge(self, other: RunStats) -> None:
        """Add ``other``'s counts to these."""
        self.fetched += other.fetched
        self.stored += other.stored
        self.quarantined += other.quarantined
        self.processed += other.processed
        self.failed += other.failed
        self.duplicates += other.duplicates
        self.errors.extend(other.errors)


class BatchParser(Protocol):
    """Parse processes: take a batch of emails, give back the call that waits for them."""

    def submit(self, jobs: list[ParseJob],
               own_addresses: tuple[str, ...]) -> Callable[[], list[ParseOutcome]]:
        """Start parsing ``jobs``; the returned call returns the outcomes in order."""
        ...


def _record(item: RawItem, outcome: ParseOutcome, fallback: datetime,
            backfill: bool) -> Ingest:
    """The record to store for ``item`` given its parse ``outcome`` (a reason: quarantined).

    A source may keep a message it could not fully fetch (an oversized one): it is stored
    quarantined with the source's reason (``meta['error']``), never skipped."""
    backfill = backfill or bool(item.meta.get("backfill"))  # a source may know it is old
    if isinstance(outcome, str):
        return Ingest(item.external_id, item.raw, None, error=outcome, received_at=fallback,
                      backfill=backfill)
    return Ingest(item.external_id, item.raw, outcome, error=item.meta.get("error"),
                  received_at=fallback, backfill=backfill)


UNSURE = 0.5
"""The highest confidence a partly decoded message's category is stored with."""


def partly_decoded(cl: Classification, defects: Sequence[str] | None) -> Classification:
    """Return ``cl`` for a message with parse ``defects``: sent to review and never
    confident (the model read only part of it); unchanged for a clean message."""
    if not defects:
        return cl
    return replace(cl, needs_review=True, confidence=min(cl.confidence, UNSURE))


def plan_and_draft(row: Mapping[str, Any], cl: Classification, context: ThreadContext,
                   deadlines: DeadlinePolicy, renderer: Renderer, *,
                   now: datetime | None = None, situation: str | None = None) -> Processed:
    """Return the deadline plan and the rendered draft of stored message ``row`` classified
    as ``cl``: what processing saves, and what an agent's reclassification saves again.

    The draft is written for ``situation`` (an agent's choice), else the one detected in the
    text (also after an agent's reclassification: a damaged parcel is still a damaged parcel
    when its category changes; a situation without a template in the new category gives that
    category's general reply). Its promise is computed from ``now`` (default: the renderer's
    clock). Raises TemplateError when no template renders.
    """
    plan = deadlines.plan(row, cl.category, context)
    draft = renderer.render(request_for(
        row, category=cl.category, language=cl.language, due_at=plan.due_at,
        needs_review=cl.needs_review, situation=situation, now=now,
        thread=context))
    return Processed(row["id"], cl, plan.due_at, plan.policy, draft, kind=plan.kind,
                     priority=plan.priority)


class Pipeline:
    """Runs messages through every stage; collaborators are injected."""

    def __init__(self, store: Store, classifier: object, renderer: Renderer,
                 deadlines: DeadlinePolicy, clock: Clock, *, batch_size: int = 200,
                 own_addresses: tuple[str, ...] = (),
                 stop: threading.Event | None = None, claims: Any = None,
                 after_processed: Sequence[Callable[[dict, Classification | None], None]] = (),
                 threader: Threader = assign_threads) -> None:
        self.store = store
        self.classifier = classifier
        self.renderer = renderer
        self.deadlines = deadlines
        self.clock = clock
        self.batch_size = batch_size
        self.own_addresses = own_addresses
        self.deadline_store = DeadlineStore(store, own_addresses)
        self.stop = stop or threading.Event()
        # several daemons on one store: claim rows instead of reading all waiting ones
        self.claims = claims
        # observers of each processed message (metrics, acknowledgements); never fatal
        self.after_processed = list(after_processed)
        # which thread each new message joins: decided in triage.mail, stored by the store
        self.threader = threader
        # False when worker processes do the processing (triage.workers): polling only stores
        self.process_after_ingest = True
        # parse processes (triage.workers.ParsePool) the poll hands its batches to; None: the
        # polling process parses
        self.parser: BatchParser | None = None
        # called after a batch stored new messages (wakes the worker processes)
        self.after_store: Callable[[], object] | None = None

    # ------------------------------------------------------------------ ingest
    def to_ingest(self, item: RawItem, channel: str, backfill: bool = False) -> Ingest:
        """Parse one raw item here; an unparseable one becomes a quarantined record."""
        fallback = item.received_at or self.clock.now()
        outcome = self._local_outcome(item, channel)
        if outcome is None:
            outcome = parse_one(item.external_id, item.raw, fallback, self.own_addresses)
        return _record(item, outcome, fallback, backfill)

    @staticmethod
    def _local_outcome(item: RawItem, channel: str) -> ParseOutcome | None:
        """The outcome of an item that needs no email parsing (None: it does)."""
        if item.meta.get("parse_error"):  # an item the source could not read
            return clean_text(str(item.meta["parse_error"]))
        if "parsed" in item.meta:  # social posts, exported messages read back
            try:
                return scrub(item.meta["parsed"])
            except Exception as exc:  # an unexpected bug must not lose the message
                log.exception("cannot store the parsed form of %s", item.external_id)
                return clean_text(f"parser error: {type(exc).__name__}: {exc}")
        if channel != "email":
            return clean_text(f"{item.external_id}: the source gave no message")
        return None

    def start_ingest(self, items: Sequence[RawItem], channel: str,
                     backfill: bool = False) -> Callable[[], list[Ingest]]:
        """Start parsing ``items``: in the parse processes when there are some
        (:attr:`parser`), else here when the returned call is made. That call waits for the
        parse and returns the records to store, in the order of ``items``; an unparseable
        item becomes a quarantined record, not an error."""
        now = self.clock.now()
        fallbacks = [i.received_at or now for i in items]
        outcomes: list[ParseOutcome | None] = [self._local_outcome(i, channel) for i in items]
        todo = [n for n, o in enumerate(outcomes) if o is None]
        jobs = [(items[n].external_id, items[n].raw, fallbacks[n]) for n in todo]
        waiter: Callable[[], list[ParseOutcome]] | None = None
        if jobs and self.parser is not None:
            try:
                waiter = self.parser.submit(jobs, self.own_addresses)
            except Exception:  # no parse process to be had: parse here
                log.exception("cannot hand %d message(s) to the parse processes", len(jobs))

        def finish() -> list[Ingest]:
            parsed: list[ParseOutcome] | None = None
            if waiter is not None:
                try:
                    parsed = waiter()
                except Exception:  # a parse process died (killed, out of memory)
                    log.exception("the parse processes failed on %d message(s); parsing "
                                  "them here", len(jobs))
            if parsed is None or len(parsed) != len(jobs):
                parsed = parse_batch(jobs, self.own_addresses)[0]
            for n, outcome in zip(todo, parsed, strict=True):
                outcomes[n] = outcome
            return [_record(i, o, f, backfill)  # type: ignore[arg-type]
                    for i, o, f in zip(items, outcomes, fallbacks, strict=True)]

        return finish

    def _store(self, source_name: str, channel: str, result: FetchResult,
               records: list[Ingest]) -> RunStats:
        ids = self.store.add_items(source_name, records, result.cursor, channel=channel,
                                   threader=self.threader)
        if ids and self.after_store is not None:
            self.after_store()
        bad = sum(1 for b in records if b.parsed is None or b.error)
        return RunStats(fetched=len(records), stored=len(ids), quarantined=bad)

    def ingest(self, source_name: str, channel: str, result: FetchResult,
               backfill: bool = False) -> RunStats:
        """Store one fetched batch together with its cursor."""
        return self._store(source_name, channel, result,
                           self.start_ingest(result.items, channel, backfill)())

    def poll(self, source: Source) -> RunStats:
        """Fetch everything new from ``source`` batch by batch, then process it.

        With parse processes (:attr:`parser`) the next batch is fetched while the one before
        is parsed; batches are still stored one after the other, in the order fetched, each
        with its cursor (threading sees a message's parent before the message).
        """
        self.store.ensure_source(source.name, source.type)
        bind = getattr(source, "bind_store", None)
        if bind is not None:  # sources that dedupe against the store (IMAP resync)
            bind(self.store)
        stats = RunStats()
        cursor = self.store.get_cursor(source.name)
        waiting: tuple[FetchResult, Callable[[], list[Ingest]]] | None = None
        while not self.stop.is_set():
            result = source.fetch(cursor, self.batch_size)
            if waiting is not None:  # the batch before, parsed meanwhile
                stats.merge(self._store_and_process(source, *waiting))
                waiting = None
            if not result.items:
                if result.cursor != cursor:
                    self.store.add_items(source.name, [], result.cursor, channel=source.channel,
                                         threader=self.threader)
                break
            waiting = (result, self.start_ingest(result.items, source.channel))
            cursor = result.cursor
            if self.parser is None:  # nothing to overlap: store it now
                stats.merge(self._store_and_process(source, *waiting))
                waiting = None
        # a batch still parsing when stop came is not stored: its cursor was not saved either
        log.info("poll %s: fetched=%d stored=%d quarantined=%d processed=%d", source.name,
                 stats.fetched, stats.stored, stats.quarantined, stats.processed)
        return stats

    def _store_and_process(self, source: Source, result: FetchResult,
                           finish: Callable[[], list[Ingest]]) -> RunStats:
        stats = self._store(source.name, source.channel, result, finish())
        if self.process_after_ingest:
            stats.merge(self.process_pending())
        return stats

    def import_items(self, source_name: str, items: Iterable[RawItem]) -> RunStats:
        """Store archive items as a backfill (never auto-answered), then process them.

        A message whose Message-ID is already stored, from any source, or that came earlier
        in the same import, is counted in ``duplicates`` and not stored again.
        """
        self.store.ensure_source(source_name, "import")
        stats = RunStats()
        batch: list[RawItem] = []
        seen: set[str] = set()

        def flush() -> None:
            mids = [_import_message_id(i) for i in batch]
            known = self.store.known_message_ids(None, [m for m in mids if m]) | seen
            fresh: dict[str, list[RawItem]] = {}
            for item, mid in zip(batch, mids, strict=True):
                if mid and mid in known:
                    stats.fetched += 1
                    stats.duplicates += 1
                else:
                    known.add(mid)
                    fresh.setdefault(item.meta.get("channel", "email"), []).append(item)
            seen.update(m for m in mids if m)
            for channel, items in fresh.items():  # an export file may mix channels
                stats.merge(self.ingest(source_name, channel, FetchResult(items, {}), True))
            batch.clear()

        for item in items:
            batch.append(item)
            if len(batch) >= self.batch_size:
                flush()
        if batch:
            flush()
        stats.merge(self.process_pending())
        return stats

    # ----------------------------------------------------------------- process
    def process_pending(self) -> RunStats:
        """Classify, deadline and draft every stored message still marked new.

        Each batch is classified in one model call, its thread contexts read in a few
        queries, and its results saved in one transaction; a message whose own processing
        fails is quarantined alone.
        """
        stats = RunStats()
        while not self.stop.is_set():
            ids = (self.claims.claim(self.batch_size) if self.claims is not None
                   else self.store.pending_ids(self.batch_size))
            if not ids:
                break
            rows = self.store.messages_to_process(ids)
            self._process_batch(rows, self._classify(rows), stats)
        if self.claims is not None and self.stop.is_set():
            self.claims.release()
        return stats

    def _classify(self, rows: list[dict]) -> list[Classification | Exception | None]:
        """Classify a batch in one model call; ``None`` for automatic mail.

        If the batch call fails, each message is classified alone, so that only a message
        the model truly cannot handle gets the exception (and is quarantined for it), not the
        whole batch.
        """
        from classifiers.model import model_input

        todo = [i for i, r in enumerate(rows) if not r["is_auto"]]
        out: list[Classification | Exception | None] = [None] * len(rows)
        texts = [model_input(rows[i]["text"] or rows[i]["full_text"], rows[i]["subject"])
                 for i in todo]
        langs = [rows[i].get("language_hint") for i in todo]
        predict = self.classifier.predict  # type: ignore[attr-defined]
        try:
            for i, p in zip(todo, predict(texts, languages=langs) if todo else [], strict=True):
                out[i] = partly_decoded(p, rows[i].get("defects"))
        except Exception:
            log.exception("classifier failed on a batch of %d; classifying one by one",
                          len(todo))
            for i, text, lang in zip(todo, texts, langs, strict=True):
                try:
                    out[i] = partly_decoded(predict([text], languages=[lang])[0],
                                            rows[i].get("defects"))
                except Exception as exc:
                    out[i] = exc
        return out

    def _process_batch(self, rows: list[dict], results: list[Classification | Exception | None],
                       stats: RunStats) -> None:
        todo = [r for r, cl in zip(rows, results, strict=True)
                if not r["is_auto"] and isinstance(cl, Classification)]
        contexts = dict(zip([r["id"] for r in todo], self.deadline_store.thread_contexts(todo),
                            strict=True))
        ready: list[Processed] = []
        failed: list[tuple[int, Exception]] = []
        by_id = {r["id"]: (r, cl) for r, cl in zip(rows, results, strict=True)}
        for row, cl in zip(rows, results, strict=True):
            if self.stop.is_set():  # finish what is done, leave the rest for the next run
                break
            try:
                if isinstance(cl, Exception):
                    raise cl
                if row["is_auto"] or cl is None:
                    # automatic mail: stored and visible, no deadline, never a draft
                    ready.append(Processed(row["id"], None, None, "", None))
                else:
                    ready.append(self._results(row, cl, contexts[row["id"]]))
            except Exception as exc:  # contained per message: quarantined with its reason
                failed.append((row["id"], exc))
        # the store failing is not the messages' fault: its StoreError propagates, and no
        # message is quarantined for it
        done = self.store.save_processing_many(ready)
        for p in ready:
            if p.message_id in done:
                stats.processed += 1
                self._notify(*by_id[p.message_id])
        for mid, exc in failed:
            log.warning("message %s quarantined: %s", mid, exc)
            self.store.quarantine(mid, f"{type(exc).__name__}: {exc}")
            stats.failed += 1
            stats.errors.append(f"message {mid}: {exc}")

    def _results(self, row: dict, cl: Classification, context: ThreadContext) -> Processed:
        """Plan the deadline and render the draft of one classified message."""
        return plan_and_draft(row, cl, context, self.deadlines, self.renderer,
                              now=self.clock.now())

    def _notify(self, row: dict, cl: Classification | None) -> None:
        for observer in self.after_processed:
            try:
                observer(row, cl)
            except Exception:  # an observer failing must not undo or block processing
                log.exception("after-processing step %r failed on message %s", observer,
                              row["id"])


def _import_message_id(item: RawItem) -> str:
    """The Message-ID an imported item will be stored with ('' for one that will be
    quarantined without one)."""
    parsed = item.meta.get("parsed")
    if parsed is not None:
        return str(parsed.message_id)
    if item.meta.get("parse_error"):
        return ""
    return header_message_id(item.raw)
