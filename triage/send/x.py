"""Replies on X: ``create_tweet(text=..., in_reply_to_tweet_id=...)`` as the support account.

Safe to call again with the same reply (the outbox retries after a crash or an error): before
posting, the sender reads the account's latest posts and, if one already answers the same post
with the same text, returns its id instead of posting twice. If that check cannot be made (the
read budget is spent), X's own refusal of duplicate text is the second guard: the reply is then
reported as refused, never posted twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import tweepy
from twitter_text import parse_tweet

from triage.clients.x import Credentials, call, make_client, write_credentials
from triage.config import XSettings
from triage.errors import RateLimited, ReplyRejected, SendError
from triage.models import OutgoingReply

log = logging.getLogger(__name__)

MAX_WEIGHTED_LENGTH = 280
"""X's limit, counted the way X counts (URLs 23, most non-Latin characters 2)."""

_URL = re.compile(r"https?://\S+")
_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w{1,15})+\s*")


def weighted_length(text: str) -> int:
    """The length X gives ``text`` (twitter-text rules, the same X uses to refuse posts)."""
    return int(parse_tweet(text).weightedLength)


def _same_text(a: str, b: str) -> bool:
    """Equal up to X's rewriting: links become t.co links, reply mentions are prefixed."""

    def norm(t: str) -> str:
        t = _LEADING_MENTIONS.sub("", t)
        return " ".join(_URL.sub("<url>", t).split())

    return norm(a) == norm(b)


def post_id(in_reply_to: str | None) -> str:
    """The numeric post id from ``x:123`` or ``123``; raises ReplyRejected otherwise."""
    value = (in_reply_to or "").strip()
    value = value.removeprefix("x:")
    if not value.isdigit():
        raise ReplyRejected(f"cannot reply on X: {in_reply_to!r} is not a post id "
                            "(expected 'x:<digits>')")
    return value


class XSender:
    """Posts approved replies as the configured account. Implements the Sender protocol."""

    def __init__(self, name: str, user_id: str, client: tweepy.Client, *,
                 user_auth: bool, lookback: int = 20) -> None:
        self.name = name
        self.user_id = user_id
        self.client = client
        self.user_auth = user_auth
        self.lookback = lookback

    def send(self, reply: OutgoingReply) -> str:
        """Post ``reply`` as an answer to ``reply.in_reply_to``; return the new post's id.

        Raises ReplyRejected (too long, not a post id, the post is deleted or X refuses it) or
        SendError (rate limit, X or network down: retry later).
        """
        target = post_id(reply.in_reply_to)
        text = reply.text.strip()
        length = weighted_length(text)
        if not text or length > MAX_WEIGHTED_LENGTH:
            raise ReplyRejected(f"reply to x:{target} is {length} of {MAX_WEIGHTED_LENGTH} "
                                "characters as X counts them; shorten it")
        try:
            existing = self.existing_reply(target, text)
        except (SendError, RateLimited) as exc:
            log.warning("x %s: cannot check for an earlier reply to %s (%s); posting, X "
                        "refuses an exact duplicate", self.name, target, exc)
            existing = None
        if existing is not None:
            log.info("x %s: reply to %s already posted as %s; not posting again", self.name,
                     target, existing)
            return existing
        what = f"x {self.name}: reply to {target}"
        try:
            body = call(lambda: self.client.create_tweet(
                text=text, in_reply_to_tweet_id=target, user_auth=self.user_auth), what, None,
                error=SendError)
        except RateLimited as exc:
            raise SendError(f"{exc}; retry after {exc.reset_at}") from None
        except tweepy.HTTPException as exc:
            msgs = "; ".join(exc.api_messages or []) or str(exc.response.reason)
            if exc.response.status_code == 401:
                raise SendError(f"{what}: X refused the credentials ({msgs}); fix the "
                                "user-context token") from None
            raise ReplyRejected(f"{what}: X refused the reply ({exc.response.status_code}: "
                                f"{msgs})") from None
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        new_id = str(data.get("id") or "")
        if not new_id:
            raise SendError(f"{what}: X answered without the new post's id")
        log.info("x %s: replied to %s with %s (%d chars)", self.name, target, new_id, length)
        return new_id

    def existing_reply(self, target: str, text: str) -> str | None:
        """The id of our recent post that already answers ``target`` with ``text``, if any.

        Raises SendError or RateLimited when the account's posts cannot be read.
        """
        return _matching(self._own_posts(), target, text)

    def sent_copy(self, reply: OutgoingReply, since: datetime) -> str | None:
        """Whether ``reply``, claimed for sending at ``since``, is on X: the post's id, or
        None when our latest posts reach back before ``since`` without it.

        Raises SendError when that cannot be told (posts unreadable, or all of the latest
        ``lookback`` posts are newer than the claim).
        """
        target = post_id(reply.in_reply_to)
        try:
            posts = self._own_posts()
        except RateLimited as exc:
            raise SendError(f"x {self.name}: cannot read own posts now ({exc})") from None
        found = _matching(posts, target, reply.text.strip())
        if found is not None or len(posts) < self.lookback:
            return found  # found, or we saw every post the account has
        times = [_created(p) for p in posts]
        # a margin for the difference between X's clock and ours
        if all(ts is not None for ts in times) and \
                min(ts for ts in times if ts is not None) < since - CLOCK_MARGIN:
            return None
        raise SendError(f"x {self.name}: our last {len(posts)} posts are all newer than the "
                        "claim, so they cannot show whether the reply went out")

    def _own_posts(self) -> list[dict[str, Any]]:
        try:
            body = call(lambda: self.client.get_users_tweets(
                self.user_id, max_results=self.lookback, user_auth=self.user_auth,
                tweet_fields=["referenced_tweets", "conversation_id", "created_at"]),
                f"x {self.name}: own posts", None, error=SendError)
        except tweepy.HTTPException as exc:
            raise SendError(f"x {self.name}: cannot read own posts ({exc})") from None
        return [p for p in body.get("data") or [] if isinstance(p, dict)]


CLOCK_MARGIN = timedelta(minutes=5)


def _created(post: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(post.get("created_at")).replace("Z", "+00:00"))
    except ValueError:
        return None


def _matching(posts: list[dict[str, Any]], target: str, text: str) -> str | None:
    """The id of the post among ``posts`` that answers ``target`` with ``text``."""
    for post in posts:
        refs = post.get("referenced_tweets") or []
        if any(isinstance(r, dict) and r.get("type") == "replied_to" and
               str(r.get("id")) == target for r in refs) and \
                _same_text(str(post.get("text", "")), text):
            return str(post["id"])
    return None


def build_x_sender(settings: XSettings, environ: Mapping[str, str], *,
                   session: Any = None) -> XSender:
    """Build the sender of an X source from its settings.

    Raises ConfigError when only an app-only token is configured (it cannot post).
    """
    creds: Credentials = write_credentials(settings, environ)
    client = make_client(creds, settings.api_base_url, settings.request_timeout.total_seconds(),
                         session=session)
    return XSender(settings.name, settings.user_id, client, user_auth=creds.oauth1)

