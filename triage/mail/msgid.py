"""Our own Message-IDs: how they are made, and how to recognise them when they come back.

The sender and the IMAP Sent-folder hook make them with :func:`message_id_for`; the loop
guard (:mod:`triage.mail.loops`) recognises them with :func:`is_own_message_id`, so the two
cannot drift apart. Deadline notices to agents use ``make_msgid(domain="triage")``
(``<...@triage>``), recognised too.
"""

from __future__ import annotations

import re

PREFIX = "triage."


def message_id_for(key: str, from_address: str) -> str:
    """Return the Message-ID for idempotency key ``key``: ``<triage.KEY@domain>``."""
    domain = from_address.rpartition("@")[2] or "triage.invalid"
    safe = "".join(ch if ch.isalnum() or ch in "-._" else "-" for ch in key)
    return f"<{PREFIX}{safe}@{domain}>"


_OWN = re.compile(r"^<(?:" + re.escape(PREFIX) + r"[^<>@\s]+@[^<>@\s]+|[^<>@\s]+@triage)>$")


def is_own_message_id(message_id: str) -> bool:
    """True when ``message_id`` is one that triage generates (see :func:`message_id_for`)."""
    return bool(_OWN.match(message_id.strip()))
