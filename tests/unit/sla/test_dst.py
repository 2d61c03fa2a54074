"""Daylight-saving changes (Europe/Prague 2026-03-29 spring forward, 2026-10-25 fall back).

Business hours are wall-clock local time; durations are real elapsed time. An independent
minute-by-minute oracle (local wall time inside an interval on a working date) checks the fast
day-skipping arithmetic, and hypothesis checks that adding and counting agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketdesk.sla.hours import (
    BusinessCalendar,
    add_business_minutes,
    business_minutes_between,
    business_time_between,
    is_open,
    next_open,
    open_windows,
)

PRAGUE = ZoneInfo("Europe/Prague")
SPRING = date(2026, 3, 29)  # 02:00 CET -> 03:00 CEST (a Sunday)
AUTUMN = date(2026, 10, 25)  # 03:00 CEST -> 02:00 CET (a Sunday)

OFFICE = BusinessCalendar()
EVERY_DAY = BusinessCalendar(working_days=range(7), hours=["00:00-24:00"], country=None)
NIGHT_SHIFT = BusinessCalendar(working_days=range(7), hours=["00:00-06:00", "22:00-24:00"], country=None)
SUNDAY_OFFICE = BusinessCalendar(working_days=range(7), hours=["08:00-12:00", "13:00-17:00"], country="CZ")
CALENDARS = [OFFICE, EVERY_DAY, NIGHT_SHIFT, SUNDAY_OFFICE]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PRAGUE)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def oracle_open(cal: BusinessCalendar, instant: datetime) -> bool:
    """Open when the local wall time lies in an interval of a working local date (independent check)."""
    wall = instant.astimezone(ZoneInfo(cal.timezone))
    if not cal.is_working_date(wall.date()):
        return False
    now = wall.time().replace(tzinfo=None)
    return any(start <= now and (end == time(0) or now < end) for start, end in cal.hours)


def test_day_lengths_follow_the_clock_change() -> None:
    assert business_minutes_between(EVERY_DAY, local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0)) == 23 * 60
    assert (
        business_minutes_between(EVERY_DAY, local(2026, 10, 25, 0, 0), local(2026, 10, 26, 0, 0)) == 25 * 60
    )
    assert business_minutes_between(EVERY_DAY, local(2026, 3, 28, 0, 0), local(2026, 3, 29, 0, 0)) == 24 * 60


def test_night_shift_windows_on_both_changes() -> None:
    # 00:00-06:00 wall time lasts 5 real hours in spring, 7 in autumn
    assert open_windows(NIGHT_SHIFT, SPRING)[0] == (utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 4, 0))
    assert open_windows(NIGHT_SHIFT, AUTUMN)[0] == (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 5, 0))
    # adding the 5 hours of the spring night from midnight ends at 06:00 CEST
    assert add_business_minutes(NIGHT_SHIFT, local(2026, 3, 29, 0, 0), 300).astimezone(PRAGUE) == local(
        2026, 3, 29, 6, 0
    )
    # in autumn 06:00 CET is reached only after 7 hours
    assert add_business_minutes(NIGHT_SHIFT, local(2026, 10, 25, 0, 0), 300).astimezone(PRAGUE) == local(
        2026, 10, 25, 4, 0
    )
    assert add_business_minutes(NIGHT_SHIFT, local(2026, 10, 25, 0, 0), 420).astimezone(PRAGUE) == local(
        2026, 10, 25, 6, 0
    )


def test_the_repeated_hour_is_counted_twice() -> None:
    first_230 = datetime(2026, 10, 25, 2, 30, tzinfo=PRAGUE, fold=0)  # 00:30 UTC (CEST)
    second_230 = datetime(2026, 10, 25, 2, 30, tzinfo=PRAGUE, fold=1)  # 01:30 UTC (CET)
    assert business_minutes_between(EVERY_DAY, first_230, second_230) == 60
    assert add_business_minutes(EVERY_DAY, first_230, 60) == second_230.astimezone(UTC)


def test_an_interval_inside_the_missing_hour_is_empty() -> None:
    gap = BusinessCalendar(working_days=range(7), hours=["02:15-02:45", "09:00-10:00"], country=None)
    assert len(open_windows(gap, SPRING)) == 1
    assert len(open_windows(gap, date(2026, 3, 28))) == 2
    ends_in_gap = BusinessCalendar(working_days=range(7), hours=["00:00-02:30"], country=None)
    # 02:30 does not exist that night: the window closes when the clocks jump (02:00 CET = 01:00 UTC)
    assert open_windows(ends_in_gap, SPRING) == [(utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 1, 0))]


def test_office_hours_stay_on_wall_clock_across_the_weekend_change() -> None:
    # Friday before spring forward, 16:00 CET (15:00 UTC) + 120 -> Monday 09:00 CEST (07:00 UTC)
    end = add_business_minutes(OFFICE, local(2026, 3, 27, 16, 0), 120)
    assert end == utc(2026, 3, 30, 7, 0)
    # Friday before fall back, 16:00 CEST (14:00 UTC) + 120 -> Monday 09:00 CET (08:00 UTC)
    end = add_business_minutes(OFFICE, local(2026, 10, 23, 16, 0), 120)
    assert end == utc(2026, 10, 26, 8, 0)
    # a Sunday office opens at 08:00 local whatever the offset
    assert next_open(SUNDAY_OFFICE, local(2026, 3, 29, 1, 0)) == utc(2026, 3, 29, 6, 0)
    assert next_open(SUNDAY_OFFICE, local(2026, 10, 25, 1, 0)) == utc(2026, 10, 25, 7, 0)
    assert (
        business_minutes_between(SUNDAY_OFFICE, local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0)) == 8 * 60
    )


@pytest.mark.parametrize("cal", CALENDARS, ids=["office", "every-day", "night-shift", "sunday-office"])
@pytest.mark.parametrize("around", [SPRING, AUTUMN], ids=["spring", "autumn"])
def test_matches_minute_by_minute_oracle(cal: BusinessCalendar, around: date) -> None:
    start = datetime.combine(around - timedelta(days=3), time(0), PRAGUE).astimezone(UTC)
    minutes = [start + timedelta(minutes=m) for m in range(6 * 24 * 60)]
    flags = [oracle_open(cal, m) for m in minutes]
    assert [is_open(cal, m) for m in minutes] == flags
    prefix = [0]
    for flag in flags:
        prefix.append(prefix[-1] + flag)
    for index in range(0, len(minutes), 97):  # spot-check counts along the range
        assert business_minutes_between(cal, start, minutes[index]) == prefix[index]
    total = sum(flags)
    assert business_minutes_between(cal, start, minutes[-1] + timedelta(minutes=1)) == total
    nth_open_minute = [m for m, f in zip(minutes, flags, strict=True) if f]
    for n in (1, 2, total // 3, total // 2, total - 1, total):
        assert add_business_minutes(cal, start, n) == nth_open_minute[n - 1] + timedelta(minutes=1)


instants = st.datetimes(
    min_value=datetime(2026, 3, 20), max_value=datetime(2026, 11, 5), timezones=st.just(UTC)
).filter(lambda d: d.fold == 0)


@settings(max_examples=300, deadline=None)
@given(cal=st.sampled_from(CALENDARS), start=instants, minutes=st.integers(min_value=0, max_value=40_000))
def test_adding_then_counting_gives_back_the_minutes(
    cal: BusinessCalendar, start: datetime, minutes: int
) -> None:
    end = add_business_minutes(cal, start, minutes)
    assert end >= start
    assert business_minutes_between(cal, start, end) == minutes
    if minutes:
        assert is_open(cal, end - timedelta(microseconds=1))
        assert add_business_minutes(cal, start, minutes + 1) > end


@settings(max_examples=200, deadline=None)
@given(cal=st.sampled_from(CALENDARS), a=instants, b=instants, c=instants)
def test_counting_is_additive(cal: BusinessCalendar, a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    assert business_time_between(cal, a, c) == business_time_between(cal, a, b) + business_time_between(
        cal, b, c
    )
    assert next_open(cal, a) >= a
    assert is_open(cal, next_open(cal, a))
