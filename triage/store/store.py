"""Store: the facade every reader and writer of triage's state goes through.

It owns the engine (migrated on :meth:`Store.open`) and the clock, and holds one object per
aggregate, each in its own module and each public method one transaction:

========================  ===================================================================
``store.messages``        sources, ingest (with the threader handed in), reads, retention,
                          export (``messages.py``)
``store.processing``      classification, deadline and draft written exactly once;
                          quarantine (``processing.py``)
``store.deadlines``       deadlines met; sweep, notices, report (``deadline_store.py``)
``store.drafts``          the review actions: edits, approve, discard, assign, reclassify
                          (``drafts.py``)
``store.queue``           the review page's read models (``queue.py``)
``store.conversations``   open conversations, their states and the counts every view shows
                          (``conversations.py``)
``store.summary``         the summary row of each open conversation, kept by the writers
                          above; checked and rebuilt here (``summary.py``)
``store.notes``           internal notes; ``store.saved_replies`` agents' canned replies
                          (``notes.py``)
``store.quarantine``      quarantined messages: list, retry, dismiss (``quarantine.py``)
``store.outbox``          approved replies and their transitions (``outbox.py``)
``store.accounts``        users of the review page (``accounts.py``)
``store.registry``        model versions and corrections (``registry.py``)
``store.acks``            automatic acknowledgements (``acks.py``)
``store.opinions``        a local LLM's second opinions on unsure messages (``opinions.py``)
``store.rescores``        a sentence encoder's re-scores of unsure messages (``rescores.py``)
``store.status``          health, metrics and status reads (``status.py``)
========================  ===================================================================

Leases and claims (``ownership.py``) belong to one daemon process: :meth:`Store.leases` and
:meth:`Store.claims` build them. The IMAP write-back state is ``imap_state.py``. The methods
below keep the pipeline's and the tests' short spelling (``store.add_items(...)``) by
delegating to the aggregates. Nothing outside ``triage/store`` writes SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from triage.clock import Clock
from triage.errors import StoreError
from triage.models import Classification, Draft, Threader
from triage.store.accounts import Accounts
from triage.store.acks import Acknowledgements
from triage.store.audit_log import AuditReads
from triage.store.base import Aggregate
from triage.store.conversations import Conversations
from triage.store.db import make_engine, migrate
from triage.store.deadline_store import DeadlineStore
from triage.store.drafts import Drafts
from triage.store.learning import Learning
from triage.store.messages import Ingest, Messages
from triage.store.notes import Notes, SavedReplies
from triage.store.opinions import LlmOpinions
from triage.store.outbox import OutboxRows
from triage.store.ownership import Claims, Leases, Owner, pid_alive
from triage.store.processing import Processed, Processing
from triage.store.quarantine import Quarantine
from triage.store.queue import Queue
from triage.store.registry import ModelVersions
from triage.store.rescores import EncoderRescores
from triage.store.status import StatusReads
from triage.store.summary import ConversationSummary
from triage.store.web_sessions import LoginFailures, WebSessions


class Store:
    """Persistent state of triage. Built from an engine; call :meth:`open` for a URL."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self.messages = Messages(engine, clock)
        self.processing = Processing(engine, clock)
        self.deadlines = DeadlineStore(self)
        self.drafts = Drafts(engine, clock)
        self.queue = Queue(engine, clock)
        self.conversations = Conversations(engine, clock)
        self.summary = ConversationSummary(engine, clock)
        self.notes = Notes(engine, clock)
        self.saved_replies = SavedReplies(engine, clock)
        self.quarantined = Quarantine(engine, clock)
        self.outbox = OutboxRows(engine, clock)
        self.accounts = Accounts(engine, clock)
        self.registry = ModelVersions(engine, clock)
        self.learning = Learning(engine, clock)
        self.opinions = LlmOpinions(engine, clock)
        self.rescores = EncoderRescores(engine, clock)
        self.acks = Acknowledgements(engine, clock)
        self.status = StatusReads(engine, clock)
        self.web_sessions = WebSessions(engine, clock)
        self.login_failures = LoginFailures(engine, clock)
        self._audit = Aggregate(engine, clock)
        self.audit_log = AuditReads(self._audit)

    @classmethod
    def open(cls, url: str, clock: Clock) -> Store:
        """Create the engine for ``url``, apply migrations, and return a Store.

        Raises StoreError.
        """
        engine = make_engine(url)
        try:
            migrate(engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate store: {exc}") from exc
        return cls(engine, clock)

    def close(self) -> None:
        """Release every database connection."""
        self.engine.dispose()

    def leases(self, owner: Owner, ttl: timedelta,
               alive: Callable[[int], bool] = pid_alive) -> Leases:
        """Return the source and job leases of daemon process ``owner``."""
        return Leases(self.engine, owner, ttl, self.clock, alive)

    def claims(self, owner: Owner, ttl: timedelta,
               alive: Callable[[int], bool] = pid_alive) -> Claims:
        """Return the message claims of daemon process ``owner``."""
        return Claims(self.engine, owner, ttl, self.clock, alive)

    def audit(self, actor: str, action: str, message_id: int | None = None,
              detail: dict[str, Any] | None = None) -> None:
        """Append one line to the audit log."""
        self._audit.audit(actor, action, message_id, detail)

    # --------------------------------------------------- sources (Messages)
    def ensure_source(self, name: str, type_: str) -> None:
        """Create the row of source ``name`` if it is new."""
        self.messages.ensure_source(name, type_)

    def get_cursor(self, name: str) -> dict[str, Any]:
        """Return the saved cursor of source ``name`` ({} when it never ran)."""
        return self.messages.get_cursor(name)

    def record_source_result(self, name: str, error: str | None) -> int:
        """Record a poll's success or error; return the count of consecutive failures."""
        return self.messages.record_source_result(name, error)

    def record_source_failure(self, name: str, type_: str, error: str) -> None:
        """Record a failed poll of source ``name`` (logged, not raised, when the store is
        down)."""
        self.messages.record_source_failure(name, type_, error)

    def source_failures(self, name: str) -> int:
        """Return how many polls of source ``name`` failed in a row (1 when unknown or
        unreadable)."""
        return self.messages.source_failures(name)

    def pause_source(self, name: str, until: datetime | None) -> None:
        """Pause polling of source ``name`` until ``until`` (None lifts the pause)."""
        self.messages.pause_source(name, until)

    def paused_until(self, name: str) -> datetime | None:
        """Return when the pause of source ``name`` ends, or None."""
        return self.messages.paused_until(name)

    def source_rows(self) -> list[dict[str, Any]]:
        """Return every source row as a dict."""
        return self.messages.source_rows()

    # -------------------------------------------------- messages (Messages)
    def add_items(self, source: str, items: Sequence[Ingest], cursor: dict[str, Any], *,
                  threader: Threader, channel: str = "email") -> list[int]:
        """Store new items and the source's cursor in one transaction; return the new ids
        (see :meth:`Messages.add_items`)."""
        return self.messages.add_items(source, items, cursor, threader=threader,
                                       channel=channel)

    def known_message_ids(self, source: str | None, message_ids: Sequence[str]) -> set[str]:
        """Return which of ``message_ids`` are already stored for ``source`` (any when None)."""
        return self.messages.known_message_ids(source, message_ids)

    def pending_ids(self, limit: int) -> list[int]:
        """Return ids of messages waiting to be processed, oldest first."""
        return self.messages.pending_ids(limit)

    def messages_by_ids(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Return message rows (without raw bytes) for ``ids``, in that order."""
        return self.messages.messages_by_ids(ids)

    def messages_to_process(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Return the pipeline's columns of the rows of ``ids``, in that order (see
        :meth:`Messages.messages_to_process`)."""
        return self.messages.messages_to_process(ids)

    def message(self, message_id: int) -> dict[str, Any]:
        """Return one message row; raises NotFound."""
        return self.messages.message(message_id)

    def raw(self, message_id: int) -> bytes:
        """Return the raw bytes of a message as received; raises NotFound."""
        return self.messages.raw(message_id)

    def counts(self) -> dict[str, int]:
        """Return message counts by status."""
        return self.messages.counts()

    def purge_raw(self, ingested_before: datetime, *, dry_run: bool = False,
                  chunk: int = 2000) -> int:
        """Drop old raw bytes; return how many messages (see :meth:`Messages.purge_raw`)."""
        return self.messages.purge_raw(ingested_before, dry_run=dry_run, chunk=chunk)

    def export_rows(self, ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Return one joined row per message, ordered by id."""
        return self.messages.export_rows(ids)

    def iter_export_rows(self, chunk: int = 1000) -> Iterator[dict[str, Any]]:
        """Yield every message's export row, ``chunk`` messages per read (memory stays flat)."""
        return self.messages.iter_export_rows(chunk)

    # ------------------------------------------------------------ processing
    def save_processing(self, message_id: int, classification: Classification | None,
                        due_at: datetime | None, policy: str, draft: Draft | None, *,
                        kind: str = "first_response", priority: str = "normal") -> bool:
        """Write the results of processing one message, exactly once."""
        return self.processing.save_processing(message_id, classification, due_at, policy,
                                               draft, kind=kind, priority=priority)

    def save_processing_many(self, results: Sequence[Processed]) -> set[int]:
        """Write a batch of processing results in one transaction; return the ids written."""
        return self.processing.save_processing_many(results)

    def quarantine(self, message_id: int, reason: str) -> None:
        """Mark a message quarantined with ``reason``."""
        self.processing.quarantine(message_id, reason)

    def mark_met(self, message_id: int, by: str | None = None) -> None:
        """Mark the open response deadlines of a message met now."""
        self.deadlines.mark_met(message_id, by)
