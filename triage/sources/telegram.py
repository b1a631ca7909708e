"""Messages to a Telegram bot, read with ``getUpdates`` long polling.

Cursor: ``{"offset": update_id + 1 of the newest update stored}``. Telegram keeps an update
until a ``getUpdates`` asks for a higher offset, and the offset is saved in the same store
transaction as the messages, so an update is confirmed only once it is stored: a crash loses
nothing and the store ignores what it already has. One poll makes one long poll (waiting up to
``long_poll_timeout`` for the first message) and then short ones until nothing is left.
Telegram keeps unconfirmed updates for 24 hours, so a daemon down longer loses the oldest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from triage.clients.telegram import TelegramApi, bot_token
from triage.clock import Clock, SystemClock
from triage.config.channels import TelegramSettings
from triage.models import FetchResult, ParsedMessage, RawItem
from triage.sources.chat import chat_message, from_epoch, item, unreadable

log = logging.getLogger(__name__)

_MEDIA = ("photo", "video", "voice", "audio", "document", "sticker", "animation", "video_note",
          "contact", "location")


def message_text(msg: Mapping[str, Any]) -> str:
    """The text of a message: its text, a media caption, or ``(photo)``-style for media."""
    text = msg.get("text") or msg.get("caption")
    if text:
        return str(text)
    kinds = [k for k in _MEDIA if k in msg]
    if kinds:
        return f"({kinds[0].replace('_', ' ')})"
    raise ValueError("message has no text, caption or media")


def parse_message(msg: Mapping[str, Any], bot_id: str) -> ParsedMessage:
    """Turn a Bot API Message into a message. Raises KeyError/ValueError/TypeError when it
    lacks an id, a chat, a sender or any content."""
    chat = msg["chat"]
    chat_id = str(chat["id"])
    user = msg["from"]
    uid = str(user["id"])
    name = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k))
    thread = f"telegram:{bot_id}:chat:{chat_id}"
    private = chat.get("type") == "private"
    if not private:  # a group: one conversation per member, the reply seen by the group
        thread += f":user:{uid}"
    reply = msg.get("reply_to_message")
    in_reply_to = (f"telegram:{bot_id}:{chat_id}:{reply['message_id']}"
                   if isinstance(reply, Mapping) and "message_id" in reply else None)
    return chat_message(
        message_id=f"telegram:{bot_id}:{chat_id}:{int(msg['message_id'])}",
        sender=f"telegram:{uid}", sender_name=name or str(user.get("username") or uid),
        text=message_text(msg), received_at=from_epoch(msg["date"]), thread=thread,
        to=f"telegram:bot:{bot_id}", private=private, own=bool(user.get("is_bot")),
        in_reply_to=in_reply_to,
        auto_reason="our own message" if uid == bot_id else "a message from a bot")


class TelegramUpdates:
    """Polls ``getUpdates`` of one bot. Implements the Source protocol."""

    type = "telegram"
    channel = "social"

    def __init__(self, name: str, api: TelegramApi, *, clock: Clock, page_size: int = 100,
                 wait: float = 25.0) -> None:
        self.name = name
        self.api = api
        self.clock = clock
        self.page_size = page_size
        self.wait = wait
        self._long = True
        self._drained = False

    def fetch(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        """The next updates after ``cursor["offset"]`` (the first call of a poll waits up to
        ``wait`` seconds for one). Raises RateLimited, SourceAuthError, SourceError."""
        if self._drained:
            return FetchResult([], dict(cursor))
        offset = cursor.get("offset")
        wait, self._long = (self.wait if self._long else 0.0), False
        updates = self.api.get_updates(offset, min(limit, self.page_size), wait)
        if not updates:
            self._drained = True
            return FetchResult([], dict(cursor))
        items: list[RawItem] = []
        newest = int(offset or 0) - 1
        for update in updates:
            try:
                newest = max(newest, int(update["update_id"]))
            except (KeyError, TypeError, ValueError):
                log.warning("telegram %s: update without update_id skipped", self.name)
                continue
            got = self._item(update)
            if got is not None:
                items.append(got)
        log.info("telegram %s: %d update(s), %d message(s), offset %s", self.name,
                 len(updates), len(items), newest + 1)
        return FetchResult(items, {"offset": newest + 1})

    def _item(self, update: Mapping[str, Any]) -> RawItem | None:
        msg = update.get("message")
        if not isinstance(msg, Mapping):
            kinds = sorted(k for k in update if k != "update_id")
            log.info("telegram %s: update %s (%s) is not a new message; skipped", self.name,
                     update.get("update_id"), ", ".join(kinds))
            return None
        raw = json.dumps(update, ensure_ascii=False, sort_keys=True).encode()
        chat = msg.get("chat") if isinstance(msg.get("chat"), Mapping) else {}
        ext = f"{chat.get('id')}:{msg.get('message_id')}"
        now = self.clock.now()
        try:
            parsed = parse_message(msg, self.api.bot_id)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            return unreadable(ext, raw, now, f"telegram message {ext}: unreadable "
                                             f"({type(exc).__name__}: {exc})")
        return item(ext, raw, parsed)

    def close(self) -> None:
        """End this poll: the next fetch long-polls again."""
        self._long = True
        self._drained = False


def build(settings: TelegramSettings, environ: Mapping[str, str],
          resolve: Callable[[str], Path], *, clock: Clock | None = None) -> TelegramUpdates:
    """Build the telegram source of one ``[[sources]]`` entry (the source table calls this).

    Raises MissingSecretError when the bot token variable is unset.
    """
    clock = clock or SystemClock()
    token = bot_token(settings.bot_token_env, environ, f"sources.{settings.name}.bot_token_env")
    api = TelegramApi(token, settings.api_base_url, settings.request_timeout.total_seconds(),
                      clock)
    return TelegramUpdates(settings.name, api, clock=clock, page_size=settings.page_size,
                           wait=settings.long_poll_timeout.total_seconds())

