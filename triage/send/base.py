"""How the outbox stores a reply: :class:`~triage.models.OutgoingReply` to a row and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triage.models import OutgoingReply, Sender

__all__ = ["OutgoingReply", "Sender", "payload_of", "reply_of"]


def payload_of(reply: OutgoingReply) -> dict[str, Any]:
    """Return what the outbox stores of ``reply`` besides its key, message and channel."""
    return {"to": reply.to, "subject": reply.subject, "text": reply.text,
            "in_reply_to": reply.in_reply_to, "references": list(reply.references),
            "source": reply.source, "extra": dict(reply.extra)}


def reply_of(row: Mapping[str, Any]) -> OutgoingReply:
    """Return the reply an outbox row holds (the inverse of :func:`payload_of`)."""
    p = row["payload"]
    return OutgoingReply(
        idempotency_key=row["idempotency_key"], message_id=row["message_id"],
        channel=row["channel"], to=p["to"], subject=p["subject"], text=p["text"],
        in_reply_to=p.get("in_reply_to"), references=list(p.get("references") or []),
        source=p.get("source") or "", extra=dict(p.get("extra") or {}))
