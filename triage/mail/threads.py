"""Thread keys: which conversation a message belongs to.

Order: References / In-Reply-To of a message we know, then the reference token we put in our
reply subjects (``[#T-1042]``), else a new thread. The lookup itself lives in the store; this
module holds the pure parts.
"""

from __future__ import annotations

import re

REF_TOKEN = re.compile(r"\[#T-(\d+)\]")
_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|tl|trả lời|balas)\s*(\[\d+\])?\s*:\s*)+",
                     re.IGNORECASE)


def ref_token(thread_id: int) -> str:
    """Return the subject token for thread ``thread_id``, e.g. ``[#T-1042]``."""
    return f"[#T-{thread_id}]"


def token_in_subject(subject: str) -> int | None:
    """Return the thread id named by a reference token in ``subject``, if any."""
    m = REF_TOKEN.search(subject or "")
    return int(m.group(1)) if m else None


def normalise_subject(subject: str) -> str:
    """Return the subject without Re:/Fwd: prefixes, tokens and case, for comparison."""
    s = REF_TOKEN.sub("", subject or "")
    s = _PREFIX.sub("", s)
    return " ".join(s.lower().split())


def reply_subject(subject: str, thread_id: int) -> str:
    """Return ``Re: <subject> [#T-n]`` without stacking prefixes or tokens."""
    base = REF_TOKEN.sub("", subject or "").strip()
    base = _PREFIX.sub("", base).strip() or "your message"
    return f"Re: {base} {ref_token(thread_id)}"
