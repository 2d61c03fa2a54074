"""Business-hours arithmetic on a :class:`BusinessCalendar` (pure).

Business hours are *wall-clock local* time in the calendar's IANA time zone ("08:00–17:00 in
Prague"), while every duration is measured in real elapsed time. The arithmetic walks the open
windows day by day (never minute by minute), so a duration of years costs a few thousand cheap
steps.

Daylight-saving edge cases, made explicit:

- a wall time that does not exist (spring forward, 02:30 in Europe/Prague on 2026-03-29) is taken
  as the instant the clocks jump, so a window 00:00–06:00 on that night lasts 5 real hours;
- a wall time that occurs twice (fall back, 02:30 on 2026-10-25) opens a window at its first
  occurrence and closes one at its second, so a window 00:00–06:00 on that night lasts 7 hours.

``always_open`` (24x7) calendars ignore working days, hours and holidays: every instant is open and
business minutes are plain elapsed minutes.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

Interval = tuple[time, time]
"""A daily opening interval in local wall time, ``[start, end)``; an end of ``time(0)`` means 24:00."""

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS: tuple[Interval, ...] = ((time(8), time(17)),)
MAX_CLOSED_DAYS = 5 * 366
"""A search that finds no open window for this many consecutive days gives up with ``ValueError``."""

_Window = tuple[datetime, datetime]
_DAY = timedelta(days=1)
_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class BusinessCalendar:
    """When a support team is open.

    ``working_days`` are ``date.weekday()`` numbers (Monday = 0); ``hours`` apply to every working day
    unless ``hours_by_weekday`` overrides them for a weekday (for example a short Friday). Public
    holidays come from the ``holidays`` package for ``country`` (ISO 3166-1 alpha-2) and optional
    ``subdivision`` (a German state such as ``"BY"``); ``country=None`` means no public holidays.
    ``closed_dates`` are extra local dates when the team is closed (company holidays).

    The constructor also accepts plain iterables and a ``{weekday: intervals}`` mapping; they are
    normalised to hashable values, so calendars can be compared and used as cache keys.
    """

    timezone: str = "Europe/Prague"
    working_days: frozenset[int] = frozenset(range(5))
    hours: tuple[Interval, ...] = DEFAULT_HOURS
    hours_by_weekday: tuple[tuple[int, tuple[Interval, ...]], ...] = ()
    country: str | None = "CZ"
    subdivision: str | None = None
    closed_dates: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self) -> None:
        _zone(self.timezone)  # fails fast on an unknown zone
        days = frozenset(self.working_days)
        if any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
            raise ValueError(f"working days must be weekday numbers 0 (Monday) to 6: {sorted(days)!r}")
        object.__setattr__(self, "working_days", days)
        object.__setattr__(self, "hours", _check_intervals(self.hours))
        by_day = self.hours_by_weekday
        pairs = by_day.items() if isinstance(by_day, Mapping) else by_day
        normalised = tuple(sorted((int(day), _check_intervals(iv)) for day, iv in pairs))
        for day, _ in normalised:
            if day not in days:
                raise ValueError(f"hours given for {WEEKDAY_NAMES[day]}, which is not a working day")
        object.__setattr__(self, "hours_by_weekday", normalised)
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        if self.country is not None:
            country = self.country.upper()
            object.__setattr__(self, "country", country)
            try:
                holidays.country_holidays(country, subdiv=self.subdivision, years=2000)
            except NotImplementedError as exc:
                raise ValueError(f"no public-holiday data for {country}/{self.subdivision}: {exc}") from exc
        elif self.subdivision is not None:
            raise ValueError("a subdivision needs a country")
        if not self.always_open and (not days or not any(self._intervals(d) for d in days)):
            raise ValueError("a calendar that is not 24x7 needs at least one working day with hours")

    @classmethod
    def twenty_four_seven(cls, timezone: str = "UTC") -> BusinessCalendar:
        """A calendar that is always open (the time zone only matters for display)."""
        return cls(timezone=timezone, country=None, always_open=True)

    def as_always_open(self) -> BusinessCalendar:
        """The same calendar, open around the clock (built once per calendar: it loads holidays)."""
        return _always_open(self)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def _intervals(self, weekday: int) -> tuple[Interval, ...]:
        for day, intervals in self.hours_by_weekday:
            if day == weekday:
                return intervals
        return self.hours

    def is_working_date(self, day: date) -> bool:
        """Is this local date a working day (right weekday, no public holiday, not closed)?"""
        if self.always_open:
            return True
        if day.weekday() not in self.working_days or day in self.closed_dates:
            return False
        return not (self.country and day in _public_holidays(self.country, self.subdivision, day.year))

    # -- storage in settings -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back to an equal calendar."""
        return {
            "timezone": self.timezone,
            "always_open": self.always_open,
            "working_days": [WEEKDAY_NAMES[d] for d in sorted(self.working_days)],
            "hours": [_format_interval(iv) for iv in self.hours],
            "hours_by_weekday": {
                WEEKDAY_NAMES[day]: [_format_interval(iv) for iv in intervals]
                for day, intervals in self.hours_by_weekday
            },
            "country": self.country,
            "subdivision": self.subdivision,
            "closed_dates": sorted(d.isoformat() for d in self.closed_dates),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build from stored settings; every key is optional, unknown keys and bad values raise ``ValueError``.

        ``{"timezone": "Europe/Berlin", "working_days": ["mon", "tue", "wed", "thu", "fri"],
        "hours": ["08:00-12:00", "13:00-17:00"], "hours_by_weekday": {"fri": ["08:00-14:00"]},
        "country": "DE", "subdivision": "BY", "closed_dates": ["2026-12-31"], "always_open": false}``
        """
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown business-calendar keys: {', '.join(sorted(unknown))}")
        kwargs: dict[str, Any] = {}
        if "timezone" in data:
            kwargs["timezone"] = str(data["timezone"])
        if "always_open" in data:
            if not isinstance(data["always_open"], bool):
                raise ValueError("always_open must be true or false")
            kwargs["always_open"] = data["always_open"]
        if "working_days" in data:
            kwargs["working_days"] = frozenset(_parse_weekday(d) for d in data["working_days"])
        if "hours" in data:
            kwargs["hours"] = parse_intervals(data["hours"])
        if "hours_by_weekday" in data:
            kwargs["hours_by_weekday"] = {
                _parse_weekday(day): parse_intervals(spec)
                for day, spec in dict(data["hours_by_weekday"]).items()
            }
        for key in ("country", "subdivision"):
            if key in data:
                kwargs[key] = None if data[key] in (None, "") else str(data[key])
        if "closed_dates" in data:
            try:
                kwargs["closed_dates"] = frozenset(date.fromisoformat(str(d)) for d in data["closed_dates"])
            except ValueError as exc:
                raise ValueError(f"closed_dates must be YYYY-MM-DD dates: {exc}") from exc
        return cls(**kwargs)


# -- public arithmetic -------------------------------------------------------------------------


def ensure_utc(value: datetime, name: str = "value") -> datetime:
    """The same instant in UTC; ``ValueError`` for a naive datetime."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC)


def add_business_minutes(cal: BusinessCalendar, start: datetime, minutes: int) -> datetime:
    """The instant after ``minutes`` business minutes counted from ``start`` (aware UTC).

    A start outside business hours counts from the next opening. Adding 0 returns ``start``.
    Work that fills a window to its close ends exactly at the close (17:00), not the next morning.
    """
    start = ensure_utc(start, "start")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    if minutes == 0:
        return start
    return add_business_time(cal, start, timedelta(minutes=minutes))


def add_business_time(cal: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """Like :func:`add_business_minutes`, for any non-negative duration."""
    start = ensure_utc(start, "start")
    if amount < timedelta(0):
        raise ValueError("amount must not be negative")
    if cal.always_open or not amount:
        return start + amount
    remaining = amount
    for opens, closes in _windows_from(cal, start):
        begin = max(opens, start)
        available = closes - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: _windows_from is endless or raises")  # pragma: no cover


def business_time_between(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Business time from ``a`` to ``b``; negative when ``b`` is before ``a``."""
    a, b = ensure_utc(a, "a"), ensure_utc(b, "b")
    if b < a:
        return -business_time_between(cal, b, a)
    if cal.always_open or a == b:
        return b - a
    total = timedelta(0)
    for opens, closes in _windows_from(cal, a, until=b):
        if opens >= b:
            break
        total += min(closes, b) - max(opens, a)
    return total


def business_minutes_between(cal: BusinessCalendar, a: datetime, b: datetime) -> int:
    """Whole business minutes from ``a`` to ``b`` (truncated toward zero; negative if ``b < a``)."""
    seconds = business_time_between(cal, a, b) // timedelta(seconds=1)
    return int(seconds / 60)


def is_open(cal: BusinessCalendar, at: datetime) -> bool:
    """Is the team open at this instant?"""
    at = ensure_utc(at, "at")
    if cal.always_open:
        return True
    local_day = at.astimezone(cal.zone).date()
    return any(
        opens <= at < closes for day in (local_day - _DAY, local_day) for opens, closes in _windows(cal, day)
    )


def next_open(cal: BusinessCalendar, at: datetime) -> datetime:
    """``at`` itself when open, otherwise the next opening (aware UTC)."""
    at = ensure_utc(at, "at")
    if cal.always_open:
        return at
    opens, _ = next(_windows_from(cal, at))
    return max(opens, at)


def open_windows(cal: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    """The open windows of one local date as aware-UTC ``(opens, closes)`` pairs (empty when closed)."""
    if cal.always_open:
        return [
            (
                _wall_to_utc(cal.zone, _midnight(day), later=False),
                _wall_to_utc(cal.zone, _midnight(day + _DAY), later=False),
            )
        ]
    return list(_windows(cal, day))


def parse_intervals(spec: str | Iterable[str]) -> tuple[Interval, ...]:
    """``"08:00-12:00, 13:00-17:00"`` or ``["08:00-12:00", "13:00-17:00"]`` → intervals; ``24:00`` ends a day."""
    parts = spec.split(",") if isinstance(spec, str) else list(spec)
    intervals: list[Interval] = []
    for part in parts:
        pieces = str(part).replace("–", "-").split("-")
        if len(pieces) != 2:
            raise ValueError(f"an interval looks like 08:00-17:00, not {part!r}")
        intervals.append((_parse_time(pieces[0], allow_24=False), _parse_time(pieces[1], allow_24=True)))
    return _check_intervals(intervals)


# -- internals ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@functools.lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def _offset(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _end_offset(t: time) -> timedelta:
    return _DAY if t == time(0) else _offset(t)


def _check_intervals(intervals: str | Iterable[Interval | str]) -> tuple[Interval, ...]:
    """Validate (and sort) opening intervals; strings such as ``"08:00-17:00"`` are parsed."""
    if isinstance(intervals, str):
        return parse_intervals(intervals)
    pairs: list[Interval] = []
    for item in intervals:
        if isinstance(item, str):
            pairs.extend(parse_intervals(item))
            continue
        start, end = item
        if not isinstance(start, time) or not isinstance(end, time) or start.tzinfo or end.tzinfo:
            raise ValueError("opening intervals are pairs of naive datetime.time values")
        pairs.append((start, end))
    pairs.sort(key=lambda iv: _offset(iv[0]))
    previous_end = timedelta(0)
    for start, end in pairs:
        if _offset(start) >= _end_offset(end):
            raise ValueError(
                f"an opening interval must end after it starts: {_format_interval((start, end))}"
            )
        if _offset(start) < previous_end:
            raise ValueError("opening intervals must not overlap")
        previous_end = _end_offset(end)
    return tuple(pairs)


def _parse_time(text: str, *, allow_24: bool) -> time:
    match = _HHMM.match(text)
    if not match:
        raise ValueError(f"a time looks like 08:00, not {text!r}")
    hour, minute = int(match[1]), int(match[2])
    if allow_24 and (hour, minute) == (24, 0):
        return time(0)
    if hour > 23 or minute > 59:
        raise ValueError(f"not a time of day: {text!r}")
    return time(hour, minute)


def _format_interval(iv: Interval) -> str:
    end = "24:00" if iv[1] == time(0) else iv[1].isoformat("minutes" if not iv[1].second else "seconds")
    return f"{iv[0].isoformat('minutes' if not iv[0].second else 'seconds')}-{end}"


def _parse_weekday(value: Any) -> int:
    name = str(value).strip().lower()[:3]
    if name not in WEEKDAY_NAMES:
        raise ValueError(f"not a weekday name: {value!r}")
    return WEEKDAY_NAMES.index(name)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0))


def _wall_to_utc(zone: ZoneInfo, wall: datetime, *, later: bool) -> datetime:
    """A naive local wall time → aware UTC (``later`` picks the second of a repeated time)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return first
    if first < second:  # the wall time occurs twice (clocks went back)
        return second if later else first
    # The wall time does not exist (clocks jumped forward): use the instant of the jump, which lies
    # between ``second`` (old offset still in force) and ``first`` (new offset in force).
    old_offset = second.astimezone(zone).utcoffset()
    low, high = math.floor(second.timestamp()), math.ceil(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == old_offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


@functools.lru_cache(maxsize=8192)
def _windows(cal: BusinessCalendar, day: date) -> tuple[_Window, ...]:
    """The open windows of a local date in UTC, in order; windows shrunk to nothing by DST are dropped."""
    if not cal.is_working_date(day):
        return ()
    zone, midnight = cal.zone, _midnight(day)
    windows: list[_Window] = []
    for start, end in cal._intervals(day.weekday()):
        opens = _wall_to_utc(zone, midnight + _offset(start), later=False)
        closes = _wall_to_utc(zone, midnight + _end_offset(end), later=True)
        if windows and opens < windows[-1][1]:
            opens = windows[-1][1]
        if opens < closes:
            windows.append((opens, closes))
    return tuple(windows)


def _windows_from(cal: BusinessCalendar, at: datetime, until: datetime | None = None) -> Iterator[_Window]:
    """Open windows that close after ``at``, in order, never overlapping; stops after ``until``."""
    day = at.astimezone(cal.zone).date() - _DAY
    last_close = at
    closed_days = 0
    while True:
        windows = _windows(cal, day)
        yielded = False
        for opens, closes in windows:
            opens = max(opens, last_close)
            if opens < closes:
                yield opens, closes
                last_close = closes
                yielded = True
        if until is not None and _midnight(day).replace(tzinfo=UTC) - timedelta(days=2) > until:
            return
        closed_days = 0 if yielded else closed_days + 1
        if closed_days > MAX_CLOSED_DAYS:
            raise ValueError(
                f"the calendar has no open hours for {MAX_CLOSED_DAYS} days after {at.isoformat()}"
            )
        day += _DAY


@functools.lru_cache(maxsize=256)
def _always_open(cal: BusinessCalendar) -> BusinessCalendar:
    return replace(cal, always_open=True)
