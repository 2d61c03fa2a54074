"""Default targets, SlaPolicy storage and due_times."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ticketdesk.sla.hours import BusinessCalendar
from ticketdesk.sla.targets import DEFAULT_TARGETS, PRIORITIES, SlaPolicy, SlaTarget, due_times

PRAGUE = ZoneInfo("Europe/Prague")
POLICY = SlaPolicy()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PRAGUE)  # type: ignore[misc]


def test_every_priority_has_a_target_and_only_urgent_is_around_the_clock() -> None:
    assert set(DEFAULT_TARGETS) == set(PRIORITIES) == {"urgent", "high", "normal", "low"}
    assert [p for p in PRIORITIES if DEFAULT_TARGETS[p].around_the_clock] == ["urgent"]
    responses = [DEFAULT_TARGETS[p].first_response_minutes for p in PRIORITIES]
    resolutions = [DEFAULT_TARGETS[p].resolution_minutes for p in PRIORITIES]
    assert responses == sorted(responses) and resolutions == sorted(resolutions)


def test_urgent_runs_through_saturday_night() -> None:
    first, resolution = due_times(POLICY, "urgent", local(2026, 11, 14, 22, 0))
    assert first.astimezone(PRAGUE) == local(2026, 11, 14, 22, 30)
    assert resolution.astimezone(PRAGUE) == local(2026, 11, 15, 2, 0)
    assert first.tzinfo is UTC and resolution.tzinfo is UTC


def test_normal_waits_for_business_hours_and_holidays() -> None:
    # Friday 13 Nov 16:00: 4 h = Fri 1 h + Mon 3 h; 3 business days = 1620 min skipping Tue 17 Nov (holiday)
    first, resolution = due_times(POLICY, "normal", local(2026, 11, 13, 16, 0))
    assert first.astimezone(PRAGUE) == local(2026, 11, 16, 11, 0)
    assert resolution.astimezone(PRAGUE) == local(2026, 11, 19, 16, 0)


def test_paused_minutes_shift_only_the_resolution() -> None:
    opened = local(2026, 11, 13, 16, 0)
    first, resolution = due_times(POLICY, "normal", opened, paused_minutes=120)
    assert first == due_times(POLICY, "normal", opened)[0]
    assert resolution.astimezone(PRAGUE) == local(2026, 11, 20, 9, 0)
    with pytest.raises(ValueError):
        due_times(POLICY, "normal", opened, paused_minutes=-1)


def test_unknown_priority() -> None:
    with pytest.raises(ValueError, match="unknown priority"):
        due_times(POLICY, "critical", local(2026, 11, 13, 16, 0))


def test_a_policy_can_run_high_around_the_clock() -> None:
    targets = dict(DEFAULT_TARGETS, high=SlaTarget(60, 480, around_the_clock=True))
    policy = SlaPolicy(calendar=BusinessCalendar(), targets=targets)
    first, _ = due_times(policy, "high", local(2026, 11, 14, 22, 0))
    assert first.astimezone(PRAGUE) == local(2026, 11, 14, 23, 0)
    assert policy.calendar_for("high").always_open and not policy.calendar_for("normal").always_open


def test_policy_round_trip_and_partial_settings() -> None:
    policy = SlaPolicy(
        calendar=BusinessCalendar(timezone="Europe/Helsinki", country="FI"),
        targets=dict(DEFAULT_TARGETS, low=SlaTarget(600, 6000)),
    )
    assert SlaPolicy.from_dict(policy.to_dict()) == policy
    partial = SlaPolicy.from_dict(
        {"targets": {"normal": {"first_response_minutes": 60, "resolution_minutes": 900}}}
    )
    assert partial.target("normal") == SlaTarget(60, 900)
    assert partial.target("urgent") == DEFAULT_TARGETS["urgent"]
    assert partial.calendar == BusinessCalendar()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"targets": {"normal": {"first_response_minutes": 0, "resolution_minutes": 10}}}, "positive"),
        ({"targets": {"normal": {"first_response_minutes": 60, "resolution_minutes": 30}}}, "shorter"),
        ({"targets": {"normal": {"first_response_minutes": 60}}}, "needs resolution_minutes"),
        ({"targets": {"normal": {"first_response_minutes": 6, "resolution_minutes": 9, "x": 1}}}, "unknown"),
        ({"targets": {"normal": {"first_response_minutes": None, "resolution_minutes": 9}}}, "whole numbers"),
        ({"calender": {}}, "unknown SLA policy keys"),
    ],
)
def test_policy_rejects_bad_settings(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlaPolicy.from_dict(data)


def test_policy_needs_every_priority() -> None:
    with pytest.raises(ValueError, match="missing"):
        SlaPolicy(targets={"urgent": DEFAULT_TARGETS["urgent"]})
