"""SLA targets per priority and the due times they give (pure).

Default targets, in business minutes of the team's calendar (08:00–17:00, Mon–Fri = 540 a day):

=========  ==============  ==============================  ==========================
priority   first response  resolution                      counted
=========  ==============  ==============================  ==========================
urgent     30 min          4 h                             24x7 (around the clock)
high       1 h             1 business day (9 h)            business hours
normal     4 h             3 business days                 business hours
low        1 business day  10 business days                business hours
=========  ==============  ==============================  ==========================

Why urgent counts 24x7: urgent means an outage, unreachable service, data loss or a security
incident (see ``ticketdesk.priority``). A hosting customer whose servers are down on Saturday night
expects the on-call engineer now, not on Monday at 08:00, so the promise made to the client and the
escalation clock must keep running outside office hours. Every other priority waits for the team's
working hours, holidays included. A policy can switch any priority either way (``around_the_clock``).

The first-response target is never paused (a ticket only waits for the client after we answered);
the resolution target is shifted by the business minutes the ticket spent waiting for the client
(see :mod:`ticketdesk.sla.clock`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from ticketdesk.sla.hours import BusinessCalendar, add_business_minutes

PRIORITIES: tuple[str, ...] = ("urgent", "high", "normal", "low")
BUSINESS_DAY_MINUTES = 9 * 60


@dataclass(frozen=True)
class SlaTarget:
    """Targets for one priority, in business minutes (real minutes when ``around_the_clock``)."""

    first_response_minutes: int
    resolution_minutes: int
    around_the_clock: bool = False

    def __post_init__(self) -> None:
        for name in ("first_response_minutes", "resolution_minutes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive whole number of minutes, not {value!r}")
        if self.resolution_minutes < self.first_response_minutes:
            raise ValueError("the resolution target cannot be shorter than the first-response target")

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_response_minutes": self.first_response_minutes,
            "resolution_minutes": self.resolution_minutes,
            "around_the_clock": self.around_the_clock,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaTarget:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown SLA target keys: {', '.join(sorted(unknown))}")
        around = data.get("around_the_clock", False)
        if not isinstance(around, bool):
            raise ValueError("around_the_clock must be true or false")
        try:
            return cls(int(data["first_response_minutes"]), int(data["resolution_minutes"]), around)
        except KeyError as exc:
            raise ValueError(f"an SLA target needs {exc.args[0]}") from exc
        except TypeError as exc:
            raise ValueError(f"SLA target minutes must be whole numbers: {exc}") from exc


DEFAULT_TARGETS: Mapping[str, SlaTarget] = MappingProxyType(
    {
        "urgent": SlaTarget(30, 4 * 60, around_the_clock=True),
        "high": SlaTarget(60, BUSINESS_DAY_MINUTES),
        "normal": SlaTarget(4 * 60, 3 * BUSINESS_DAY_MINUTES),
        "low": SlaTarget(BUSINESS_DAY_MINUTES, 10 * BUSINESS_DAY_MINUTES),
    }
)


def _default_targets() -> Mapping[str, SlaTarget]:
    return DEFAULT_TARGETS


@dataclass(frozen=True)
class SlaPolicy:
    """The team's calendar and a target for every priority."""

    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    targets: Mapping[str, SlaTarget] = field(default_factory=_default_targets)

    def __post_init__(self) -> None:
        missing = [p for p in PRIORITIES if p not in self.targets]
        if missing:
            raise ValueError(f"SLA targets missing for: {', '.join(missing)}")
        object.__setattr__(self, "targets", MappingProxyType(dict(self.targets)))

    def target(self, priority: str) -> SlaTarget:
        try:
            return self.targets[priority]
        except KeyError:
            raise ValueError(f"unknown priority {priority!r}") from None

    def calendar_for(self, priority: str) -> BusinessCalendar:
        """The calendar a priority's minutes are counted in (24x7 for around-the-clock targets)."""
        if self.target(priority).around_the_clock:
            return self.calendar.as_always_open()
        return self.calendar

    def to_dict(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar.to_dict(),
            "targets": {name: target.to_dict() for name, target in self.targets.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaPolicy:
        """Read stored settings; missing priorities keep their default targets."""
        unknown = set(data) - {"calendar", "targets"}
        if unknown:
            raise ValueError(f"unknown SLA policy keys: {', '.join(sorted(unknown))}")
        calendar = BusinessCalendar.from_dict(data.get("calendar") or {})
        targets = dict(DEFAULT_TARGETS)
        for name, raw in dict(data.get("targets") or {}).items():
            targets[name] = SlaTarget.from_dict(raw)
        return cls(calendar=calendar, targets=targets)


def due_times(
    policy: SlaPolicy, priority: str, opened_at: datetime, paused_minutes: int = 0
) -> tuple[datetime, datetime]:
    """``(first_response_due, resolution_due)`` as aware UTC.

    ``paused_minutes`` are the business minutes (in ``policy.calendar_for(priority)``) the ticket has
    spent waiting for the client; they push the resolution due time back, not the first response.
    """
    if paused_minutes < 0:
        raise ValueError("paused_minutes must not be negative")
    target = policy.target(priority)
    calendar = policy.calendar_for(priority)
    first_response = add_business_minutes(calendar, opened_at, target.first_response_minutes)
    resolution = add_business_minutes(calendar, opened_at, target.resolution_minutes + paused_minutes)
    return first_response, resolution
