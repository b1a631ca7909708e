"""Plain data types passed between the stages of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

CATEGORIES: tuple[str, ...] = ("complaint", "request", "suggestion", "technical_issue")
"""The four categories of ``shared/docs/taxonomy.md``; every message gets one."""

LANGUAGES: tuple[str, ...] = ("en", "vi", "id", "tl")
"""Languages supported from day one (ISO 639-1)."""

Channel = Literal["email", "social"]


@dataclass(frozen=True)
class RawItem:
    """One item as a source delivered it, before parsing.

    ``external_id`` is unique within the source (a Maildir key, an IMAP UIDVALIDITY:UID,
    a post id). ``raw`` is the bytes as received (RFC 5322 for email, JSON for social).
    """

    external_id: str
    raw: bytes
    received_at: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchResult:
    """What ``Source.fetch`` returns: new items and the cursor to save with them."""

    items: list[RawItem]
    cursor: dict[str, Any]


@dataclass(frozen=True)
class Attachment:
    """An attachment, recorded by name, type and size only."""

    filename: str | None
    content_type: str
    size: int


@dataclass
class ParsedMessage:
    """A message normalised for storage, classification and drafting."""

    message_id: str
    channel: Channel
    sender: str
    sender_name: str
    subject: str
    text: str
    """Text used for classification: quotes and signatures stripped."""
    full_text: str
    """The whole readable text, kept for agents."""
    received_at: datetime
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    is_auto: bool = False
    auto_reason: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    language_hint: str | None = None
    html: str | None = None
    thread_hint: str | None = None
    """A thread key the source knows for sure (an X conversation id), if any."""


@dataclass(frozen=True)
class Classification:
    """The model's verdict on one message."""

    category: str
    confidence: float
    language: str
    model_version: str
    needs_review: bool
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Draft:
    """A drafted reply waiting for an agent."""

    subject: str
    text: str
    template: str
    language: str
    status: str = "pending_review"
    situation: str = ""
    """The situation the draft was written for (``triage.drafting.situations``), '' if none."""


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
