"""Promised times in drafts: never in the past.

A draft written with ``{{ deadline }}`` promises the customer an answer by the message's
deadline. When the draft is shown or approved after that time has passed, the promise is
written again with a fresh time (the policy's target counted from now), so no reply ever goes
out promising a time that is already over. The review service calls :func:`refresh` at both
moments; the text is matched exactly as the renderer wrote it, so an agent's own wording is
left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Promise:
    """The outcome of :func:`refresh`: the text to show or send, and what changed."""

    text: str
    old: str = ""
    """The promise that had passed, as it was written ('' when nothing changed)."""
    new: str = ""
    """The promise written in its place."""

    @property
    def changed(self) -> bool:
        """True when a past promise was replaced."""
        return bool(self.old)


def promises(text: str, promised_at: datetime | None, write: Callable[[datetime], str]) -> bool:
    """True when ``text`` contains the promise of ``promised_at`` as ``write`` writes it."""
    return promised_at is not None and bool(write(promised_at)) and write(promised_at) in text


def refresh(text: str, promised_at: datetime | None, now: datetime,
            fresh: Callable[[], datetime], write: Callable[[datetime], str]) -> Promise:
    """Replace the promise of ``promised_at`` in ``text`` when that time is not after
    ``now``, by the time ``fresh()`` returns; otherwise return ``text`` unchanged."""
    if promised_at is None or promised_at > now or not promises(text, promised_at, write):
        return Promise(text)
    later = fresh()
    if later <= now:  # a policy that gives no time at all: promise nothing rather than lie
        return Promise(text)
    old, new = write(promised_at), write(later)
    return Promise(text.replace(old, new), old, new)
