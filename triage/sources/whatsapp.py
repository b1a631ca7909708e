"""A WhatsApp Business phone number (Cloud API): messages come only by the webhook.

The Cloud API has no endpoint to read messages, so the webhook route keeps each verified
delivery in the store and this source reads them back (cursor ``{"event_id": N}``). One app's
webhook carries every phone number of the business account; only this number's messages
(``metadata.phone_number_id``) are taken. Status updates (sent, delivered, read) are skipped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from triage.clock import Clock, SystemClock
from triage.config.channels import WhatsAppSettings
from triage.models import ParsedMessage, RawItem
from triage.sources.chat import SweepSource, chat_message, from_epoch, item

log = logging.getLogger(__name__)


def whatsapp_text(msg: Mapping[str, Any]) -> str:
    """The text of a Cloud API message: text body, media caption, a button or list answer,
    or ``(image)``-style for other types."""
    kind = str(msg.get("type") or "")
    body = msg.get(kind) if isinstance(msg.get(kind), dict) else {}
    if kind == "text":
        return str(body["body"])
    if kind == "button":
        return str(body.get("text") or "(button)")
    if kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        return str(reply.get("title") or "(interactive)")
    if body.get("caption"):
        return str(body["caption"])
    if not kind:
        raise ValueError("message without a type")
    return f"({kind})"


def whatsapp_message(phone_number_id: str, wa_id: str, wamid: str, text: str, when: datetime,
                     name: str = "") -> ParsedMessage:
    """A customer's message to our number."""
    return chat_message(
        message_id=f"whatsapp:{phone_number_id}:{wa_id}:{wamid}", sender=f"whatsapp:+{wa_id}",
        sender_name=name, text=text, received_at=when,
        thread=f"whatsapp:{phone_number_id}:user:{wa_id}",
        to=f"whatsapp:number:{phone_number_id}", private=True)


class WhatsAppNumber(SweepSource):
    """Stored webhook deliveries of one phone number. Implements the Source protocol."""

    type = "whatsapp"

    def __init__(self, name: str, phone_number_id: str, *, clock: Clock) -> None:
        super().__init__(name, clock)
        self.phone_number_id = phone_number_id

    def sweep(self, cursor: dict[str, Any]) -> tuple[list[RawItem], dict[str, Any]]:
        """The messages of the deliveries stored since the cursor."""
        items = self.sweep_events(cursor, self.parse_delivery)
        if items:
            log.info("whatsapp %s: %d message(s)", self.name, len(items))
        return items, cursor

    def parse_delivery(self, payload: bytes, received: datetime) -> list[RawItem]:
        """The messages to this number in one webhook delivery."""
        data = json.loads(payload)
        out: list[RawItem] = []
        for entry in data.get("entry") or []:
            for ch in entry.get("changes") or []:
                v = ch.get("value") if ch.get("field") == "messages" else None
                if not isinstance(v, dict):
                    continue
                if str((v.get("metadata") or {}).get("phone_number_id")) != \
                        self.phone_number_id:
                    continue  # another number of the same business account
                names = {str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                         for c in v.get("contacts") or [] if isinstance(c, dict)}
                for msg in v.get("messages") or []:
                    wa_id = str(msg["from"])
                    raw = json.dumps({"metadata": v.get("metadata"), "message": msg},
                                     ensure_ascii=False, sort_keys=True).encode()
                    parsed = whatsapp_message(self.phone_number_id, wa_id, str(msg["id"]),
                                              whatsapp_text(msg), from_epoch(msg["timestamp"]),
                                              names.get(wa_id, ""))
                    out.append(item(str(msg["id"]), raw, parsed))
        return out


def build(settings: WhatsAppSettings, environ: Mapping[str, str],
          resolve: Callable[[str], Path], *, clock: Clock | None = None) -> WhatsAppNumber:
    """Build the whatsapp source of one ``[[sources]]`` entry (the source table calls this)."""
    return WhatsAppNumber(settings.name, settings.phone_number_id, clock=clock or SystemClock())
