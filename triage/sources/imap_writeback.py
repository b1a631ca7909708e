"""IMAP write-back (off by default, per source): keywords, \\Flagged, drafts, MOVE.

For each processed message of an IMAP source, after a poll:

* a keyword per category (``$Triage-Complaint``, ...) when the folder accepts keywords
  (``\\*`` in PERMANENTFLAGS); a reclassification swaps the keyword;
* ``\\Flagged`` while the first-response deadline is ``due_soon`` or ``breached``, cleared
  when it is ``ok`` or ``met``;
* the draft APPENDed to the Drafts folder as a proper reply (From, To, ``Re:`` subject with the
  ``[#T-n]`` token, In-Reply-To, References, ``\\Draft``), once per draft: a deterministic
  Message-ID is searched for first, so a crash between APPEND and bookkeeping appends nothing
  twice;
* replies sent through triage by SMTP APPENDed to the Sent folder (``\\Seen``), once each;
* optionally MOVE into a folder per category (MOVE when announced, else COPY, ``\\Deleted``
  and UID EXPUNGE of that UID only).

Automatic mail (``is_auto``) and backfilled mail get keywords and flags but no draft in the
Drafts folder (agents would drown in drafts for old mail). Each message is
contained: one failing message is logged and retried at the next poll.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from triage.clients.imap import split_external_id
from triage.clock import Clock
from triage.config import ImapWriteBackSettings
from triage.mail.parse import GENERATED_ID_DOMAIN
from triage.store.imap_state import (
    DUE,
    pending_sent_copies,
    save_writeback,
    sent_copy_done,
    writeback_rows,
)
from triage.store.store import Store

log = logging.getLogger(__name__)

FLAGGED = b"\\Flagged"
DRAFT = b"\\Draft"
SEEN = b"\\Seen"


def category_keyword(category: str) -> str:
    """Return the IMAP keyword of ``category``.

    ``technical_issue`` -> ``$Triage-Technical-Issue``.
    """
    return "$Triage-" + "-".join(p.capitalize() for p in category.split("_"))


def draft_message_id(source: str, draft_id: int, domain: str) -> str:
    """Return the Message-ID of the appended draft (stable: the same draft, the same id).

    It contains ``@triage`` so the loop guard recognises the reply if it ever comes back.
    """
    safe = "".join(ch for ch in source if ch.isalnum() or ch in "-_") or "src"
    return f"<draft-{draft_id}.{safe}@triage.{domain or 'localhost'}>"


def build_draft(row: dict[str, Any], from_address: str, clock: Clock, source: str) -> bytes:
    """Return the RFC 5322 bytes of the draft reply to ``row`` (a writeback row)."""
    msg = EmailMessage()
    msg["From"] = from_address
    msg["To"] = formataddr((row["sender_name"] or "", row["sender"]))
    msg["Subject"] = row["draft_subject"]
    msg["Date"] = format_datetime(clock.now())
    domain = from_address.rpartition("@")[2]
    msg["Message-ID"] = draft_message_id(source, int(row["draft_id"]), domain)
    parent = row["message_id"] or ""
    if parent and GENERATED_ID_DOMAIN not in parent:
        refs = [r for r in (row["references"] or []) if r != parent][-20:]
        msg["In-Reply-To"] = parent
        msg["References"] = " ".join([*refs, parent])
    msg["X-Triage-Draft"] = str(row["draft_id"])
    msg["Auto-Submitted"] = "no"
    msg.set_content(row["draft_text"])
    return bytes(msg)


@dataclass
class WriteBackStats:
    """What one write-back run changed."""

    keywords: int = 0
    flagged: int = 0
    unflagged: int = 0
    drafts: int = 0
    moved: int = 0
    sent: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


class WriteBack:
    """Brings the server in line with triage's view of each message of one source."""

    def __init__(self, source: str, settings: ImapWriteBackSettings, store: Store, clock: Clock,
                 from_address: str) -> None:
        self.source = source
        self.settings = settings
        self.store = store
        self.clock = clock
        self.from_address = settings.from_address or from_address

    @property
    def enabled(self) -> bool:
        """True when any write-back is switched on."""
        s = self.settings
        return bool(s.keywords or s.flag_due or s.drafts_folder or s.move_to_folders
                    or s.sent_folder)

    def run(self, client: IMAPClient) -> WriteBackStats:
        """Apply every pending change through ``client``; return what changed.

        Raises IMAPClientAbortError/OSError when the connection breaks (the caller retries);
        other failures are contained per message.
        """
        stats = WriteBackStats()
        if not self.enabled:
            return stats
        rows = writeback_rows(self.store, self.source)
        by_folder: dict[str, list[tuple[int, int, dict[str, Any]]]] = defaultdict(list)
        for row in rows:
            ext = split_external_id(row["external_id"])
            if ext is None or row["wb_moved_to"]:
                continue  # moved away: its UID is no longer ours to touch
            by_folder[ext[0]].append((ext[1], ext[2], row))
        caps = set(client.capabilities())
        for folder, items in by_folder.items():
            info = client.select_folder(folder, readonly=False)
            uv = int(info[b"UIDVALIDITY"])
            keywords_ok = b"\\*" in tuple(info.get(b"PERMANENTFLAGS", ()))
            for item_uv, uid, row in items:
                if item_uv != uv:
                    stats.skipped += 1  # the folder was recreated; UIDs mean other mail now
                    continue
                try:
                    self._one(client, caps, keywords_ok, folder, uid, row, stats)
                except IMAPClientAbortError:
                    raise
                except (IMAPClientError, ValueError) as exc:
                    log.warning("write-back %s: message %s (%s UID %d): %s", self.source,
                                row["id"], folder, uid, exc)
                    stats.errors.append(f"message {row['id']}: {exc}")
                    save_writeback(self.store, self.source, row["id"], error=str(exc)[:2000])
        if self.settings.sent_folder:
            self._append_sent(client, stats)
        log.info("write-back %s: keywords=%d flagged=%d unflagged=%d drafts=%d moved=%d "
                 "sent=%d", self.source, stats.keywords, stats.flagged, stats.unflagged,
                 stats.drafts, stats.moved, stats.sent)
        return stats

    def _append_sent(self, client: IMAPClient, stats: WriteBackStats) -> None:
        """APPEND the replies sent through triage to the Sent folder, once each (a copy
        found by its Message-ID, e.g. after a crash, is not appended again)."""
        folder = self.settings.sent_folder
        copies = pending_sent_copies(self.store, self.source)
        if not copies:
            return
        if not client.folder_exists(folder):
            client.create_folder(folder)
        client.select_folder(folder, readonly=True)
        for copy in copies:
            try:
                found = client.search(["HEADER", "Message-ID", copy["reply_message_id"]])
                uid = int(found[-1]) if found else _appenduid(client.append(
                    folder, bytes(copy["raw"]), flags=[SEEN], msg_time=copy["created_at"]))
                sent_copy_done(self.store, copy["id"], uid=uid)
                stats.sent += 1
            except IMAPClientAbortError:
                raise
            except (IMAPClientError, ValueError) as exc:
                log.warning("write-back %s: copy of reply %s to %s failed: %s", self.source,
                            copy["reply_message_id"], folder, exc)
                stats.errors.append(f"sent copy {copy['id']}: {exc}")
                sent_copy_done(self.store, copy["id"], error=str(exc)[:2000])

    def _one(self, client: IMAPClient, caps: set[bytes], keywords_ok: bool, folder: str,
             uid: int, row: dict[str, Any], stats: WriteBackStats) -> None:
        s = self.settings
        done: dict[str, Any] = {"error": None}
        old_kw = row["wb_keyword"] or ""
        if s.keywords and keywords_ok and row["category"]:
            kw = category_keyword(row["category"])
            if kw != old_kw:
                if old_kw:
                    client.remove_flags([uid], [old_kw.encode()])
                client.add_flags([uid], [kw.encode()])
                stats.keywords += 1
            done["keyword"] = kw
        if s.flag_due:
            want = row["state"] in DUE
            if want != bool(row["wb_flagged"]):
                if want:
                    client.add_flags([uid], [FLAGGED])
                    stats.flagged += 1
                else:
                    client.remove_flags([uid], [FLAGGED])
                    stats.unflagged += 1
            done["flagged"] = want
        if (s.drafts_folder and row["draft_id"] and not row["is_auto"] and not row["backfill"]
                and row["draft_id"] != row["wb_draft_id"]):
            done["draft_uid"] = self._append_draft(client, row)
            done["draft_id"] = row["draft_id"]
            stats.drafts += 1
            client.select_folder(folder, readonly=False)
        target = s.move_to_folders.get(row["category"] or "")
        if target and target != folder:
            # record the other changes first: after the move this UID is gone
            save_writeback(self.store, self.source, row["id"], **done)
            self._move(client, caps, uid, target)
            done = {"moved_to": target}
            stats.moved += 1
        save_writeback(self.store, self.source, row["id"], **done)

    def _append_draft(self, client: IMAPClient, row: dict[str, Any]) -> int | None:
        folder = self.settings.drafts_folder
        raw = build_draft(row, self.from_address, self.clock, self.source)
        domain = self.from_address.rpartition("@")[2]
        mid = draft_message_id(self.source, int(row["draft_id"]), domain)
        client.select_folder(folder, readonly=True)
        existing = client.search(["HEADER", "Message-ID", mid])
        if existing:  # appended before a crash: do not append twice
            return int(existing[-1])
        answer = client.append(folder, raw, flags=[DRAFT], msg_time=self.clock.now())
        return _appenduid(answer)

    @staticmethod
    def _move(client: IMAPClient, caps: set[bytes], uid: int, target: str) -> None:
        if not client.folder_exists(target):
            client.create_folder(target)
        if b"MOVE" in caps:
            client.move([uid], target)
            return
        client.copy([uid], target)
        client.add_flags([uid], [b"\\Deleted"])
        if b"UIDPLUS" in caps:
            client.expunge([uid])  # UID EXPUNGE: only this message, never others
        # without UIDPLUS the message stays marked \Deleted; a plain EXPUNGE could remove
        # other people's deleted mail, so we leave it to the mail client


def _appenduid(answer: Any) -> int | None:
    text = answer.decode("ascii", "replace") if isinstance(answer, bytes) else str(answer)
    if "APPENDUID" in text:
        try:
            return int(text.split("APPENDUID", 1)[1].split("]")[0].split()[1])
        except (IndexError, ValueError):
            return None
    return None
