"""The Sender seam: what every channel's sender implements, and what it is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


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
