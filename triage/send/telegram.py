"""Replies on Telegram: ``sendMessage`` into the customer's chat with ``reply_to_message_id``.

The Bot API cannot list what a bot sent, so a reply a crash left half-sent cannot be looked
up: it stays in doubt for an operator (``triage outbox``). A connection that broke after the
request went out is reported as in doubt (SendInDoubt), never retried blindly.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from triage.clients.telegram import MAX_TEXT, TelegramApi, bot_token
from triage.clock import Clock, SystemClock
from triage.config.channels import TelegramSettings
from triage.errors import ReplyRejected
from triage.models import OutgoingReply
from triage.send.chat import as_send_errors, id_parts

log = logging.getLogger(__name__)


class TelegramSender:
    """Sends approved replies as the bot. Implements the Sender protocol."""

    def __init__(self, name: str, api: TelegramApi) -> None:
        self.name = name
        self.api = api

    def send(self, reply: OutgoingReply) -> str:
        """Send ``reply`` into the chat of ``reply.in_reply_to``
        (``telegram:<bot>:<chat>:<message>``); return ``<chat>:<message id>``.

        Raises ReplyRejected (too long, not a Telegram message, the bot is blocked or the chat
        is gone), SendError (rate limit, Telegram or network down: retried) or SendInDoubt.
        """
        bot, chat, msg = id_parts(reply.in_reply_to, "telegram", 3, "Telegram")
        what = f"telegram {self.name}: reply in chat {chat}"
        if bot != self.api.bot_id:
            raise ReplyRejected(f"{what}: the message came to bot {bot}, this source is bot "
                                f"{self.api.bot_id}")
        text = reply.text.strip()
        if not text or len(text) > MAX_TEXT:
            raise ReplyRejected(f"{what}: {len(text)} of {MAX_TEXT} characters; shorten it")
        try:
            chat_id, msg_id = int(chat), int(msg)
        except ValueError:
            raise ReplyRejected(f"{what}: {reply.in_reply_to!r} has no numeric chat and "
                                "message id") from None
        with as_send_errors(what):
            sent = self.api.send_message(chat_id, text, msg_id)
        new_id = f"{chat}:{sent.get('message_id')}"
        log.info("%s: sent as %s (%d chars)", what, new_id, len(text))
        return new_id


def build_telegram_sender(settings: TelegramSettings, environ: Mapping[str, str], *,
                          clock: Clock | None = None) -> TelegramSender:
    """The sender of a telegram source; raises MissingSecretError without the token."""
    token = bot_token(settings.bot_token_env, environ, f"sources.{settings.name}.bot_token_env")
    return TelegramSender(settings.name, TelegramApi(
        token, settings.api_base_url, settings.request_timeout.total_seconds(),
        clock or SystemClock()))
