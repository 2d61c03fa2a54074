"""Public holidays of several countries (and German states) close the calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ticketdesk.sla.hours import BusinessCalendar, add_business_minutes, business_minutes_between, is_open


def at(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


@pytest.mark.parametrize(
    ("country", "subdivision", "zone", "holiday"),
    [
        ("CZ", None, "Europe/Prague", date(2026, 10, 28)),  # Independent Czechoslovak State Day (Wed)
        ("CZ", None, "Europe/Prague", date(2026, 11, 17)),  # Struggle for Freedom and Democracy Day (Tue)
        ("CZ", None, "Europe/Prague", date(2026, 4, 6)),  # Easter Monday
        ("CZ", None, "Europe/Prague", date(2026, 4, 3)),  # Good Friday
        ("DE", "BY", "Europe/Berlin", date(2026, 6, 4)),  # Corpus Christi in Bavaria (Thu)
        ("DE", "BY", "Europe/Berlin", date(2026, 1, 6)),  # Epiphany in Bavaria (Tue)
        ("DE", "BE", "Europe/Berlin", date(2026, 5, 25)),  # Whit Monday
        ("FI", None, "Europe/Helsinki", date(2026, 6, 19)),  # Juhannusaatto, Midsummer Eve (Fri)
        ("PL", None, "Europe/Warsaw", date(2026, 11, 11)),  # Independence Day (Wed)
        ("NO", None, "Europe/Oslo", date(2027, 5, 17)),  # Constitution Day (Mon in 2027)
    ],
)
def test_holiday_is_closed_and_skipped(
    country: str, subdivision: str | None, zone: str, holiday: date
) -> None:
    cal = BusinessCalendar(timezone=zone, country=country, subdivision=subdivision)
    assert holiday.weekday() < 5
    assert not cal.is_working_date(holiday)
    assert not is_open(cal, at(zone, holiday.year, holiday.month, holiday.day, 10, 0))
    # 16:00 on the working day before + 120 minutes: one hour before, one hour after the holiday
    previous = holiday - timedelta(days=1)
    while not cal.is_working_date(previous):
        previous -= timedelta(days=1)
    start = at(zone, previous.year, previous.month, previous.day, 16, 0)
    end = add_business_minutes(cal, start, 120).astimezone(ZoneInfo(zone))
    assert end.date() > holiday
    assert (end.hour, end.minute) == (9, 0)
    assert business_minutes_between(cal, start, end) == 120


def test_german_states_differ() -> None:
    bavaria = BusinessCalendar(timezone="Europe/Berlin", country="DE", subdivision="BY")
    berlin = BusinessCalendar(timezone="Europe/Berlin", country="DE", subdivision="BE")
    corpus_christi = at("Europe/Berlin", 2026, 6, 4, 10, 0)
    assert not is_open(bavaria, corpus_christi)
    assert is_open(berlin, corpus_christi)
    week = (at("Europe/Berlin", 2026, 6, 1, 0, 0), at("Europe/Berlin", 2026, 6, 8, 0, 0))
    assert business_minutes_between(berlin, *week) - business_minutes_between(bavaria, *week) == 9 * 60


def test_czech_christmas_and_new_year_across_the_year_boundary() -> None:
    cz = BusinessCalendar()
    prague = ZoneInfo("Europe/Prague")
    # Wed 23 Dec 16:00 + 120: 24-26 Dec holidays, 27 Sunday -> Mon 28 Dec 09:00
    end = add_business_minutes(cz, at("Europe/Prague", 2026, 12, 23, 16, 0), 120)
    assert end.astimezone(prague) == at("Europe/Prague", 2026, 12, 28, 9, 0)
    # Thu 31 Dec 16:00 + 120: 1 Jan 2027 (Fri) holiday -> Mon 4 Jan 09:00
    end = add_business_minutes(cz, at("Europe/Prague", 2026, 12, 31, 16, 0), 120)
    assert end.astimezone(prague) == at("Europe/Prague", 2027, 1, 4, 9, 0)


def test_extra_closed_dates_and_no_country() -> None:
    company_day = date(2026, 12, 30)
    cal = BusinessCalendar(closed_dates={company_day})
    assert not cal.is_working_date(company_day)
    assert BusinessCalendar().is_working_date(company_day)
    plain = BusinessCalendar(country=None)
    assert plain.is_working_date(date(2026, 10, 28))  # no public holidays without a country


def test_start_on_a_holiday() -> None:
    cz = BusinessCalendar()
    end = add_business_minutes(cz, at("Europe/Prague", 2026, 4, 6, 11, 0), 30)  # Easter Monday
    assert end.astimezone(ZoneInfo("Europe/Prague")) == at("Europe/Prague", 2026, 4, 7, 8, 30)
