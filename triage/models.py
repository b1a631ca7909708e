"""Plain data types passed between the stages of the pipeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

CATEGORIES: tuple[str, ...] = ("complaint", "request", "suggestion", "technical_issue")
"""The four categories of ``shared/docs/taxonomy.md``; every message gets one."""

OUTBOX_STATUSES: tuple[str, ...] = (
    "pending", "sending", "sent", "failed", "in_doubt", "cancelled")
"""Every status an outbox row can have (here so the CLI can offer them without the store)."""

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
    cc: list[str] = field(default_factory=list)
    is_auto: bool = False
    auto_reason: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    language_hint: str | None = None
    html: str | None = None
    thread_hint: str | None = None
    """A thread key the source knows for sure (an X conversation id), if any."""
    defects: list[str] = field(default_factory=list)
    """What could not be decoded; a message with defects is only partly readable, so it is
    sent to review and never gets a confident category."""
    private: bool = False
    """The customer wrote in a private conversation with us (a Messenger, Zalo, WhatsApp or
    Telegram private chat, a Mastodon direct post), as the source knows it: the reply asks for
    details right there instead of "DM us". False for public posts, comments and e-mail."""


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


@dataclass(frozen=True)
class ThreadContext:
    """What the thread tells about a new customer message (read by the store, used by the
    deadline policy and by the draft: ``triage.drafting.situations.ThreadFacts`` is this
    class, so the pipeline and the review pages hand it to the renderer as it is).

    ``replied_before``: we answered in this thread before (so this is a next response).
    ``unanswered``: the customer's messages since our last reply, this one included.
    ``earlier`` and ``earlier_attachments``: the texts of the customer's earlier messages in the
    thread (oldest first) and their attachments' MIME types, so a next draft knows what the
    conversation already said (the device, the order number, the error) and what it was about.
    """

    replied_before: bool = False
    unanswered: int = 1
    earlier: tuple[str, ...] = ()
    earlier_attachments: tuple[str, ...] = ()

    def told(self, text: str) -> str:
        """``text`` followed by the customer's earlier messages, newest first: what the
        conversation has said, for the facts and technical details a draft acknowledges
        (the first one found is the newest)."""
        return "\n".join((text, *reversed(self.earlier))) if self.earlier else text


# ---- threading: what the store reads for ``triage.mail.threads`` and what it decides ----
@dataclass(frozen=True)
class ThreadLookups:
    """What threading a batch needs read from the store: thread keys, referenced
    Message-IDs and thread ids named by subject tokens."""

    keys: frozenset[str] = frozenset()
    message_ids: frozenset[str] = frozenset()
    thread_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ThreadParent:
    """A stored message that a new one may answer: what the over-threading guards need."""

    row_id: int
    """The message's row id: of several candidates, the latest stored wins."""
    thread_id: int
    sender: str
    is_auto: bool
    subject: str
    auto_reason: str | None = None


@dataclass(frozen=True)
class StoredThread:
    """A stored thread named by a reference token."""

    id: int
    subject: str
    customer: str


@dataclass(frozen=True)
class ThreadCandidates:
    """The store's answer to :class:`ThreadLookups`."""

    by_key: dict[str, int] = field(default_factory=dict)
    """Thread key -> thread id."""
    parents: dict[str, ThreadParent] = field(default_factory=dict)
    """Message-ID -> the latest stored message with it that has a thread."""
    threads: dict[int, StoredThread] = field(default_factory=dict)
    """Thread id -> thread, for the ids asked for that exist."""


@dataclass(frozen=True)
class NewThread:
    """A thread a batch starts: the row to insert."""

    key: str | None
    subject: str
    channel: str
    customer: str


@dataclass(frozen=True)
class ThreadChoice:
    """The thread of one message: an existing one (``thread_id``) or the ``new``-th of
    :attr:`ThreadPlan.new_threads`."""

    thread_id: int | None = None
    new: int | None = None


@dataclass(frozen=True)
class ThreadPlan:
    """The threads of a batch, one choice per message in order, and the threads to start."""

    choices: list[ThreadChoice]
    new_threads: list[NewThread] = field(default_factory=list)

    @property
    def touched(self) -> set[int]:
        """The existing threads that got a message (their ``last_message_at`` moves)."""
        return {c.thread_id for c in self.choices if c.thread_id is not None}


ThreadReader = Callable[[ThreadLookups], ThreadCandidates]
"""Reads what threading needs (the store hands one to the threader)."""

Threader = Callable[[Sequence[ParsedMessage], ThreadReader], ThreadPlan]
"""Decides the threads of a batch of messages (``triage.mail.threads.assign_threads``)."""
