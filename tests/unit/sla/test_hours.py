"""Business-hours arithmetic: weekends, hours, multi-interval days, 24x7, bad input, long durations."""

from __future__ import annotations

import time as perf
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ticketdesk.sla.hours import (
    BusinessCalendar,
    add_business_minutes,
    add_business_time,
    business_minutes_between,
    business_time_between,
    is_open,
    next_open,
    open_windows,
    parse_intervals,
)

PRAGUE = ZoneInfo("Europe/Prague")
CZ = BusinessCalendar()  # Europe/Prague, Mon-Fri 08:00-17:00, Czech public holidays
NO_HOLIDAYS = BusinessCalendar(country=None)
SPLIT = BusinessCalendar(
    hours=["08:00-12:00", "13:00-17:00"], hours_by_weekday={4: "08:00-14:00"}, country=None
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PRAGUE)  # type: ignore[misc]


def in_prague(value: datetime) -> datetime:
    assert value.tzinfo is UTC
    return value.astimezone(PRAGUE)


def test_defaults() -> None:
    assert CZ.timezone == "Europe/Prague"
    assert CZ.working_days == frozenset({0, 1, 2, 3, 4})
    assert CZ.hours == ((time(8), time(17)),)
    assert CZ.country == "CZ"


def test_within_one_day() -> None:
    # Tuesday 2026-11-10, 09:15 + 90 min
    assert in_prague(add_business_minutes(CZ, local(2026, 11, 10, 9, 15), 90)) == local(2026, 11, 10, 10, 45)


def test_filling_the_day_ends_at_close_not_next_morning() -> None:
    assert in_prague(add_business_minutes(CZ, local(2026, 11, 10, 16, 0), 60)) == local(2026, 11, 10, 17, 0)
    assert in_prague(add_business_minutes(CZ, local(2026, 11, 10, 16, 0), 61)) == local(2026, 11, 11, 8, 1)


def test_over_the_weekend() -> None:
    # Friday 2026-11-13 16:00 + 120 min = 60 on Friday + 60 on Monday
    assert in_prague(add_business_minutes(CZ, local(2026, 11, 13, 16, 0), 120)) == local(2026, 11, 16, 9, 0)
    assert business_minutes_between(CZ, local(2026, 11, 13, 16, 0), local(2026, 11, 16, 9, 0)) == 120


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (local(2026, 11, 10, 6, 30), local(2026, 11, 10, 8, 30)),  # before opening
        (local(2026, 11, 10, 19, 0), local(2026, 11, 11, 8, 30)),  # after closing
        (local(2026, 11, 14, 11, 0), local(2026, 11, 16, 8, 30)),  # Saturday
        (local(2026, 11, 10, 17, 0), local(2026, 11, 11, 8, 30)),  # exactly at closing
    ],
)
def test_start_outside_hours_counts_from_next_opening(start: datetime, expected: datetime) -> None:
    assert in_prague(add_business_minutes(CZ, start, 30)) == expected


def test_zero_minutes_is_identity_and_result_is_utc() -> None:
    start = local(2026, 11, 14, 11, 0)
    result = add_business_minutes(CZ, start, 0)
    assert result == start and result.tzinfo is UTC


def test_seconds_are_kept() -> None:
    start = local(2026, 11, 10, 9, 0, 30)
    end = add_business_minutes(CZ, start, 10)
    assert in_prague(end) == local(2026, 11, 10, 9, 10, 30)
    assert business_minutes_between(CZ, start, end) == 10
    assert business_minutes_between(CZ, start, end - timedelta(seconds=1)) == 9


def test_between_is_antisymmetric_and_counts_only_open_time() -> None:
    a, b = local(2026, 11, 13, 12, 0), local(2026, 11, 17, 12, 0)  # Fri noon -> Tue noon, 17 Nov holiday
    assert (
        business_minutes_between(CZ, a, b) == 5 * 60 + 9 * 60
    )  # Friday afternoon + Monday; Tuesday is a holiday
    assert business_minutes_between(CZ, b, a) == -business_minutes_between(CZ, a, b)
    assert business_minutes_between(CZ, a, a) == 0
    assert business_minutes_between(NO_HOLIDAYS, a, b) == 5 * 60 + 9 * 60 + 4 * 60


def test_multi_interval_days_and_short_friday() -> None:
    # Thursday 11:30 + 60 min: 30 before lunch, lunch break 12-13, 30 after
    assert in_prague(add_business_minutes(SPLIT, local(2026, 11, 12, 11, 30), 60)) == local(
        2026, 11, 12, 13, 30
    )
    # Friday closes at 14:00: 13:30 + 60 -> Monday 08:30
    assert in_prague(add_business_minutes(SPLIT, local(2026, 11, 13, 13, 30), 60)) == local(
        2026, 11, 16, 8, 30
    )
    assert not is_open(SPLIT, local(2026, 11, 12, 12, 30))
    assert in_prague(next_open(SPLIT, local(2026, 11, 12, 12, 30))) == local(2026, 11, 12, 13, 0)
    assert (
        business_minutes_between(SPLIT, local(2026, 11, 9, 0, 0), local(2026, 11, 16, 0, 0))
        == 4 * 8 * 60 + 6 * 60
    )


def test_is_open_and_next_open() -> None:
    assert is_open(CZ, local(2026, 11, 10, 8, 0))
    assert not is_open(CZ, local(2026, 11, 10, 17, 0))  # half-open interval
    assert not is_open(CZ, local(2026, 11, 15, 10, 0))  # Sunday
    inside = local(2026, 11, 10, 10, 0)
    assert next_open(CZ, inside) == inside
    assert in_prague(next_open(CZ, local(2026, 11, 13, 17, 30))) == local(2026, 11, 16, 8, 0)


def test_24x7() -> None:
    cal = BusinessCalendar.twenty_four_seven("Europe/Prague")
    start = local(2026, 11, 14, 23, 0)  # Saturday night
    assert in_prague(add_business_minutes(cal, start, 120)) == local(2026, 11, 15, 1, 0)
    assert is_open(cal, start) and next_open(cal, start) == start
    assert business_minutes_between(cal, start, local(2026, 11, 15, 23, 0)) == 24 * 60
    assert CZ.as_always_open().always_open and CZ.as_always_open().timezone == "Europe/Prague"
    assert len(open_windows(cal, date(2026, 11, 14))) == 1


def test_full_day_interval_with_24_00() -> None:
    cal = BusinessCalendar(working_days=range(7), hours=["00:00-24:00"], country=None)
    start = local(2026, 11, 14, 23, 0)
    assert in_prague(add_business_minutes(cal, start, 120)) == local(2026, 11, 15, 1, 0)
    assert is_open(cal, local(2026, 11, 15, 0, 0))


def test_other_time_zone() -> None:
    helsinki = BusinessCalendar(timezone="Europe/Helsinki", country="FI")
    # 15:30 in Prague is 16:30 in Helsinki: 30 minutes left on Tuesday, 30 on Wednesday
    end = add_business_minutes(helsinki, local(2026, 11, 10, 15, 30), 60)
    assert end.astimezone(ZoneInfo("Europe/Helsinki")) == datetime(
        2026, 11, 11, 8, 30, tzinfo=ZoneInfo("Europe/Helsinki")
    )


def test_very_long_durations_are_fast_and_consistent() -> None:
    start = local(2026, 1, 2, 10, 0)
    minutes = 540 * 250 * 10  # about ten working years
    began = perf.perf_counter()
    end = add_business_minutes(CZ, start, minutes)
    counted = business_minutes_between(CZ, start, end)
    elapsed = perf.perf_counter() - began
    assert counted == minutes
    assert datetime(2035, 6, 1, tzinfo=UTC) < end < datetime(2037, 1, 1, tzinfo=UTC)
    assert elapsed < 2.0


def test_add_business_time_accepts_timedelta() -> None:
    start = local(2026, 11, 10, 16, 59, 30)
    assert in_prague(add_business_time(CZ, start, timedelta(seconds=45))) == local(2026, 11, 11, 8, 0, 15)
    assert business_time_between(CZ, start, local(2026, 11, 11, 8, 0, 15)) == timedelta(seconds=45)


def test_naive_datetimes_and_negative_minutes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_minutes(CZ, datetime(2026, 11, 10, 9, 0), 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(CZ, datetime(2026, 11, 10, 9, 0))
    with pytest.raises(ValueError, match="negative"):
        add_business_minutes(CZ, local(2026, 11, 10, 9, 0), -1)


def test_a_calendar_that_never_opens_fails_instead_of_looping() -> None:
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=n) for n in range(53 * 7))
    cal = BusinessCalendar(working_days={0}, closed_dates=mondays, country=None)
    with pytest.raises(ValueError, match="no open hours"):
        add_business_minutes(cal, local(2026, 1, 1, 0, 0), 1)
    # counting inside the closed stretch is fine: nothing is open
    assert business_minutes_between(cal, local(2026, 1, 1, 0, 0), local(2027, 1, 1, 0, 0)) == 0


def test_results_do_not_depend_on_the_wall_clock() -> None:
    start = local(2026, 11, 13, 16, 0)
    expected = add_business_minutes(CZ, start, 600)
    with time_machine.travel(datetime(2031, 7, 4, 12, 0, tzinfo=UTC), tick=False):
        assert add_business_minutes(CZ, start, 600) == expected
        assert business_minutes_between(CZ, start, expected) == 600


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("08:00-17:00", ((time(8), time(17)),)),
        ("8:00–12:00, 13:00-17:30", ((time(8), time(12)), (time(13), time(17, 30)))),
        (["22:00-24:00", "00:00-06:00"], ((time(0), time(6)), (time(22), time(0)))),
    ],
)
def test_parse_intervals(spec: str | list[str], expected: tuple[tuple[time, time], ...]) -> None:
    assert parse_intervals(spec) == expected


@pytest.mark.parametrize(
    "spec", ["08:00", "17:00-08:00", "08:00-12:00,11:00-13:00", "25:00-26:00", "8-17", "08:00-08:00"]
)
def test_parse_intervals_rejects_nonsense(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_intervals(spec)


def test_dict_round_trip() -> None:
    cal = BusinessCalendar(
        timezone="Europe/Berlin",
        working_days={0, 1, 2, 3, 4, 5},
        hours=["07:30-12:00", "12:30-18:00"],
        hours_by_weekday={5: ["09:00-13:00"]},
        country="de",
        subdivision="BY",
        closed_dates={date(2026, 12, 31), date(2026, 12, 30)},
    )
    data = cal.to_dict()
    assert data == {
        "timezone": "Europe/Berlin",
        "always_open": False,
        "working_days": ["mon", "tue", "wed", "thu", "fri", "sat"],
        "hours": ["07:30-12:00", "12:30-18:00"],
        "hours_by_weekday": {"sat": ["09:00-13:00"]},
        "country": "DE",
        "subdivision": "BY",
        "closed_dates": ["2026-12-30", "2026-12-31"],
    }
    assert BusinessCalendar.from_dict(data) == cal
    assert hash(BusinessCalendar.from_dict(data)) == hash(cal)
    assert BusinessCalendar.from_dict({}) == BusinessCalendar()
    night = BusinessCalendar.from_dict({"hours": ["22:00-24:00"], "country": None})
    assert night.to_dict()["hours"] == ["22:00-24:00"]
    assert BusinessCalendar.from_dict({"always_open": True, "country": ""}) == BusinessCalendar(
        country=None, always_open=True
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"timezone": "Europe/Nowhere"}, "time zone"),
        ({"country": "XX"}, "public-holiday"),
        ({"country": "DE", "subdivision": "ZZ"}, "public-holiday"),
        ({"subdivision": "BY", "country": None}, "subdivision needs a country"),
        ({"working_days": ["mon", "funday"]}, "weekday"),
        ({"working_days": []}, "at least one working day"),
        ({"hours_by_weekday": {"sun": ["10:00-12:00"]}}, "not a working day"),
        ({"closed_dates": ["31.12.2026"]}, "YYYY-MM-DD"),
        ({"always_open": "yes"}, "true or false"),
        ({"timezon": "UTC"}, "unknown business-calendar keys"),
    ],
)
def test_from_dict_rejects_bad_settings(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_dict(data)
