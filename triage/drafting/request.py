"""One way to turn a stored message into a :class:`DraftRequest`.

Processing, an agent's canned template, the template preview and the display-time promise
check all draft for a stored message; each used to copy the message's fields by hand, and the
copies drifted (one forgot the attachments, so a photo the customer sent was not seen when the
situation was detected again). They all call :func:`request_for` now, with the thread
context the store's ``thread_contexts`` reads, as it is (the canned templates and the template
preview had drafted as if the message began its thread, so they asked again for what an
earlier message gave and never drafted ``still_open``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from triage.drafting.render import DraftRequest
from triage.drafting.situations import ThreadFacts


def attachment_types(message: Mapping[str, Any]) -> tuple[str, ...]:
    """The MIME types of a stored message's attachments, in their stored order."""
    return tuple(str(a.get("content_type", "")) for a in message.get("attachments") or [])


def request_for(message: Mapping[str, Any], *, category: str, language: str,
                due_at: datetime | None = None, needs_review: bool = False,
                situation: str | None = None, thread: ThreadFacts | None = None,
                now: datetime | None = None) -> DraftRequest:
    """The draft request for stored message ``message`` (a row as the store returns it),
    answered as ``category`` in ``language``: every field the message itself says (channel,
    subject, text, sender, thread, attachments, private conversation) is taken from the row,
    the rest from the caller."""
    return DraftRequest(
        category=category, channel=message["channel"], language=language,
        subject=message.get("subject") or "", text=message.get("text") or "",
        sender=message.get("sender") or "", sender_name=message.get("sender_name") or "",
        thread_id=message.get("thread_id") or message["id"], due_at=due_at,
        needs_review=needs_review, attachment_types=attachment_types(message),
        situation=situation, thread=thread if thread is not None else ThreadFacts(),
        now=now, private=bool(message.get("private")))
