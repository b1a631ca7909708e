"""Make parsed text storable on every database: no lone surrogates, no NUL characters.

The email package keeps undecodable header bytes as lone surrogates, and PostgreSQL refuses
NUL in text columns; either would make one message fail the whole batch's transaction and
block its mailbox (found by the fuzz test). Scrubbing keeps the readable text; the raw bytes
are stored untouched beside it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")

# column sizes of the store (triage/store/schema.py): PostgreSQL rejects longer values, where
# SQLite silently kept them, so one absurd header used to fail a whole batch on PostgreSQL
LIMITS = {"message_id": 998, "in_reply_to": 998, "sender": 320, "sender_name": 320,
          "thread_hint": 500, "language_hint": 8}


def clean_text(value: str) -> str:
    """Return ``value`` with surrogates replaced by U+FFFD and NUL characters removed."""
    if value.isascii():
        return value.replace("\x00", "")
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return scrub(value)
    return value


def scrub(obj: T) -> T:
    """Return a copy of dataclass ``obj`` whose strings (also in lists and nested
    dataclasses) are cleaned with :func:`clean_text` and cut to the store's column sizes."""
    changes = {f.name: _clean(getattr(obj, f.name)) for f in dataclasses.fields(obj)}  # type: ignore[arg-type]
    for name, limit in LIMITS.items():
        if isinstance(changes.get(name), str):
            changes[name] = changes[name][:limit]
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
