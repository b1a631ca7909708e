"""The IMAP source: incremental, read-only sync of one account's folders.

Cursor, per folder: ``{"uidvalidity": V, "last_uid": U}`` (saved by the store in the same
transaction as the messages). External ids are ``<folder>:<uidvalidity>:<uid>``. Folders are
opened with EXAMINE (read-only) and bodies fetched with ``BODY.PEEK[]``, so ``\\Seen`` is never
set. A UIDVALIDITY change starts a resync of the folder that drops every message whose
Message-ID is already stored for this source, so nothing is stored twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from triage.clients import imap_fetch
from triage.clients.imap import (
    NETWORK_ERRORS,
    ImapConnector,
    close_client,
    external_id,
)
from triage.config import ImapSettings
from triage.errors import SourceError
from triage.mail.parse import generated_message_id
from triage.models import FetchResult, RawItem

if TYPE_CHECKING:
    from triage.config import Settings
    from triage.sources.imap_idle import IdleWatcher
    from triage.sources.imap_writeback import WriteBackStats
    from triage.store.store import Store

log = logging.getLogger(__name__)

FETCH_BYTES_BUDGET = 64 * 1024 * 1024
"""Message bytes held in memory per fetch at most (at least one message is always taken)."""

MAX_EMPTY_ROUNDS = 10_000
"""Rounds of a folder that may advance without new items within one fetch (a bound)."""

KnownIds = Callable[[list[str]], set[str]]
"""Given Message-IDs, return those already stored for this source."""


def header_message_id(raw: bytes) -> str:
    """Return the Message-ID the parser will give ``raw`` (generated when missing)."""
    try:
        value = str(BytesHeaderParser(policy=compat32).parsebytes(raw).get("Message-ID") or "")
    except Exception:
        value = ""
    value = value.strip()
    if not value:
        return generated_message_id(raw)
    return value if "<" in value else f"<{value.strip('<>')}>"


class ImapSource:
    """Fetches new mail from the configured folders of one IMAP account.

    ``connector`` opens logged-in clients; ``known_ids`` (bound by the pipeline through
    :meth:`bind_store`) answers which Message-IDs are already stored, for UIDVALIDITY resyncs.
    """

    type = "imap"
    channel = "email"

    def __init__(self, settings: ImapSettings, connector: ImapConnector,
                 known_ids: KnownIds | None = None, since: date | None = None) -> None:
        self.name = settings.name
        self.settings = settings
        self.connector = connector
        self.known_ids = known_ids
        self.since = since or (date.fromisoformat(settings.backfill_since)
                               if settings.backfill_since else None)
        self._client: IMAPClient | None = None
        self._fetch_started = 0.0

    # ------------------------------------------------------------------ seams
    def bind_store(self, store: Store) -> None:
        """Let the source ask ``store`` which Message-IDs it already holds (resync)."""
        self.known_ids = lambda ids: store.known_message_ids(self.name, ids)

    def start_push(self, wake: Callable[[], object],
                   stop: threading.Event) -> list[IdleWatcher]:
        """Start IDLE watchers (one per folder) calling ``wake`` on new mail; [] when idle is
        off. They stop when ``stop`` is set."""
        if not self.settings.idle:
            return []
        from triage.sources.imap_idle import start_watchers

        return start_watchers(self.connector.with_sleep(stop.wait), list(self.settings.folders),
                              wake, stop, self.settings.idle_renew, self.fetched_since)

    def fetched_since(self, when: float) -> bool:
        """True when a fetch started at or after ``when`` (``time.monotonic()``)."""
        return self._fetch_started >= when

    def after_poll(self, store: Store, settings: Settings) -> WriteBackStats | None:
        """Write back keywords, flags, drafts and moves (when configured); return the
        :class:`~triage.sources.imap_writeback.WriteBackStats`, or None when write-back is off."""
        from triage.sources.imap_writeback import WriteBack

        wb = WriteBack(self.name, self.settings.write_back, store, store.clock,
                       settings.drafting.support_address)
        if not wb.enabled:
            return None
        return self._with_reconnect("write-back", lambda: wb.run(self.client()))

    def client(self) -> IMAPClient:
        """Return the open client, connecting (with retries) when there is none."""
        if self._client is None:
            self._client = self.connector.connect()
            self._client.normalise_times = False
        return self._client

    def close(self) -> None:
        """Log out; the next fetch connects again."""
        client, self._client = self._client, None
        close_client(client)

    # ------------------------------------------------------------------ fetch
    def fetch(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        """Return up to ``limit`` new messages across the folders, and the cursor after them.

        A dropped connection is reopened once (with the connector's backoff); raises
        SourceError when that fails too, SourceAuthError when the login is refused.
        """
        self._fetch_started = time.monotonic()
        folders: dict[str, Any] = {k: dict(v) for k, v in cursor.get("folders", {}).items()}
        items: list[RawItem] = []
        for folder in self.settings.folders:
            if len(items) >= limit:
                break
            for _ in range(MAX_EMPTY_ROUNDS):
                state = folders.get(folder)
                got, folders[folder] = self._with_reconnect(
                    folder, lambda f=folder, st=state: self._fetch_folder(
                        f, st, limit - len(items)))
                items.extend(got)
                moved = (state or {}).get("last_uid") != folders[folder].get("last_uid")
                # a round can advance without items (all already stored during a resync,
                # or expunged meanwhile): go on, or the rest would wait for the next poll
                if got or not moved or state is None:
                    break
        log.info("imap %s: fetched %d message(s)", self.name, len(items))
        return FetchResult(items=items, cursor={"folders": folders})

    def fetch_since(self, since: date, cursor: dict[str, Any],
                    limit: int) -> tuple[list[RawItem], dict[str, Any]]:
        """Backfill: return up to ``limit`` messages dated ``since`` or later whose UID is
        above the position in ``cursor`` (``{folder: last uid}``), and the new position."""
        pos = dict(cursor)
        items: list[RawItem] = []
        for folder in self.settings.folders:
            if len(items) >= limit:
                break

            def one(f: str = folder) -> list[RawItem]:
                c = self.client()
                info = c.select_folder(f, readonly=True)
                uv = int(info[b"UIDVALIDITY"])
                after = int(pos.get(f, 0))
                uids = sorted(u for u in c.search(["SINCE", since]) if u > after)
                uids = uids[: limit - len(items)]
                got, done = self._fetch_uids(c, f, uv, uids)
                if done:
                    pos[f] = done
                return got

            items.extend(self._with_reconnect(folder, one))
        return items, pos

    def _with_reconnect(self, folder: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except IMAPClientAbortError as exc:
            first: Exception = exc
        except IMAPClientError as exc:
            self.close()
            text = str(exc)
            hint = ("; check that the folder exists ('folders' in the config, case-sensitive "
                    "except INBOX)" if any(w in text.upper() for w in
                                           ("NONEXISTENT", "SELECT", "EXAMINE", "NOT EXIST"))
                    else "")
            raise SourceError(f"source {self.name!r}: folder {folder!r}: {text}{hint}") from exc
        except NETWORK_ERRORS as exc:
            first = exc
        log.warning("imap %s: connection lost in %s (%s); reconnecting", self.name, folder,
                    first)
        self.close()
        try:
            return fn()
        except NETWORK_ERRORS as exc:
            self.close()
            raise SourceError(f"source {self.name!r}: folder {folder!r}: connection failed "
                              f"twice: {exc}") from exc

    def _fetch_folder(self, folder: str, state: dict[str, Any] | None,
                      room: int) -> tuple[list[RawItem], dict[str, Any]]:
        c = self.client()
        info = c.select_folder(folder, readonly=True)
        uv = int(info[b"UIDVALIDITY"])
        uidnext = int(info.get(b"UIDNEXT", 0) or 0)
        if state is None:
            if self.since is None:
                # first start: only mail arriving from now on (backfill is explicit)
                last = uidnext - 1 if uidnext else max(c.search(["ALL"]) or [0])
                log.info("imap %s: %s starts at UID %d", self.name, folder, last)
                return [], {"uidvalidity": uv, "last_uid": last}
            # first start with backfill_since: mail already there is a backfill
            state = {"uidvalidity": uv, "last_uid": 0, "since": self.since.isoformat(),
                     "backfill_until": uidnext - 1 if uidnext else 2 ** 32}
        elif int(state.get("uidvalidity", 0)) != uv:
            log.warning("imap %s: %s UIDVALIDITY changed %s -> %s; resyncing by Message-ID",
                        self.name, folder, state.get("uidvalidity"), uv)
            state = {"uidvalidity": uv, "last_uid": 0,
                     "resync_until": uidnext - 1 if uidnext else 2 ** 32}
        state = dict(state)
        last = int(state["last_uid"])
        since: list[Any] = (["SINCE", date.fromisoformat(state["since"])]
                            if state.get("since") else [])
        # search a window of UIDs above the cursor, not all of them: a backlog of N
        # messages would otherwise be listed N / limit times; an empty window (UIDs expunged
        # or not matching SINCE) falls back to the whole range
        top = last + 2 * room
        window = bool(uidnext) and top < uidnext - 1
        found = c.search(["UID", f"{last + 1}:{top}", *since]) if window else []
        if not found:
            found = c.search(["UID", f"{last + 1}:*", *since])
        uids = sorted(u for u in found if u > last)[:room]
        if not uids:
            return [], state
        items, done = self._fetch_uids(c, folder, uv, uids)
        if "backfill_until" in state:
            until = int(state["backfill_until"])
            items = [RawItem(i.external_id, i.raw, i.received_at, {**i.meta, "backfill": True})
                     if int(i.meta.get("uid", 0)) <= until else i for i in items]
            if done >= until:
                del state["backfill_until"], state["since"]
        if "resync_until" in state:
            items = self._drop_known(items)
            if done >= int(state["resync_until"]):
                del state["resync_until"]
        state["last_uid"] = done
        return items, state

    def _fetch_uids(self, c: IMAPClient, folder: str, uv: int,
                    uids: list[int]) -> tuple[list[RawItem], int]:
        """Fetch ``uids`` in order until FETCH_BYTES_BUDGET is used; return the items and the
        highest UID handled (the rest is fetched by the next call).

        One round trip per batch for the common mail: the messages bigger than ``small``
        are found first with one ``UID SEARCH LARGER`` (usually none); the others are fetched
        with size, date and body in one FETCH, counted at ``small`` bytes against the budget
        until their real size is known. The big ones are fetched size first, so a message
        over ``max_message_size`` never leaves the server, and a batch is cut where the
        budget ends."""
        cap = self.settings.max_message_size
        out: list[RawItem] = []
        budget = FETCH_BYTES_BUDGET
        done = 0
        small = max(1, min(cap, FETCH_BYTES_BUDGET // (2 * self.settings.fetch_batch)))
        big = set(c.search(["UID", f"{uids[0]}:{uids[-1]}", "LARGER", small])) if uids else set()
        for batch in chunked(uids, self.settings.fetch_batch):
            if budget <= 0:
                break
            bigs = [u for u in batch if u in big]
            sizes = c.fetch(bigs, ["RFC822.SIZE", "INTERNALDATE"]) if bigs else {}
            # keep memory bounded: a batch is cut where the budget ends
            kept: list[int] = []
            room = budget
            for u in batch:
                need = (min(int(sizes.get(u, {}).get(b"RFC822.SIZE", 0)), cap) if u in big
                        else small)
                if kept and room - need < 0:
                    break
                room -= need
                kept.append(u)
            done = kept[-1]
            fast = imap_fetch.fetch(c, [u for u in kept if u not in big], imap_fetch.FAST_ITEMS)
            fits = [u for u in kept if u in sizes
                    and int(sizes[u].get(b"RFC822.SIZE", 0)) <= cap]
            bodies = c.fetch(fits, ["BODY.PEEK[]"]) if fits else {}
            for uid in kept:
                meta = fast.get(uid) or sizes.get(uid)
                if meta is None:
                    continue  # expunged between SEARCH and FETCH
                budget -= min(int(meta.get(b"RFC822.SIZE", 0)), cap)
                self._add(out, self._item(c, folder, uv, uid, meta,
                                          meta if uid in fast else bodies.get(uid, {}), cap))
            if len(kept) < len(batch):
                break  # cut: the rest of this batch comes first in the next call
        return out, done

    @staticmethod
    def _add(out: list[RawItem], item: RawItem | None) -> None:
        if item is not None:
            out.append(item)

    def _item(self, c: IMAPClient, folder: str, uv: int, uid: int, meta: Mapping[bytes, Any],
              body: Mapping[bytes, Any], cap: int) -> RawItem | None:
        """The item of one fetched message: its body, or its headers when it is over ``cap``
        (None when the server sent neither, e.g. it was expunged meanwhile)."""
        when = _aware(meta.get(b"INTERNALDATE"))
        ext = external_id(folder, uv, uid)
        size = int(meta.get(b"RFC822.SIZE", 0))
        if size > cap:
            return self._oversized(c, folder, uid, ext, size, when)
        if b"BODY[]" in body:
            return RawItem(ext, bytes(body[b"BODY[]"]), when, {"folder": folder, "uid": uid})
        return None

    def _oversized(self, c: IMAPClient, folder: str, uid: int, ext: str, size: int,
                   when: datetime | None) -> RawItem:
        head = c.fetch([uid], ["BODY.PEEK[HEADER]"]).get(uid, {}).get(b"BODY[HEADER]", b"")
        reason = (f"message is {size} bytes, over max_message_size "
                  f"{self.settings.max_message_size}; headers kept, body left on the server "
                  f"({folder} UID {uid}); raise max_message_size to import it")
        log.warning("imap %s: %s", self.name, reason)
        return RawItem(ext, bytes(head), when, {"folder": folder, "uid": uid, "error": reason})

    def _drop_known(self, items: list[RawItem]) -> list[RawItem]:
        if self.known_ids is None or not items:
            return items
        mids = {i.external_id: header_message_id(i.raw) for i in items}
        known = self.known_ids(sorted(set(mids.values())))
        kept = [i for i in items if mids[i.external_id] not in known]
        log.info("imap %s: resync kept %d of %d (others already stored)", self.name,
                 len(kept), len(items))
        return kept


def _aware(value: object) -> datetime | None:
    if isinstance(value, datetime):
        from triage.clock import ensure_utc

        return ensure_utc(value)
    return None


def chunked(seq: list[int], n: int) -> Iterable[list[int]]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def build(settings: ImapSettings, environ: Mapping[str, str],
           resolve: Callable[[str], Path]) -> ImapSource:
    """Build the imap source of one ``[[sources]]`` entry (the source table calls this)."""
    return ImapSource(settings, ImapConnector(settings, environ, resolve=resolve))
