"""Replies on Zalo: consultation messages (``POST /v3.0/oa/message/cs``) to the customer.

Zalo accepts them within 7 days of the user's last interaction (``reply_window``); later the
reply is refused before any request and the agent is told that only a ZBS template message
(Zalo Notification Service) or another channel can reach the customer. Zalo's own refusals
for the window (-230, -232) say the same. After a crash, :meth:`ZaloSender.sent_copy` looks
the reply up among the conversation's latest messages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from triage.clients.zalo import MAX_TEXT, WINDOW_ERRORS, ZaloApi
from triage.clock import Clock, SystemClock
from triage.config.channels import ZaloSettings
from triage.errors import ChannelRefused, ReplyRejected, SendError
from triage.models import OutgoingReply
from triage.send.chat import CLOCK_MARGIN, as_send_errors, id_parts, same_text
from triage.send.window import ZALO_ADVICE, LastSeen, zalo_rule
from triage.sources.chat import from_epoch
from triage.sources.zalo import zalo_api
from triage.store.store import Store

log = logging.getLogger(__name__)

WINDOW_ADVICE = ZALO_ADVICE


class ZaloSender:
    """Sends approved replies as the OA. Implements the Sender protocol."""

    def __init__(self, name: str, oa_id: str, api: ZaloApi, *, last_seen: LastSeen,
                 clock: Clock, window: timedelta = timedelta(days=7),
                 lookback: int = 10) -> None:
        self.name = name
        self.oa_id = oa_id
        self.api = api
        self.last_seen = last_seen
        self.clock = clock
        self.window = window
        self.lookback = lookback

    def _user(self, reply: OutgoingReply) -> str:
        oa, user, _ = id_parts(reply.in_reply_to, "zalo", 3, "Zalo")
        if oa != self.oa_id:
            raise ReplyRejected(f"zalo {self.name}: the message came to OA {oa}, this source "
                                f"is OA {self.oa_id}")
        return user

    def send(self, reply: OutgoingReply) -> str:
        """Send ``reply`` to the user of ``reply.in_reply_to``; return Zalo's message id.

        Raises ReplyRejected (outside the window, too long, refused), SendError (limit,
        tokens, server or network trouble: retried) or SendInDoubt.
        """
        user = self._user(reply)
        what = f"zalo {self.name}: reply to {user}"
        text = reply.text.strip()
        if not text or len(text) > MAX_TEXT:
            raise ReplyRejected(f"{what}: {len(text)} of {MAX_TEXT} characters; shorten it")
        zalo_rule(self.window).check(self.last_seen(reply.source or self.name, f"zalo:{user}"),
                                     self.clock.now(), what=what)
        with as_send_errors(what):
            try:
                new_id = self.api.send_text(user, text)
            except ChannelRefused as exc:
                if exc.code in WINDOW_ERRORS:
                    raise ReplyRejected(f"{what}: {exc}; {WINDOW_ADVICE}") from None
                raise
        log.info("%s: sent as %s", what, new_id)
        return new_id

    def sent_copy(self, reply: OutgoingReply, since: datetime) -> str | None:
        """Whether ``reply`` (claimed at ``since``) is among the conversation's latest
        messages: its id, or None when they reach back before the claim without it.
        Raises SendError when that cannot be told."""
        user = self._user(reply)
        what = f"zalo {self.name}: look for reply to {user}"
        with as_send_errors(what):
            rows = self.api.conversation(user, 0, self.lookback)
        text = reply.text.strip()
        times = []
        for m in rows:
            try:
                t = from_epoch(m["time"], millis=True)
            except (KeyError, TypeError, ValueError, OverflowError):
                continue
            times.append(t)
            if str(m.get("from_id")) == self.oa_id and \
                    same_text(str(m.get("message") or ""), text) and t >= since - CLOCK_MARGIN:
                return str(m.get("message_id"))
        if len(rows) < self.lookback or any(t < since - CLOCK_MARGIN for t in times):
            return None
        raise SendError(f"{what}: the {len(rows)} latest messages are all newer than the "
                        "claim, so they cannot show whether the reply went out")


def build_zalo_sender(settings: ZaloSettings, environ: Mapping[str, str], *, store: Store,
                      last_seen: LastSeen, clock: Clock | None = None) -> ZaloSender:
    """The sender of a zalo source (its tokens shared with the source through ``store``);
    raises MissingSecretError when a secret variable is unset."""
    clock = clock or SystemClock()
    return ZaloSender(settings.name, settings.oa_id, zalo_api(settings, environ, store, clock),
                      last_seen=last_seen, clock=clock, window=settings.reply_window)
