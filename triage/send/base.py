"""The Sender seam: what every channel's sender implements, and what it is given."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class OutgoingReply:
    """One approved reply to send.

    ``idempotency_key`` is unique per reply; a sender that can, passes it to the remote side
    (as Message-ID for email) so that a retry after a crash is recognisable.
    """

    idempotency_key: str
    message_id: int
    """triage's id of the message being answered."""
    channel: str
    to: str
    """Email address, or the handle / account id on a social network."""
    subject: str
    text: str
    in_reply_to: str | None = None
    """RFC 5322 Message-ID (email) or the post id being answered (social)."""
    references: list[str] = field(default_factory=list)
    source: str = ""
    """Name of the source the message came from (social replies go out through it)."""
    extra: dict[str, str] = field(default_factory=dict)


class Sender(Protocol):
    """Delivers approved replies for one channel."""

    def send(self, reply: OutgoingReply) -> str:
        """Deliver ``reply``; return the remote id (Message-ID, post id).

        Raises SendError (retried by the outbox) or a subclass that says retrying is useless.
        """
        ...


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
