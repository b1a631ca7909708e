"""What the chat sources (Telegram, Facebook, Zalo, WhatsApp) share: one sweep per poll handed
out in batches, webhook deliveries read back from the store, and the message they all make.

A sweep reads everything new (API pages and/or stored webhook deliveries) and the cursor after
it; :meth:`SweepSource.fetch` hands it to the pipeline ``limit`` items at a time and moves the
cursor only with the last batch, so a crash in between makes the next poll sweep again from
the old cursor and the store ignores what it already has (unique source + external id). A
rate limit (or another source error) met in the middle of a sweep keeps what was read and is
raised on the next fetch, so the daemon pauses (or backs off) the source after storing it; a
polling failure therefore never holds back the webhook deliveries already read.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from triage.clock import Clock
from triage.errors import SourceError
from triage.models import FetchResult, ParsedMessage, RawItem
from triage.store.channel_state import drop_webhook_events, webhook_events_after
from triage.store.store import Store

log = logging.getLogger(__name__)

EVENTS_PER_SWEEP = 500
"""Stored webhook deliveries read per sweep; a larger backlog takes more sweeps of one poll."""
KEEP_EVENTS = timedelta(days=7)
"""Deliveries already turned into messages are dropped after this (kept a while to debug)."""


def chat_message(*, message_id: str, sender: str, sender_name: str, text: str,
                 received_at: datetime, thread: str, to: str, private: bool,
                 own: bool = False, in_reply_to: str | None = None,
                 auto_reason: str = "our own message") -> ParsedMessage:
    """A chat message as the pipeline stores it: channel ``social`` (short drafts, no
    signature), one thread per customer and account (``thread``). ``private``: a one-to-one
    chat (Messenger, Zalo, WhatsApp, a Telegram private chat), where the draft asks for
    details right there; False for a comment or a group, where it asks for a DM. With
    ``own`` it is stored as automatic (no draft, no deadline) for ``auto_reason``."""
    return ParsedMessage(
        message_id=message_id, channel="social", sender=sender, sender_name=sender_name,
        subject="", text=text.strip(), full_text=text, received_at=received_at,
        in_reply_to=in_reply_to, references=[in_reply_to] if in_reply_to else [], to=[to],
        is_auto=own, auto_reason=auto_reason if own else None, thread_hint=thread,
        private=private)


def item(external_id: str, raw: bytes, parsed: ParsedMessage) -> RawItem:
    """A raw item carrying its parsed message."""
    return RawItem(external_id, raw, parsed.received_at, meta={"parsed": parsed})


def unreadable(external_id: str | None, raw: bytes, now: datetime, why: str) -> RawItem:
    """A raw item the pipeline stores quarantined with ``why`` (never dropped)."""
    ext = external_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    return RawItem(ext, raw, now, meta={"parse_error": why})


def from_epoch(value: Any, *, millis: bool = False) -> datetime:
    """An aware UTC datetime from Unix seconds (or milliseconds). Raises ValueError."""
    n = float(value)
    return datetime.fromtimestamp(n / 1000 if millis else n, UTC)


class SweepSource:
    """Base of the chat sources; subclasses implement :meth:`sweep`."""

    type = ""
    channel = "social"

    def __init__(self, name: str, clock: Clock) -> None:
        self.name = name
        self.clock = clock
        self.store: Store | None = None
        self._pending: tuple[list[RawItem], dict[str, Any]] | None = None
        self._deferred: SourceError | None = None
        self._drained = False
        self._more = False
        self.events_only = False
        """True while a poll reads the rest of a backlog of deliveries (no API polling)."""

    def bind_store(self, store: Store) -> None:
        """Called by the pipeline before a poll: webhook deliveries are read from ``store``."""
        self.store = store

    def sweep(self, cursor: dict[str, Any]) -> tuple[list[RawItem], dict[str, Any]]:
        """Read everything after ``cursor``; return the items and the cursor after them.

        May call :meth:`defer` with an error met after some items were read.
        """
        raise NotImplementedError

    def defer(self, exc: SourceError) -> None:
        """Raise ``exc`` on the fetch after this sweep's items are handed out."""
        self._deferred = exc

    def fetch(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        """The next ``limit`` items of this poll's sweep, and the cursor to save with them.

        Raises RateLimited, SourceError or SourceAuthError from the sweep.
        """
        if self._drained:
            if self._deferred is not None:
                exc, self._deferred = self._deferred, None
                raise exc
            return FetchResult([], dict(cursor))
        if self._pending is None:
            self._pending = self.sweep(dict(cursor))
        items, after = self._pending
        batch, rest = items[:limit], items[limit:]
        if rest:
            self._pending = (rest, after)
            return FetchResult(batch, dict(cursor))
        self._pending = None
        if self._more:  # more deliveries wait: sweep them next, from the saved cursor
            self._more, self.events_only = False, True
        else:
            self._drained = True
        return FetchResult(batch, after)

    def close(self) -> None:
        """End this poll: the next fetch sweeps again."""
        self._pending = None
        self._deferred = None
        self._drained = False
        self._more = False
        self.events_only = False

    # ------------------------------------------------------------ webhooks
    def sweep_events(self, cursor: dict[str, Any],
                     parse: Callable[[bytes, datetime], list[RawItem]]) -> list[RawItem]:
        """Read the stored webhook deliveries after ``cursor["event_id"]`` with ``parse``;
        moves ``cursor["event_id"]`` past them. A delivery ``parse`` cannot read becomes one
        quarantined item, never a lost one."""
        if self.store is None:
            raise SourceError(f"{self.type} {self.name}: no store bound; webhook deliveries "
                              "can only be read by the daemon")
        last = int(cursor.get("event_id") or 0)
        # the saved cursor is past these: they are messages already, in the same store
        drop_webhook_events(self.store, self.name, last, self.clock.now() - KEEP_EVENTS)
        out: list[RawItem] = []
        rows = webhook_events_after(self.store, self.name, last, EVENTS_PER_SWEEP)
        self._more = len(rows) == EVENTS_PER_SWEEP
        for eid, payload, received in rows:
            try:
                out += parse(payload, received)
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                out.append(unreadable(f"event:{eid}", payload, received,
                                      f"{self.type} webhook delivery {eid}: unreadable "
                                      f"({type(exc).__name__}: {exc})"))
            last = eid
        cursor["event_id"] = last
        return out
