"""Replies on a Facebook Page: Messenger messages through the Send API, and comment replies.

Messenger: ``POST /{page}/messages`` with ``messaging_type=RESPONSE`` within 24 hours of the
customer's last message. Later, the reply is refused before any request and the agent is told
why: Messenger then takes only a tagged message (``HUMAN_AGENT``, up to 7 days, when the app
has that permission and ``human_agent_tag`` is on) or an answer on another channel. Meta's own
refusal for the window (code 10, subcode 2018278) says the same.
Comments: ``POST /{comment}/comments`` under the customer's top-level comment.

After a crash, :meth:`FacebookSender.sent_copy` looks the reply up (the conversation's latest
messages, or the comment's replies) so the outbox settles rows left in doubt.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from triage.clients.meta import GraphApi
from triage.clock import Clock, SystemClock
from triage.config.channels import FacebookSettings
from triage.errors import ChannelRefused, ReplyRejected, SendError
from triage.models import OutgoingReply
from triage.send.chat import CLOCK_MARGIN, as_send_errors, id_parts, same_text
from triage.send.window import MESSENGER, MESSENGER_ADVICE, LastSeen, messenger_rule
from triage.sources.facebook import graph_api, graph_time

log = logging.getLogger(__name__)

WINDOW = MESSENGER.window
MAX_MESSAGE = 2000
MAX_COMMENT = 8000
WINDOW_ADVICE = MESSENGER_ADVICE
WINDOW_SUBCODES = frozenset({2018278, 2018109, 1545041})
"""Meta's subcodes of a message sent outside the allowed window (or to a person who cannot
be reached now)."""


class FacebookSender:
    """Sends approved replies as the Page. Implements the Sender protocol."""

    def __init__(self, name: str, page_id: str, api: GraphApi, *, last_seen: LastSeen,
                 clock: Clock, human_agent_tag: bool = False, lookback: int = 25) -> None:
        self.name = name
        self.page_id = page_id
        self.api = api
        self.last_seen = last_seen
        self.clock = clock
        self.human_agent_tag = human_agent_tag
        self.lookback = lookback

    def _target(self, reply: OutgoingReply) -> tuple[str, str]:
        """``("dm", psid)`` or ``("comment", top comment id)`` of the message answered."""
        page, kind, target, _ = id_parts(reply.in_reply_to, "facebook", 4, "Facebook")
        if kind not in ("dm", "comment"):
            raise ReplyRejected(f"cannot reply on Facebook: {reply.in_reply_to!r} is neither "
                                "a Messenger message nor a comment")
        if page != self.page_id:
            raise ReplyRejected(f"facebook {self.name}: the message came to Page {page}, "
                                f"this source is Page {self.page_id}")
        return kind, target

    def send(self, reply: OutgoingReply) -> str:
        """Send ``reply`` as a Messenger message or a comment reply; return Meta's id.

        Raises ReplyRejected (outside the reply window, too long, refused by Meta),
        SendError (throttled, token, server or network trouble: retried) or SendInDoubt.
        """
        kind, target = self._target(reply)
        text = reply.text.strip()
        limit = MAX_MESSAGE if kind == "dm" else MAX_COMMENT
        what = f"facebook {self.name}: reply to {kind} {target}"
        if not text or len(text) > limit:
            raise ReplyRejected(f"{what}: {len(text)} of {limit} characters; shorten it")
        if kind == "comment":
            with as_send_errors(what):
                got = self.api.post(f"/{target}/comments", {"message": text}, what=what)
            return self._new_id(got, "id", what)
        body: dict[str, Any] = {"recipient": {"id": target}, "messaging_type": "RESPONSE",
                                "message": {"text": text}}
        window = messenger_rule(self.human_agent_tag).check(
            self.last_seen(reply.source or self.name, f"facebook:{target}"), self.clock.now(),
            what=what)  # refused here, before any request, when it has closed
        if window.tagged:
            body.update(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
        with as_send_errors(what):
            try:
                got = self.api.post(f"/{self.page_id}/messages", body, what=what)
            except ChannelRefused as exc:
                if exc.code == 10 or exc.subcode in WINDOW_SUBCODES:
                    raise ReplyRejected(f"{what}: Meta refused it as outside the messaging "
                                        f"window ({exc}); {WINDOW_ADVICE}") from None
                raise
        new_id = self._new_id(got, "message_id", what)
        log.info("%s: sent as %s (%s)", what, new_id, body["messaging_type"])
        return new_id

    @staticmethod
    def _new_id(got: Mapping[str, Any], key: str, what: str) -> str:
        new_id = str(got.get(key) or "")
        if not new_id:
            raise SendError(f"{what}: Meta answered without the new {key}")
        return new_id

    def sent_copy(self, reply: OutgoingReply, since: datetime) -> str | None:
        """Whether ``reply``, claimed for sending at ``since``, is out: Meta's id of our
        message or comment with its text, or None when the latest ones show it is not.

        Raises SendError when that cannot be told (Meta unreachable, or every message looked
        at is newer than the claim).
        """
        kind, target = self._target(reply)
        what = f"facebook {self.name}: look for reply to {kind} {target}"
        with as_send_errors(what):
            if kind == "comment":
                got = self.api.get(f"/{target}/comments", {
                    "fields": "id,message,from,created_time", "limit": 100}, what=what)
                rows = [c for c in got.get("data") or [] if isinstance(c, dict)]
                complete = not (got.get("paging") or {}).get("next")
            else:
                got = self.api.get(f"/{self.page_id}/conversations", {
                    "platform": "messenger", "user_id": target,
                    "fields": f"messages.limit({self.lookback}){{id,message,from,created_time}}"},
                    what=what)
                convs = [c for c in got.get("data") or [] if isinstance(c, dict)]
                rows = [m for c in convs for m in (c.get("messages") or {}).get("data") or []
                        if isinstance(m, dict)]
                complete = len(rows) < self.lookback
        text = reply.text.strip()
        ours = [r for r in rows if str((r.get("from") or {}).get("id")) == self.page_id]
        for r in ours:
            if same_text(str(r.get("message") or ""), text) and \
                    _time(r) >= since - CLOCK_MARGIN:
                return str(r["id"])
        if complete or any(_time(r) < since - CLOCK_MARGIN for r in rows):
            return None
        raise SendError(f"{what}: the {len(rows)} latest messages are all newer than the "
                        "claim, so they cannot show whether the reply went out")


def _time(row: Mapping[str, Any]) -> datetime:
    try:
        return graph_time(row.get("created_time"))
    except ValueError:  # unreadable: count it as new, it proves nothing
        return datetime.max.replace(tzinfo=UTC)


def build_facebook_sender(settings: FacebookSettings, environ: Mapping[str, str], *,
                          last_seen: LastSeen, clock: Clock | None = None) -> FacebookSender:
    """The sender of a facebook source; raises MissingSecretError without the Page token."""
    clock = clock or SystemClock()
    return FacebookSender(settings.name, settings.page_id,
                          graph_api(settings, environ, clock, usage_limit=100),
                          last_seen=last_seen, clock=clock,
                          human_agent_tag=settings.human_agent_tag)
