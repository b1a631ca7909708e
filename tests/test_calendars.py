"""Business calendars: opening hours, holidays, pauses, across weekends and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from triage.deadlines.calendars import DAYS, BusinessCalendar, holidays_from_ics, parse_spans, zone
from triage.errors import ConfigError

OFFICE = {d: "09:00-17:00" for d in DAYS[:5]}


def cal(tz: str = "Asia/Ho_Chi_Minh", hours: dict[str, str] | None = None,
        holidays: set[date] | None = None) -> BusinessCalendar:
    h = OFFICE if hours is None else hours
    return BusinessCalendar("t", zone(tz), tuple(parse_spans(h.get(d, "")) for d in DAYS),
                            frozenset(holidays or ()))


def local(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone(tz)).astimezone(UTC)  # type: ignore[misc]


# ------------------------------------------------------------------ examples
def test_inside_hours_counts_straight_through() -> None:
    c = cal()
    start = local("Asia/Ho_Chi_Minh", 2026, 11, 23, 10, 0)  # Monday 10:00
    assert c.add(start, timedelta(hours=4)) == local("Asia/Ho_Chi_Minh", 2026, 11, 23, 14, 0)


def test_after_hours_starts_next_morning_and_skips_weekend() -> None:
    c = cal()
    fri_evening = local("Asia/Ho_Chi_Minh", 2026, 11, 27, 19, 30)
    # 8 business hours from Friday evening = all of Monday
    assert c.add(fri_evening, timedelta(hours=8)) == local("Asia/Ho_Chi_Minh", 2026, 11, 30,
                                                           17, 0)
    # 10 h: Monday full day plus 2 h on Tuesday
    assert c.add(fri_evening, timedelta(hours=10)) == local("Asia/Ho_Chi_Minh", 2026, 12, 1,
                                                            11, 0)


def test_holiday_is_skipped() -> None:
    c = cal(holidays={date(2026, 9, 2)})  # Vietnam national day, a Wednesday
    tue = local("Asia/Ho_Chi_Minh", 2026, 9, 1, 16, 0)
    assert c.add(tue, timedelta(hours=2)) == local("Asia/Ho_Chi_Minh", 2026, 9, 3, 10, 0)


def test_lunch_break_spans() -> None:
    c = cal(hours={"mon": "08:00-12:00, 13:00-17:00"})
    start = local("Asia/Ho_Chi_Minh", 2026, 11, 23, 11, 0)
    assert c.add(start, timedelta(hours=2)) == local("Asia/Ho_Chi_Minh", 2026, 11, 23, 14, 0)


def test_dst_spring_forward_keeps_local_opening_hours() -> None:
    # Europe/Berlin springs forward on Sunday 2026-03-29; 09:00 local is 08:00Z before
    # and 07:00Z after.
    c = cal("Europe/Berlin")
    fri = local("Europe/Berlin", 2026, 3, 27, 16, 0)
    due = c.add(fri, timedelta(hours=2))
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # Monday 10:00 CEST
    assert due.astimezone(zone("Europe/Berlin")).hour == 10


def test_dst_fall_back_around_the_clock_counts_real_hours() -> None:
    c = cal("America/New_York", hours={d: "00:00-24:00" for d in DAYS})
    start = local("America/New_York", 2026, 10, 31, 12, 0)  # before the 25-hour Sunday
    due = c.add(start, timedelta(hours=24))
    assert due - start == timedelta(hours=24)
    assert due.astimezone(zone("America/New_York")).hour == 11  # wall clock moved back 1 h


def test_pause_stops_the_clock() -> None:
    c = BusinessCalendar.always()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    pause = (start + timedelta(hours=1), start + timedelta(hours=5))
    assert c.add(start, timedelta(hours=2), [pause]) == start + timedelta(hours=6)
    assert c.elapsed(start, start + timedelta(hours=6), [pause]) == timedelta(hours=2)


def test_never_open_calendar_is_a_config_error() -> None:
    c = cal(hours={})
    with pytest.raises(ConfigError, match="never open"):
        c.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1))


@pytest.mark.parametrize("bad", ["9-17", "17:00-09:00", "09:00-25:00", "08:00-12:00,11:00-13:00"])
def test_bad_spans_say_how_to_write_them(bad: str) -> None:
    with pytest.raises(ValueError, match=r"09:00-17:00|impossible|before it starts|overlap"):
        parse_spans(bad)


def test_unknown_zone() -> None:
    with pytest.raises(ValueError, match="IANA"):
        zone("Asia/Saigon City")


def test_holidays_from_ics(tmp_path: Path) -> None:
    ics = tmp_path / "vn.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:a@x\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Tet\r\n"
        "DTSTART;VALUE=DATE:20260216\r\nDTEND;VALUE=DATE:20260219\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:b@x\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:National day\r\n"
        "DTSTART;VALUE=DATE:20260902\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    assert holidays_from_ics(ics) == {date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18),
                                      date(2026, 9, 2)}
    # a yearly holiday is expanded to every year; an EXDATE removes one year
    (tmp_path / "yearly.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:c@x\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:National day\r\n"
        "DTSTART;VALUE=DATE:20250902\r\nRRULE:FREQ=YEARLY\r\n"
        "EXDATE;VALUE=DATE:20280902\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    yearly = holidays_from_ics(tmp_path / "yearly.ics")
    assert {date(2025, 9, 2), date(2026, 9, 2), date(2027, 9, 2), date(2029, 9, 2)} <= yearly
    assert date(2028, 9, 2) not in yearly and date(2024, 9, 2) not in yearly
    assert all((d.month, d.day) == (9, 2) for d in yearly)
    (tmp_path / "bad.ics").write_text("hello")
    with pytest.raises(ConfigError, match=r"bad\.ics"):
        holidays_from_ics(tmp_path / "bad.ics")
    with pytest.raises(ConfigError, match=r"missing\.ics"):
        holidays_from_ics(tmp_path / "missing.ics")


# ---------------------------------------------------------- property tests
ZONES = ["UTC", "Asia/Ho_Chi_Minh", "Asia/Jakarta", "Asia/Manila", "Europe/Berlin",
         "America/New_York", "Australia/Sydney"]


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    tz = draw(st.sampled_from(ZONES))
    hours: dict[str, str] = {}
    for day in DAYS:
        if draw(st.booleans()):
            a = draw(st.integers(0, 22))
            b = draw(st.integers(a + 1, 24))
            hours[day] = f"{a:02d}:00-{b:02d}:00"
    assume(hours)
    holidays = draw(st.sets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=30))
    return cal(tz, hours, holidays)


instants = st.datetimes(datetime(2026, 1, 1), datetime(2027, 6, 30),
                        timezones=st.just(UTC))
durations = st.integers(1, 60 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, durations)
def test_elapsed_undoes_add(c: BusinessCalendar, start: datetime, d: timedelta) -> None:
    due = c.add(start, d)
    assert due > start
    assert c.elapsed(start, due) == d


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, durations)
def test_due_time_is_inside_or_at_the_end_of_opening_hours(c: BusinessCalendar,
                                                           start: datetime,
                                                           d: timedelta) -> None:
    due = c.add(start, d)
    just_before = due - timedelta(seconds=1)
    # the last second counted was an open second on an open (non-holiday) local day
    assert c.is_open(just_before)
    assert just_before.astimezone(c.tz).date() not in c.holidays


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, durations, durations)
def test_longer_targets_are_never_due_earlier(c: BusinessCalendar, start: datetime,
                                              d1: timedelta, d2: timedelta) -> None:
    a, b = sorted((d1, d2))
    assert c.add(start, a) <= c.add(start, b)
    # adding in two steps is the same as adding at once
    assert c.add(c.add(start, a), b) == c.add(start, a + b)


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, st.integers(0, 20 * 24).map(lambda h: timedelta(hours=h)))
def test_elapsed_never_exceeds_wall_time(c: BusinessCalendar, start: datetime,
                                         span: timedelta) -> None:
    e = c.elapsed(start, start + span)
    assert timedelta(0) <= e <= span


@settings(max_examples=100, deadline=None)
@given(instants, durations, st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 600)),
                                      max_size=5))
def test_pauses_push_the_deadline_by_exactly_the_paused_open_time(
        start: datetime, d: timedelta, raw: list[tuple[int, int]]) -> None:
    c = BusinessCalendar.always()
    pauses = [(start + timedelta(minutes=a), start + timedelta(minutes=a + n)) for a, n in raw]
    due = c.add(start, d, pauses)
    assert c.elapsed(start, due, pauses) == d
    # merged paused time up to the deadline, counted by brute force per minute
    paused = sum(1 for m in range(int((due - start).total_seconds() // 60))
                 if any(p0 <= start + timedelta(minutes=m) < p1 for p0, p1 in pauses))
    assert due - start == d + timedelta(minutes=paused)


def test_always_calendar_is_plain_addition() -> None:
    c = BusinessCalendar.always()
    t = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert c.add(t, timedelta(hours=24)) == t + timedelta(hours=24)
    assert c.is_open(t) and c.is_always_open and c.week[0] == ((time(0), None),)


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, durations, st.lists(st.integers(0, 90 * 24 * 60), min_size=2,
                                                  max_size=6))
def test_states_and_warnings_only_move_forward(c: BusinessCalendar, start: datetime,
                                               d: timedelta, offsets: list[int]) -> None:
    from triage.config import settings_from_mapping
    from triage.deadlines.policy import DeadlinePolicy

    s = settings_from_mapping({"deadlines": {"warnings": {"email": ["80%", "3h", "1h"]}}})
    policy = DeadlinePolicy(s.deadlines, {"always": c})
    due = c.add(start, d)
    order = ["ok", "due_soon", "breached"]
    seen_state, seen_warnings = 0, set()
    for minutes in sorted(offsets):
        now = start + timedelta(minutes=minutes)
        state = order.index(policy.state(due, now, "email").value)
        warnings = set(policy.warnings_reached(start, due, now, "email"))
        assert state >= seen_state and warnings >= seen_warnings
        assert (state == 2) == (now >= due) == ("breached" in warnings)
        seen_state, seen_warnings = state, warnings
