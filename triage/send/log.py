"""A sender that only logs: for dry runs and demos, nothing leaves the machine."""

from __future__ import annotations

import logging

from triage.models import OutgoingReply

log = logging.getLogger(__name__)


class LogSender:
    """Logs each reply instead of sending it; remembers them in ``sent`` for inspection."""

    def __init__(self) -> None:
        self.sent: list[OutgoingReply] = []

    def send(self, reply: OutgoingReply) -> str:
        """Log ``reply`` (never its text) and return a local id derived from its key."""
        log.info("dry run: reply to message %s via %s to %s (%d chars), key %s",
                 reply.message_id, reply.channel, reply.to, len(reply.text),
                 reply.idempotency_key)
        self.sent.append(reply)
        return f"log:{reply.idempotency_key}"
