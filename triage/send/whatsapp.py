"""Replies on WhatsApp (Cloud API): ``POST /{phone-number-id}/messages`` with a text message
quoting the customer's (``context.message_id``).

WhatsApp takes a free-form reply only within the 24-hour customer-service window that the
customer's last message opened; later the reply is refused before any request and the agent
is told that an approved message template is needed. WhatsApp's own refusal (131047,
"re-engagement message") says the same. The Cloud API cannot list sent messages, so a reply a
crash left half-sent stays in doubt for an operator.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from triage.clients.meta import GraphApi
from triage.clock import Clock, SystemClock
from triage.config.channels import WhatsAppSettings
from triage.errors import ChannelRefused, ReplyRejected, SendError
from triage.models import OutgoingReply
from triage.send.chat import as_send_errors, id_parts
from triage.send.window import WHATSAPP, WHATSAPP_ADVICE, LastSeen
from triage.sources.facebook import graph_api

log = logging.getLogger(__name__)

WINDOW = WHATSAPP.window
MAX_TEXT = 4096
WINDOW_ADVICE = WHATSAPP_ADVICE
WINDOW_CODES = frozenset({131047})
"""More than 24 hours since the customer last wrote."""


class WhatsAppSender:
    """Sends approved replies from the business phone number. Implements the Sender protocol."""

    def __init__(self, name: str, phone_number_id: str, api: GraphApi, *,
                 last_seen: LastSeen, clock: Clock) -> None:
        self.name = name
        self.phone_number_id = phone_number_id
        self.api = api
        self.last_seen = last_seen
        self.clock = clock

    def send(self, reply: OutgoingReply) -> str:
        """Send ``reply`` to the customer of ``reply.in_reply_to``; return the ``wamid``.

        Raises ReplyRejected (outside the window, too long, refused), SendError (throttled,
        token, server or network trouble: retried) or SendInDoubt.
        """
        pnid, wa_id, wamid = id_parts(reply.in_reply_to, "whatsapp", 3, "WhatsApp")
        what = f"whatsapp {self.name}: reply to +{wa_id}"
        if pnid != self.phone_number_id:
            raise ReplyRejected(f"{what}: the message came to number id {pnid}, this source "
                                f"is {self.phone_number_id}")
        text = reply.text.strip()
        if not text or len(text) > MAX_TEXT:
            raise ReplyRejected(f"{what}: {len(text)} of {MAX_TEXT} characters; shorten it")
        WHATSAPP.check(self.last_seen(reply.source or self.name, f"whatsapp:+{wa_id}"),
                       self.clock.now(), what=what)
        body: dict[str, Any] = {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_id,
            "type": "text", "text": {"preview_url": False, "body": text},
            "context": {"message_id": wamid}}
        with as_send_errors(what):
            try:
                got = self.api.post(f"/{self.phone_number_id}/messages", body, what=what)
            except ChannelRefused as exc:
                if exc.code in WINDOW_CODES:
                    raise ReplyRejected(f"{what}: {exc}; {WINDOW_ADVICE}") from None
                raise
        msgs = got.get("messages") if isinstance(got.get("messages"), list) else []
        new_id = str(msgs[0].get("id") or "") if msgs and isinstance(msgs[0], dict) else ""
        if not new_id:
            raise SendError(f"{what}: WhatsApp answered without the message id")
        log.info("%s: sent as %s", what, new_id)
        return new_id


def build_whatsapp_sender(settings: WhatsAppSettings, environ: Mapping[str, str], *,
                          last_seen: LastSeen, clock: Clock | None = None) -> WhatsAppSender:
    """The sender of a whatsapp source; raises MissingSecretError without the token."""
    clock = clock or SystemClock()
    return WhatsAppSender(settings.name, settings.phone_number_id,
                          graph_api(settings, environ, clock, token_key="access_token_env",
                                    usage_limit=100),
                          last_seen=last_seen, clock=clock)
