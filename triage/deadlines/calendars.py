"""Business calendars: opening hours per team in its own time zone, holidays, and pauses.

A deadline of "8 business hours" counts only the time a team is open. Opening hours are
written in the team's local time and converted to UTC one local day at a time, so a
daylight-saving change moves the UTC times of opening and closing, never the local ones.
The clock can also be paused (while the team waits on the customer): paused time never counts.

Everything here is a pure function of its arguments; ``datetime`` values in and out are
aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

# DAYS, Span and parse_spans are declared with the settings (the lowest layer) and
# re-exported here, where the calendars use them
from triage.config.values import DAYS as DAYS
from triage.config.values import Span as Span
from triage.config.values import check_zone
from triage.config.values import parse_spans as parse_spans
from triage.errors import ConfigError

ALWAYS = "always"
"""Name of the built-in calendar that is open around the clock, every day (UTC)."""

_LOOKAHEAD_DAYS = 3 * 366  # no real calendar is closed this long; guards against a bad one

Pause = tuple[datetime, datetime]
"""A UTC interval during which the clock is stopped."""


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name``; raises ValueError with a fix when unknown."""
    return ZoneInfo(check_zone(name))


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours in a time zone, minus holidays.

    ``week`` has seven entries (Monday first), each the day's opening spans in local time.
    """

    name: str
    tz: ZoneInfo
    week: tuple[tuple[Span, ...], ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("a calendar week has seven days")

    @classmethod
    def always(cls) -> BusinessCalendar:
        """Return the calendar that is always open (the default for every channel)."""
        return cls(ALWAYS, ZoneInfo("UTC"), tuple(((time(0), None),) for _ in DAYS))

    @cached_property  # asked for every deadline added; the calendar is frozen
    def is_always_open(self) -> bool:
        """True when every minute of every day counts."""
        return not self.holidays and all(d == ((time(0), None),) for d in self.week)

    # ---------------------------------------------------------------- intervals
    def _day_intervals(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        if day in self.holidays:
            return
        for start, end in self.week[day.weekday()]:
            a = datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC)
            b = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
                 if end is None else datetime.combine(day, end, tzinfo=self.tz)).astimezone(UTC)
            if b > a:
                yield a, b

    def open_intervals(self, start: datetime, pauses: Sequence[Pause] = ()
                       ) -> Iterator[tuple[datetime, datetime]]:
        """Yield the UTC intervals, from ``start`` on, in which the clock runs.

        Intervals are ordered and disjoint; paused time is cut out. Raises ConfigError when
        the calendar stays closed for three years (no opening hours at all).
        """
        cuts = sorted((a, b) for a, b in pauses if b > a)
        first = start.astimezone(self.tz).date() - timedelta(days=1)
        last_end = start
        empty_days = 0
        day = first
        while empty_days <= _LOOKAHEAD_DAYS:
            found = False
            for a, b in self._day_intervals(day):
                a = max(a, last_end)
                if b <= a:
                    continue
                last_end = b
                for piece in _minus(a, b, cuts):
                    found = True
                    yield piece
            empty_days = 0 if found else empty_days + 1
            day += timedelta(days=1)
        raise ConfigError(f"calendar {self.name!r} is never open", key="deadlines.calendars",
                          fix="give it opening hours on at least one day of the week")

    def add(self, start: datetime, duration: timedelta, pauses: Sequence[Pause] = ()
            ) -> datetime:
        """Return the moment ``duration`` of open, unpaused time after ``start`` has passed."""
        if duration <= timedelta(0):
            return start
        if self.is_always_open and not pauses:
            return start + duration
        left = duration
        for a, b in self.open_intervals(start, pauses):
            if b - a >= left:
                return a + left
            left -= b - a
        raise AssertionError("unreachable: open_intervals raises when it runs out")

    def elapsed(self, start: datetime, end: datetime, pauses: Sequence[Pause] = ()
                ) -> timedelta:
        """Return how much open, unpaused time lies between ``start`` and ``end``."""
        if end <= start:
            return timedelta(0)
        if self.is_always_open and not pauses:
            return end - start
        total = timedelta(0)
        for a, b in self.open_intervals(start, pauses):
            if a >= end:
                break
            total += min(b, end) - a
        return total

    def is_open(self, at: datetime) -> bool:
        """True when the team is open at ``at``."""
        return any(a <= at < b for a, b in self._day_intervals(at.astimezone(self.tz).date()))


def _minus(a: datetime, b: datetime, cuts: Iterable[Pause]
           ) -> Iterator[tuple[datetime, datetime]]:
    """Yield the parts of ``[a, b)`` not covered by any of the sorted ``cuts``."""
    cur = a
    for c, d in cuts:
        if d <= cur or c >= b:
            continue
        if c > cur:
            yield cur, c
        cur = max(cur, d)
        if cur >= b:
            return
    if cur < b:
        yield cur, b


ICS_WINDOW = (date(2000, 1, 1), date(2101, 1, 1))
"""Recurring holidays (RRULE/RDATE, minus EXDATE) are expanded over these years."""


def holidays_from_ics(path: Path) -> set[date]:
    """Return the days covered by the events of an iCalendar file (all-day or timed),
    recurring events expanded (a yearly ``RRULE`` gives every year's day).

    Raises ConfigError naming the file when it is missing or not iCalendar.
    """
    import recurring_ical_events
    from icalendar import Calendar

    try:
        cal = Calendar.from_ical(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read holiday calendar: {exc.strerror}", file=str(path),
                          key="deadlines.calendars.*.holidays_ics",
                          fix="point holidays_ics at an existing .ics file") from None
    except ValueError as exc:
        raise ConfigError(f"not an iCalendar file: {exc}", file=str(path),
                          key="deadlines.calendars.*.holidays_ics",
                          fix="export the holidays as .ics (RFC 5545)") from None
    try:
        events = list(recurring_ical_events.of(cal).between(*ICS_WINDOW))
    except Exception as exc:  # the library's own errors for broken RRULE/RDATE/EXDATE
        raise ConfigError(f"cannot expand its recurring events: {exc}", file=str(path),
                          key="deadlines.calendars.*.holidays_ics",
                          fix="check the RRULE, RDATE and EXDATE lines of the events") from None
    days: set[date] = set()
    for ev in events:
        start = ev.get("DTSTART")
        if start is None:
            continue
        d0 = start.dt.date() if isinstance(start.dt, datetime) else start.dt
        end = ev.get("DTEND")
        if end is None:
            d1 = d0 + timedelta(days=1)
        else:
            d1 = end.dt.date() if isinstance(end.dt, datetime) else end.dt
            if isinstance(end.dt, datetime):
                d1 += timedelta(days=1)  # a timed event covers the day it ends on
        d = d0
        while d < max(d1, d0 + timedelta(days=1)):
            days.add(d)
            d += timedelta(days=1)
    return days
