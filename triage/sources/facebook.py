"""A Facebook Page: Messenger conversations and comments on its posts, polled through the
Graph API and/or taken from the Page webhook.

Cursor: ``{"poll": {"dm_since": ISO, "feed_since": ISO}, "event_id": N}``. A poll lists the
conversations updated since ``dm_since`` (newest first, ``after`` cursors) and reads each
one's messages back to ``dm_since``; it reads the comments of the Page's latest posts updated
since ``feed_since``. The watermarks move to the newest time seen only when a sweep finished;
the boundary second is read again and the store drops what it already has (the message id, or
the comment id, is the external id, the same whether it came by polling or by the webhook).
The first poll reads back ``backfill`` (24 h) only.

What polling cannot see: comments on posts older than the latest ``page_size`` posts, and
messages in conversations Meta does not list for the token (those come only by the webhook).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from triage.clients.meta import GraphApi
from triage.clock import Clock, SystemClock
from triage.config.channels import FacebookSettings
from triage.errors import MissingSecretError, SourceError
from triage.models import ParsedMessage, RawItem
from triage.sources.chat import SweepSource, chat_message, from_epoch, item, unreadable

log = logging.getLogger(__name__)

MESSAGE_FIELDS = "id,message,from,to,created_time,attachments{mime_type}"
COMMENT_FIELDS = "id,message,from,created_time,parent{id}"


def graph_time(value: Any) -> datetime:
    """Parse Graph's ``2026-12-05T10:00:00+0000`` (or Unix seconds). Raises ValueError."""
    if isinstance(value, int | float):
        return from_epoch(value)
    return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S%z")


def dm_message(page_id: str, psid: str, mid: str, text: str, when: datetime, *,
               name: str = "", own: bool = False) -> ParsedMessage:
    """A Messenger message of (or, with ``own``, to) the customer ``psid``."""
    customer, page = f"facebook:{psid}", f"facebook:page:{page_id}"
    return chat_message(
        message_id=f"facebook:{page_id}:dm:{psid}:{mid}", sender=page if own else customer,
        sender_name=name, text=text, received_at=when, thread=f"facebook:{page_id}:dm:{psid}",
        to=customer if own else page, own=own, private=True)


def comment_message(page_id: str, post_id: str, comment_id: str, parent: str | None,
                    user_id: str, name: str, text: str, when: datetime) -> ParsedMessage:
    """A comment on one of the Page's posts; replies go under the top comment (``parent``)."""
    target = parent or comment_id
    return chat_message(
        message_id=f"facebook:{page_id}:comment:{target}:{comment_id}",
        sender=f"facebook:{user_id}" if user_id != page_id else f"facebook:page:{page_id}",
        sender_name=name, text=text, received_at=when,
        thread=f"facebook:{page_id}:post:{post_id}:user:{user_id}",
        to=f"facebook:page:{page_id}", own=user_id == page_id, private=False,
        in_reply_to=f"facebook:{page_id}:comment:{parent}:{parent}" if parent else None)


def _time_or(value: Any, default: datetime) -> datetime:
    """A Graph time, or ``default`` when it is missing or unreadable (read it rather than
    skip it: the store drops what it already has)."""
    try:
        return graph_time(value)
    except (TypeError, ValueError):
        return default


def _text(msg: Mapping[str, Any]) -> str:
    text = str(msg.get("message") or msg.get("text") or "")
    if text:
        return text
    if msg.get("attachments"):
        return "(attachment)"
    raise ValueError("no text and no attachment")


class FacebookPage(SweepSource):
    """Messenger conversations and post comments of one Page. Implements the Source protocol."""

    type = "facebook"

    def __init__(self, name: str, page_id: str, api: GraphApi, *, clock: Clock,
                 messenger: bool = True, comments: bool = True, poll: bool = True,
                 webhook: bool = False, page_size: int = 25,
                 backfill_seconds: float = 86400.0) -> None:
        super().__init__(name, clock)
        self.page_id = page_id
        self.api = api
        self.messenger = messenger
        self.comments = comments
        self.poll = poll
        self.webhook = webhook
        self.page_size = page_size
        self.backfill_seconds = backfill_seconds

    def sweep(self, cursor: dict[str, Any]) -> tuple[list[RawItem], dict[str, Any]]:
        """Webhook deliveries, then (when polling) Messenger and comments since the cursor."""
        items: list[RawItem] = []
        if self.webhook:
            items += self.sweep_events(cursor, self.parse_delivery)
        if self.poll and not self.events_only:
            poll = dict(cursor.get("poll") or {})
            start = _iso(self.clock.now() - timedelta(seconds=self.backfill_seconds))
            try:
                if self.messenger:
                    poll["dm_since"] = self._conversations(poll.get("dm_since") or start, items)
                if self.comments:
                    poll["feed_since"] = self._comments(poll.get("feed_since") or start, items)
                cursor["poll"] = poll
            except SourceError as exc:  # a rate limit, or a polling failure
                if not items:
                    raise
                self.defer(exc)
        log.info("facebook %s: %d item(s); %s", self.name, len(items), self.api.usage.describe())
        return items, cursor

    # ---------------------------------------------------------------- polling
    def _pages(self, path: str, params: dict[str, Any], what: str) -> Iterator[dict[str, Any]]:
        """Every object of a Graph edge, page by page (``after`` cursors), newest first."""
        after = None
        while True:
            got = self.api.get(path, {**params, "limit": self.page_size,
                                      **({"after": after} if after else {})}, what=what)
            yield from (d for d in got.get("data") or [] if isinstance(d, dict))
            paging = got.get("paging") if isinstance(got.get("paging"), dict) else {}
            after = (paging.get("cursors") or {}).get("after")
            if not after or not paging.get("next"):
                return

    def _conversations(self, since_iso: str, items: list[RawItem]) -> str:
        since = graph_time(since_iso)
        newest = since
        for conv in self._pages(f"/{self.page_id}/conversations",
                                {"platform": "messenger", "fields": "id,updated_time"},
                                f"facebook {self.name}: conversations"):
            updated = _time_or(conv.get("updated_time"), since)
            if updated < since:
                break  # listed newest first: the rest is older
            newest = max(newest, updated)
            if not conv.get("id"):
                continue
            for msg in self._pages(f"/{conv['id']}/messages", {"fields": MESSAGE_FIELDS},
                                   f"facebook {self.name}: messages"):
                got = self._dm_item(msg)
                if got is not None and got.received_at is not None and \
                        got.received_at < since:
                    break
                if got is not None:
                    items.append(got)
        return _iso(newest)

    def _dm_item(self, msg: Mapping[str, Any]) -> RawItem | None:
        raw = json.dumps(msg, ensure_ascii=False, sort_keys=True).encode()
        mid = str(msg.get("id") or "")
        try:
            sender = msg["from"]
            own = str(sender["id"]) == self.page_id
            psid = str(msg["to"]["data"][0]["id"]) if own else str(sender["id"])
            name = "" if own else str(sender.get("name") or "")
            parsed = dm_message(self.page_id, psid, mid, _text(msg),
                                graph_time(msg["created_time"]), name=name, own=own)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            return unreadable(mid or None, raw, self.clock.now(),
                              f"facebook message {mid}: unreadable ({type(exc).__name__}: "
                              f"{exc})")
        return item(mid, raw, parsed)

    def _comments(self, since_iso: str, items: list[RawItem]) -> str:
        since = graph_time(since_iso)
        newest = since
        got = self.api.get(f"/{self.page_id}/feed", {"fields": "id,updated_time",
                                                     "limit": self.page_size},
                           what=f"facebook {self.name}: feed")
        for post in (p for p in got.get("data") or [] if isinstance(p, dict) and p.get("id")):
            updated = _time_or(post.get("updated_time"), since)
            if updated < since:
                continue  # the feed is in order of creation: look at every listed post
            newest = max(newest, updated)
            for c in self._pages(f"/{post['id']}/comments",
                                 {"fields": COMMENT_FIELDS, "filter": "stream",
                                  "order": "reverse_chronological"},
                                 f"facebook {self.name}: comments"):
                got_item = self._comment_item(c, str(post["id"]))
                if got_item.received_at is not None and got_item.received_at < since:
                    break
                items.append(got_item)
        return _iso(newest)

    def _comment_item(self, c: Mapping[str, Any], post_id: str) -> RawItem:
        raw = json.dumps({**c, "post_id": post_id}, ensure_ascii=False, sort_keys=True).encode()
        cid = str(c.get("id") or "")
        try:
            parent = (c.get("parent") or {}).get("id")
            sender = c.get("from") or {}
            parsed = comment_message(self.page_id, post_id, cid, str(parent) if parent else None,
                                     str(sender["id"]), str(sender.get("name") or ""),
                                     _text(c), graph_time(c["created_time"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return unreadable(cid or None, raw, self.clock.now(),
                              f"facebook comment {cid}: unreadable ({type(exc).__name__}: "
                              f"{exc})")
        return item(cid, raw, parsed)

    # ---------------------------------------------------------------- webhook
    def parse_delivery(self, payload: bytes, received: datetime) -> list[RawItem]:
        """The messages and comments of one Page webhook delivery (echoes of our own
        messages are kept as ours; reads, deliveries, reactions are skipped)."""
        data = json.loads(payload)
        out: list[RawItem] = []
        for entry in data.get("entry") or []:
            for ev in entry.get("messaging") or []:
                msg = ev.get("message")
                if not isinstance(msg, dict) or not msg.get("mid"):
                    continue
                own = bool(msg.get("is_echo"))
                psid = str((ev.get("recipient") if own else ev.get("sender"))["id"])
                raw = json.dumps(ev, ensure_ascii=False, sort_keys=True).encode()
                parsed = dm_message(self.page_id, psid, str(msg["mid"]), _text(msg),
                                    from_epoch(ev.get("timestamp") or received.timestamp()
                                               * 1000, millis=True), own=own)
                out.append(item(str(msg["mid"]), raw, parsed))
            for ch in entry.get("changes") or []:
                v = ch.get("value") if ch.get("field") == "feed" else None
                if not isinstance(v, dict) or v.get("item") != "comment" or \
                        v.get("verb") not in ("add", "edited"):
                    continue
                parent = v.get("parent_id")
                parent = None if not parent or parent == v.get("post_id") else str(parent)
                sender = v.get("from") or {}
                raw = json.dumps(v, ensure_ascii=False, sort_keys=True).encode()
                parsed = comment_message(
                    self.page_id, str(v["post_id"]), str(v["comment_id"]), parent,
                    str(sender["id"]), str(sender.get("name") or ""), _text(v),
                    graph_time(v.get("created_time") or received.timestamp()))
                out.append(item(str(v["comment_id"]), raw, parsed))
        return out


def graph_api(settings: Any, environ: Mapping[str, str], clock: Clock, *,
              token_key: str = "page_token_env", usage_limit: int = 90) -> GraphApi:
    """The Graph API client of a Facebook or WhatsApp source's settings.

    Raises MissingSecretError when the token (or a named app secret) is not set.
    """
    def secret(key: str) -> str:
        env = getattr(settings, key)
        value = environ.get(env, "") if env else ""
        if env and not value:
            raise MissingSecretError(f"environment variable {env} is not set",
                                     key=f"sources.{settings.name}.{key}",
                                     fix=f"export {env} or put it in .env")
        return value

    return GraphApi(secret(token_key), settings.api_base_url, settings.graph_version,
                    settings.request_timeout.total_seconds(), clock,
                    app_secret=secret("app_secret_env"), usage_limit=usage_limit)


def build(settings: FacebookSettings, environ: Mapping[str, str],
          resolve: Callable[[str], Path], *, clock: Clock | None = None) -> FacebookPage:
    """Build the facebook source of one ``[[sources]]`` entry (the source table calls this)."""
    clock = clock or SystemClock()
    api = graph_api(settings, environ, clock, usage_limit=settings.usage_limit)
    return FacebookPage(settings.name, settings.page_id, api, clock=clock,
                        messenger=settings.messenger, comments=settings.comments,
                        poll=settings.poll, webhook=settings.webhook,
                        page_size=settings.page_size,
                        backfill_seconds=settings.backfill.total_seconds())
