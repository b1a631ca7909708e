"""Make parsed text storable on every database: no lone surrogates, no NUL characters.

The email package keeps undecodable header bytes as lone surrogates, and PostgreSQL refuses
NUL in text columns; either would make one message fail the whole batch's transaction and
block its mailbox (found by the fuzz test). Scrubbing keeps the readable text; the raw bytes
are stored untouched beside it.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, TypeVar

T = TypeVar("T")

# column sizes of the store (triage/store/schema.py): PostgreSQL rejects longer values, where
# SQLite silently kept them, so one absurd header used to fail a whole batch on PostgreSQL
LIMITS = {"message_id": 998, "in_reply_to": 998, "sender": 320, "sender_name": 320,
          "thread_hint": 500, "language_hint": 8}


def clean_text(value: str) -> str:
    """Return ``value`` with surrogates replaced by U+FFFD and NUL characters removed (the
    same object when it has neither)."""
    if not value.isascii():
        try:
            value.encode("utf-8")  # raises on a lone surrogate; cheaper than re-decoding
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
    return value.replace("\x00", "") if "\x00" in value else value


def _clean(value: Any) -> Any:
    """``value`` cleaned; the same object when nothing in it changed."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        cleaned = [_clean(v) for v in value]
        return value if all(map(_same, cleaned, value)) else cleaned
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return scrub(value)
    return value


def _same(a: object, b: object) -> bool:
    return a is b


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _texts(obj: Any, out: list[str]) -> bool:
    """Add the strings of dataclass ``obj`` (in its fields, lists and nested dataclasses, as
    :func:`_clean` walks them) to ``out``; False when one is over its column size or is not
    a plain ``str``, list or dataclass where :func:`scrub` must look closer."""
    for name in _field_names(type(obj)):
        value = getattr(obj, name)
        kind = type(value)
        if kind is str:
            limit = LIMITS.get(name)
            if limit is not None and len(value) > limit:
                return False
            out.append(value)
        elif kind is list:
            for item in value:
                if type(item) is str:
                    out.append(item)
                elif isinstance(item, str | list) or (dataclasses.is_dataclass(item)
                                                     and not _texts(item, out)):
                    return False
        elif isinstance(value, str | list) or (dataclasses.is_dataclass(value)
                                               and not isinstance(value, type)
                                               and not _texts(value, out)):
            return False
    return True


def _nothing_to_clean(obj: Any) -> bool:
    """True when :func:`scrub` would hand ``obj`` back unchanged: its strings, joined, hold
    no NUL and encode as UTF-8 (no lone surrogate), and none is over its column size. One
    test of the joined text instead of one per string (~20 strings a message)."""
    texts: list[str] = []
    if not _texts(obj, texts):
        return False
    joined = "".join(texts)
    if "\x00" in joined:
        return False
    if not joined.isascii():
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def scrub(obj: T) -> T:
    """Return dataclass ``obj`` with its strings (also in lists and nested dataclasses)
    cleaned with :func:`clean_text` and cut to the store's column sizes: a copy when any
    changed, else ``obj`` itself (most mail has nothing to clean, #19)."""
    if _nothing_to_clean(obj):
        return obj
    changes: dict[str, Any] = {}
    for name in _field_names(type(obj)):
        value = getattr(obj, name)
        cleaned = _clean(value)
        limit = LIMITS.get(name)
        if limit is not None and isinstance(cleaned, str) and len(cleaned) > limit:
            cleaned = cleaned[:limit]
        if cleaned is not value:
            changes[name] = cleaned
    return dataclasses.replace(obj, **changes) if changes else obj  # type: ignore[type-var]
