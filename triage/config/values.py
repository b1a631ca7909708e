"""Value types of settings: the section base class, durations, time zones, opening hours, hosts.

Everything here is a pure function of its argument and raises ValueError with the accepted
form, which pydantic turns into a message naming the key (see :mod:`triage.config.loading`).
The opening-hours parser lives here, not in ``triage.deadlines``, so that the configuration,
the lowest layer, imports nothing above it; the business calendars use it from here.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import time, timedelta
from itertools import pairwise
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict


class Section(BaseModel):
    """Base of every settings table: unknown keys are errors, defaults are validated too."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    def inactive_fields(self) -> frozenset[str]:
        """Names of fields not in use with the current values (their ``*_env`` secrets are
        not required); a section overrides this when a switch turns part of it off."""
        return frozenset()


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> timedelta:
    """Turn ``"90s"``, ``"5m"``, ``"24h"``, ``"2d"`` or a number of seconds into a timedelta.

    Raises ValueError with the accepted forms when the value is not one of them.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30s', '5m', '24h' or '2d'")
    seconds: float | None = None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds is not None:
        try:
            return timedelta(seconds=seconds)
        except (OverflowError, ValueError):  # inf, nan, or beyond 999,999,999 days
            raise ValueError(f"{value!r} is not a usable duration; write a finite one like "
                             "'30s', '5m', '24h' or '2d'") from None
    raise ValueError(f"{value!r} is not a duration; write it like '30s', '5m', '24h' or '2d'")


def format_duration(value: timedelta) -> str:
    """Write ``value`` the way a config file does (``"30s"``, ``"5m"``, ``"24h"``, ``"2d"``),
    so that :func:`parse_duration` reads back exactly ``value``: whole days from two days up
    (one day reads better as ``"24h"``), else whole hours or minutes, else seconds with as
    many decimals as needed (never an exponent). Raises ValueError for a negative value,
    which no written form reads back as (only a number of seconds sets one)."""
    micros = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    if micros < 0:
        raise ValueError(f"{value!r} is negative: write it as a number of seconds")
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        n, rest = divmod(micros, size * 1_000_000)
        if micros and not rest and (unit != "d" or n >= 2):
            return f"{n}{unit}"
    whole, frac = divmod(micros, 1_000_000)
    return f"{whole}.{frac:06d}".rstrip("0").rstrip(".") + "s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
"""A timedelta written as ``"30s"``, ``"5m"``, ``"24h"``, ``"2d"`` or seconds."""


def check_zone(name: Any) -> str:
    """Return ``name`` when it is an IANA time zone; raises ValueError saying what to write."""
    if not isinstance(name, str):
        raise ValueError("expected a time zone name such as 'Asia/Jakarta'")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone; write it like "
                         "'Asia/Ho_Chi_Minh', 'Asia/Jakarta', 'Asia/Manila' or 'UTC'") from None
    return name


TimeZoneName = Annotated[str, BeforeValidator(check_zone)]
"""An IANA time zone name, checked when the settings are loaded."""


DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day keys of opening hours, Monday first (``date.weekday()`` order)."""

Span = tuple[time, time | None]
"""Local opening span of one day; an end of ``None`` means midnight (24:00)."""

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_spans(text: str) -> tuple[Span, ...]:
    """Parse ``"09:00-12:00, 13:00-17:30"`` (``"24:00"`` allowed as an end; ``""`` = closed).

    Returns the spans sorted; raises ValueError naming the bad part and the expected form.
    """
    spans: list[Span] = []
    for part in [p for p in text.split(",") if p.strip()]:
        m = _RANGE.match(part)
        if not m:
            raise ValueError(f"{part.strip()!r} is not an opening span; write it like "
                             "'09:00-17:00' (several: '08:00-12:00, 13:00-17:00')")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise ValueError(f"{part.strip()!r} has an impossible time of day")
        start = time(h1, m1)
        end = None if h2 == 24 else time(h2, m2)
        if end is not None and end <= start:
            raise ValueError(f"{part.strip()!r} ends before it starts; spans cannot cross "
                             "midnight, split them ('22:00-24:00' and '00:00-06:00')")
        spans.append((start, end))
    spans.sort(key=lambda s: s[0])
    for (_, e1), (s2, _) in pairwise(spans):
        if e1 is None or e1 > s2:
            raise ValueError(f"spans in {text!r} overlap")
    return tuple(spans)


def check_week(value: dict[str, str]) -> dict[str, str]:
    """Return ``value`` (weekday key -> opening spans) when every key and span is valid."""
    for day, text in value.items():
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}; use {', '.join(DAYS)}")
        parse_spans(text)
    return value


def is_loopback(host: str) -> bool:
    """Return True when ``host`` is a loopback name or address (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
