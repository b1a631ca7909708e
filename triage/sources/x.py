"""Mentions of one X account, read with ``tweepy.Client`` within the account's rate budget.

Cursor: ``{"since_id": newest mention stored, "pending": {...} | None}``. X returns mentions
newest first, so one sweep asks for everything after ``since_id`` and follows ``next_token``
(sent back as ``pagination_token``) to older pages; only when the sweep is complete does
``since_id`` move to the newest id of the sweep. A sweep interrupted by the batch size, the rate
budget or a crash is resumed from ``pending`` (the same ``since_id`` and the next page's token),
and the store ignores any post it already has, so nothing is lost or doubled across restarts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import tweepy

from triage.clients.x import RateBudget, call, make_client, read_credentials
from triage.clock import Clock, SystemClock
from triage.config import XSettings
from triage.errors import SourceError, SourceRequestRefused
from triage.models import LANGUAGES, FetchResult, ParsedMessage, RawItem

log = logging.getLogger(__name__)

TWEET_FIELDS = ["author_id", "conversation_id", "created_at", "in_reply_to_user_id", "lang",
                "referenced_tweets"]
USER_FIELDS = ["username", "name"]
_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w{1,15})+\s*")
# X tags posts with its own codes for some languages we support.
_LANG_ALIASES = {"in": "id", "fil": "tl"}
MAX_EMPTY_PAGES = 5
"""Pages without posts (but with a next token) one sweep follows before it gives up."""


def x_language(code: str | None) -> str | None:
    """Map X's ``lang`` to one of triage's languages, or None (``und``, ``qme``, others)."""
    if not code:
        return None
    code = _LANG_ALIASES.get(code.lower(), code.lower())
    return code if code in LANGUAGES else None


def _post_id(value: object) -> str | None:
    """``value`` as a post id (a 64-bit integer sent as a string), or None when it is not one."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return text if text.isascii() and text.isdigit() and len(text) <= 20 else None


def _list(value: object) -> list[Any]:
    """``value`` when it is a list, else an empty list (a malformed part of a body)."""
    return value if isinstance(value, list) else []


def _later(a: object, b: object) -> str | None:
    """The larger of two numeric post ids; a value that is not a post id is ignored."""
    a, b = _post_id(a), _post_id(b)
    if not a:
        return b
    if not b:
        return a
    return a if int(a) >= int(b) else b


def parse_post(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]],
               own_user_id: str, fallback: datetime) -> ParsedMessage:
    """Turn one post of the v2 API (with its author from ``includes.users``) into a message.

    Raises KeyError/ValueError on a post without id or text (the caller quarantines it).
    """
    tid = str(tweet["id"])
    text = str(tweet["text"])
    author_id = str(tweet.get("author_id") or "")
    user = users.get(author_id, {})
    username = user.get("username")
    refs = {r.get("type"): str(r.get("id")) for r in tweet.get("referenced_tweets") or []
            if isinstance(r, Mapping)}
    in_reply_to = f"x:{refs['replied_to']}" if "replied_to" in refs else None
    is_auto, reason = False, None
    if author_id and author_id == own_user_id:
        is_auto, reason = True, "our own post"
    elif "retweeted" in refs:
        is_auto, reason = True, "repost"
    created = tweet.get("created_at")
    received = datetime.fromisoformat(created.replace("Z", "+00:00")) if created else fallback
    to = [f"x:user:{tweet['in_reply_to_user_id']}"] if tweet.get("in_reply_to_user_id") else []
    return ParsedMessage(
        message_id=f"x:{tid}", channel="social",
        sender=f"@{username}" if username else f"x:user:{author_id}",
        sender_name=str(user.get("name") or username or ""),
        subject="", text=_LEADING_MENTIONS.sub("", text).strip() or text, full_text=text,
        received_at=received, in_reply_to=in_reply_to,
        references=[in_reply_to] if in_reply_to else [], to=to,
        is_auto=is_auto, auto_reason=reason, language_hint=x_language(tweet.get("lang")),
        thread_hint=f"x:conv:{tweet.get('conversation_id') or tid}")


class XSource:
    """Polls the mentions of the configured account (``GET /2/users/:id/mentions``)."""

    type = "x"
    channel = "social"

    def __init__(self, name: str, user_id: str, client: tweepy.Client, *, clock: Clock,
                 page_size: int = 100) -> None:
        self.name = name
        self.user_id = user_id
        self.client = client
        self.clock = clock
        self.page_size = page_size
        self.budget = RateBudget(clock)
        self._drained = False
        self._restarted = False

    def fetch(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        """Return the next mentions, up to about ``limit`` (whole pages), and the new cursor.

        One call per poll reaches the end of the sweep; after that, until ``close()``, it
        returns nothing without spending a request. Raises RateLimited before any request when
        the budget is spent, SourceError/SourceAuthError from ``xapi.call``.
        """
        since = _post_id(cursor.get("since_id"))
        pending: dict[str, Any] | None = cursor.get("pending")
        items: list[RawItem] = []
        empty_pages = 0
        if self._drained:
            return FetchResult([], dict(cursor))
        while len(items) < limit:
            if items and self.budget.spent():
                break  # keep what we have; the next fetch raises RateLimited
            params: dict[str, Any] = {
                "max_results": self.page_size, "expansions": ["author_id"],
                "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS}
            start = pending["since_id"] if pending else since
            if start:
                params["since_id"] = start
            if pending:
                params["pagination_token"] = pending["token"]
            try:
                body = call(lambda p=params: self.client.get_users_mentions(self.user_id, **p),
                            f"x {self.name}: mentions", self.budget)
            except SourceRequestRefused as exc:
                if not pending or self._restarted:
                    raise  # at most one restart per poll: never loop on refused tokens
                # the saved page token expired while we were away: sweep again from since_id
                # (the store ignores the posts it already has)
                log.warning("%s; restarting the sweep from since_id=%s", exc,
                            pending["since_id"])
                since, pending, self._restarted = pending["since_id"], None, True
                continue
            if "data" not in body and "meta" not in body:  # X answers 200 with only errors
                errs = body.get("errors")
                first = errs[0] if isinstance(errs, list) and errs else {}
                detail = (first.get("detail") or first.get("title")) if isinstance(
                    first, dict) else first
                raise SourceError(f"x {self.name}: X reported {detail!r} for the mentions of "
                                  f"user {self.user_id}; check user_id")
            meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
            page = self._items(body)
            items.extend(page)
            newest = _later(pending["newest_id"] if pending else None, meta.get("newest_id"))
            token = meta.get("next_token")
            token = token if isinstance(token, str) and token else None
            empty_pages = 0 if page else empty_pages + 1
            if token and (token == params.get("pagination_token") or
                          empty_pages > MAX_EMPTY_PAGES):
                # X never sends a token twice, nor page after page of nothing: a proxy or an
                # API fault would loop this sweep for ever (found by fuzzing). Keep what came
                # before; the next poll resumes at the same page and reports it.
                if items and token != params.get("pagination_token"):
                    pending = {"since_id": start, "newest_id": newest, "token": token}
                    break
                if items:
                    break
                raise SourceError(f"x {self.name}: X sent the same page token again or "
                                  f"{MAX_EMPTY_PAGES} empty pages in a row; the sweep resumes "
                                  "at the next poll")
            if token:
                pending = {"since_id": start, "newest_id": newest, "token": token}
            else:
                since, pending = _later(since, newest), None
                self._drained = True
                break
        log.info("x %s: fetched %d mention(s), since_id=%s%s; %s", self.name, len(items), since,
                 " (sweep continues)" if pending else "", self.budget.describe())
        return FetchResult(items, {"since_id": since, "pending": pending})

    def _items(self, body: Mapping[str, Any]) -> list[RawItem]:
        data = body.get("data") or []
        includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
        users = {str(u.get("id")): u for u in _list(includes.get("users"))
                 if isinstance(u, dict)}
        for err in _list(body.get("errors")):  # deleted or hidden posts referenced by a mention
            log.info("x %s: X reported %s", self.name,
                     (err.get("detail") or err.get("title")) if isinstance(err, dict) else err)
        out: list[RawItem] = []
        now = self.clock.now()
        for tweet in data if isinstance(data, list) else []:
            if not isinstance(tweet, dict):
                continue
            author = users.get(str(tweet.get("author_id")))
            raw = json.dumps({"data": tweet, "includes": {"users": [author] if author else []}},
                             ensure_ascii=False, sort_keys=True).encode()
            try:
                parsed = parse_post(tweet, users, self.user_id, now)
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                ext = str(tweet.get("id") or "sha256:" + hashlib.sha256(raw).hexdigest())
                out.append(RawItem(ext, raw, now, meta={
                    "parse_error": f"x post {ext}: unreadable ({type(exc).__name__}: {exc})"}))
                continue
            out.append(RawItem(str(tweet["id"]), raw, parsed.received_at,
                               meta={"parsed": parsed}))
        return out

    def close(self) -> None:
        """End this poll: the next fetch starts a new sweep."""
        self._drained = False
        self._restarted = False


def build(settings: XSettings, environ: Mapping[str, str],
           resolve: Callable[[str], Path], *, clock: Clock | None = None) -> XSource:
    """Build the x source of one ``[[sources]]`` entry (the source table calls this)."""
    client = make_client(read_credentials(settings, environ), settings.api_base_url,
                         settings.request_timeout.total_seconds())
    return XSource(settings.name, settings.user_id, client, clock=clock or SystemClock(),
                   page_size=settings.page_size)
