"""Mentions of one Mastodon account: ``mention`` notifications read with Mastodon.py.

Cursor: ``{"min_id": id of the newest notification stored}``. Pages are asked for with
``min_id`` (the page right after the cursor, not the newest page), so a burst larger than one
page is read in full, oldest first; the cursor is saved with the posts of each batch, and the
store ignores posts it already has, so nothing is lost or doubled across restarts. The first run
starts at ``min_id = "0"``: every mention the instance still keeps is read once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from mastodon import Mastodon, MastodonNotFoundError

from triage.clients.mastodon import (
    MastodonBudget,
    instance_host,
    make_api,
    masto_call,
    to_json_bytes,
)
from triage.clock import Clock, SystemClock
from triage.config import MastodonSettings
from triage.errors import RateLimited, SourceError
from triage.models import LANGUAGES, FetchResult, ParsedMessage, RawItem

log = logging.getLogger(__name__)

# "strict": no padding around inline elements, so Mastodon's @<span>name</span> stays @name.
_HTML = ParserConfig(css=CSS_PROFILES["strict"])

_LEADING_MENTIONS = re.compile(r"^(?:\s*@[\w.-]+(?:@[\w.-]+)?)+\s*")


def html_to_text(html: str) -> str:
    """The readable text of a status's HTML content (paragraphs and line breaks kept)."""
    return get_text(html or "", _HTML).strip()


def _id_key(value: Any) -> tuple[int, str]:
    s = str(value)
    return (int(s), s) if s.isdigit() else (0, s)


def status_message(status: Mapping[str, Any], host: str, root_id: str,
                   own_account_id: str | None, fallback: datetime) -> ParsedMessage:
    """Turn one Mastodon status into a message; ``root_id`` is the first post of its thread.

    Raises KeyError/TypeError/ValueError on a status without id, account or content.
    """
    sid = str(status["id"])
    account = status["account"]
    acct = str(account["acct"])
    full = html_to_text(str(status["content"]))
    reply_to = status.get("in_reply_to_id")
    in_reply_to = f"mastodon:{host}:{reply_to}" if reply_to else None
    created = status.get("created_at")
    if isinstance(created, str):
        created = datetime.fromisoformat(created.replace("Z", "+00:00"))
    own = own_account_id is not None and str(account.get("id")) == own_account_id
    lang = (status.get("language") or "").lower() or None
    to_us = own_account_id is not None and str(status.get("in_reply_to_account_id")) == \
        own_account_id
    return ParsedMessage(
        message_id=f"mastodon:{host}:{sid}", channel="social", sender=f"@{acct}",
        sender_name=str(account.get("display_name") or account.get("username") or acct),
        subject=str(status.get("spoiler_text") or ""),
        text=_LEADING_MENTIONS.sub("", full).strip() or full, full_text=full,
        received_at=created if isinstance(created, datetime) else fallback,
        in_reply_to=in_reply_to, references=[in_reply_to] if in_reply_to else [],
        to=[f"mastodon:{host}:account:{own_account_id}"] if to_us else [],
        is_auto=own, auto_reason="our own post" if own else None,
        language_hint=lang if lang in LANGUAGES else None,
        html=str(status["content"]), thread_hint=f"mastodon:{host}:thread:{root_id}",
        # a direct post is seen only by the accounts it mentions: answer it without "DM us"
        private=status.get("visibility") == "direct")


class MastodonMentions:
    """Polls ``GET /api/v1/notifications?types[]=mention`` of the configured account."""

    type = "mastodon"
    channel = "social"

    def __init__(self, name: str, api: Mastodon, *, clock: Clock, page_size: int = 40) -> None:
        self.name = name
        self.api = api
        self.host = instance_host(str(api.api_base_url))
        self.clock = clock
        self.page_size = page_size
        self.budget = MastodonBudget(api, clock)
        self._own_id: str | None = None
        self._drained = False

    def own_account_id(self) -> str:
        """The id of the account we read as (one request, then remembered)."""
        if self._own_id is None:
            me = masto_call(self.api.account_verify_credentials,
                            f"mastodon {self.name}: verify_credentials", self.budget)
            if not isinstance(me, Mapping) or not me.get("id"):
                raise SourceError(f"mastodon {self.name}: verify_credentials answered without "
                                  "an account id; check instance_url")
            self._own_id = str(me["id"])
        return self._own_id

    def fetch(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        """Return the mentions after the cursor, oldest first, up to about ``limit``.

        Raises RateLimited before any request when the budget is spent; SourceError or
        SourceAuthError from ``masto_call``.
        """
        min_id = str(cursor.get("min_id") or "0")
        items: list[RawItem] = []
        if self._drained:
            return FetchResult([], dict(cursor))
        own = self.own_account_id()
        while len(items) < limit:
            if items and self.budget.spent():
                break
            page = masto_call(lambda m=min_id: self.api.notifications(
                types=["mention"], min_id=m, limit=self.page_size),
                f"mastodon {self.name}: notifications", self.budget)
            # only notifications after the cursor: an instance (or a proxy) that ignores
            # min_id must not make this loop read one page for ever (found by fuzzing)
            after = _id_key(min_id)
            notes = sorted((n for n in (page if isinstance(page, list) else [])
                            if isinstance(n, Mapping) and _id_key(n.get("id")) > after),
                           key=lambda n: _id_key(n.get("id")))
            for note in notes:
                if _id_key(note.get("id")) <= _id_key(min_id):
                    continue  # the same notification twice in one page
                try:
                    item = self._item(note, own)
                except RateLimited:
                    if not items:
                        raise
                    log.info("mastodon %s: budget spent mid-page; keeping %d", self.name,
                             len(items))
                    return FetchResult(items, {"min_id": min_id})
                if item is not None:
                    items.append(item)
                min_id = str(note.get("id"))
            if len(notes) < self.page_size:
                self._drained = True
                break
        log.info("mastodon %s: fetched %d mention(s), min_id=%s; %s", self.name, len(items),
                 min_id, self.budget.describe())
        return FetchResult(items, {"min_id": min_id})

    def _item(self, note: Mapping[str, Any], own: str) -> RawItem | None:
        status = note.get("status")
        now = self.clock.now()
        if not status:
            log.info("mastodon %s: notification %s has no status (deleted); skipped",
                     self.name, note.get("id"))
            return None
        raw = to_json_bytes(status)
        if not isinstance(status, Mapping):  # a broken answer: kept as unreadable, not fatal
            sid = f"notification:{note.get('id')}"
            return RawItem(sid, raw, now, meta={
                "parse_error": f"mastodon notification {note.get('id')}: its status is not an "
                               f"object ({type(status).__name__})"})
        sid = str(status.get("id") or f"notification:{note.get('id')}")
        try:
            root = self._root(status)
            parsed = status_message(status, self.host, root, own, now)
        except RateLimited:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return RawItem(sid, raw, now, meta={
                "parse_error": f"mastodon status {sid}: unreadable ({type(exc).__name__}: "
                               f"{exc})"})
        return RawItem(sid, raw, parsed.received_at, meta={"parsed": parsed})

    def _root(self, status: Mapping[str, Any]) -> str:
        """The first post of the status's reply chain (one request, only for replies)."""
        parent = status.get("in_reply_to_id")
        if not parent:
            return str(status["id"])
        try:
            ctx = masto_call(lambda: self.api.status_context(status["id"]),
                             f"mastodon {self.name}: context", self.budget, not_found_ok=True)
        except MastodonNotFoundError:
            return str(parent)
        ancestors = ctx.get("ancestors") or []
        return str(ancestors[0]["id"]) if ancestors else str(parent)

    def close(self) -> None:
        """End this poll: the next fetch starts again from the cursor."""
        self._drained = False


def build(settings: MastodonSettings, environ: Mapping[str, str],
           resolve: Callable[[str], Path], *, clock: Clock | None = None) -> MastodonMentions:
    """Build the mastodon source of one ``[[sources]]`` entry (the source table calls this)."""
    return MastodonMentions(settings.name, make_api(settings, environ),
                            clock=clock or SystemClock(), page_size=settings.page_size)
