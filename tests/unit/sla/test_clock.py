"""The pausable SLA clock and breach warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ticketdesk.sla.clock import PAUSING_STATUSES, SlaClock, breach_near, sla_state
from ticketdesk.sla.hours import BusinessCalendar, add_business_minutes
from ticketdesk.sla.targets import SlaPolicy, due_times

PRAGUE = ZoneInfo("Europe/Prague")
POLICY = SlaPolicy()
OFFICE = POLICY.calendar


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PRAGUE)  # type: ignore[misc]


def test_waiting_for_client_pauses() -> None:
    assert PAUSING_STATUSES == frozenset({"waiting_for_client"})
    clock = SlaClock(opened_at=local(2026, 11, 9, 9, 0))
    paused = clock.on_status("waiting_for_client", local(2026, 11, 9, 10, 0), OFFICE)
    assert paused.is_paused and paused.paused_since == local(2026, 11, 9, 10, 0)
    running = paused.on_status("in_progress", local(2026, 11, 10, 10, 0), OFFICE)
    assert not running.is_paused
    assert running.paused_business_minutes == 7 * 60 + 2 * 60  # Mon 10-17 and Tue 08-10
    assert clock.paused_business_minutes == 0  # value object: the original is unchanged


def test_resolution_due_is_shifted_by_paused_business_minutes() -> None:
    opened = local(2026, 11, 9, 9, 0)
    clock = (
        SlaClock(opened_at=opened).pause(local(2026, 11, 9, 10, 0)).resume(local(2026, 11, 10, 10, 0), OFFICE)
    )
    unpaused = due_times(POLICY, "normal", opened)[1]
    assert clock.resolution_due(POLICY, "normal") == add_business_minutes(OFFICE, unpaused, 540)
    assert clock.first_response_due(POLICY, "normal") == due_times(POLICY, "normal", opened)[0]


def test_pause_over_a_weekend_counts_only_business_minutes() -> None:
    clock = SlaClock(opened_at=local(2026, 11, 13, 9, 0)).pause(local(2026, 11, 13, 16, 0))
    resumed = clock.resume(local(2026, 11, 16, 9, 0), OFFICE)  # Fri 16:00 -> Mon 09:00
    assert resumed.paused_business_minutes == 120


def test_urgent_pause_counts_around_the_clock() -> None:
    cal = POLICY.calendar_for("urgent")
    clock = SlaClock(opened_at=local(2026, 11, 14, 20, 0)).pause(local(2026, 11, 14, 21, 0))
    resumed = clock.resume(local(2026, 11, 15, 1, 30), cal)
    assert resumed.paused_business_minutes == 270
    assert resumed.resolution_due(POLICY, "urgent").astimezone(PRAGUE) == local(2026, 11, 15, 4, 30)


def test_multiple_pauses_accumulate() -> None:
    clock = SlaClock(opened_at=local(2026, 11, 9, 9, 0))
    clock = clock.pause(local(2026, 11, 9, 10, 0)).resume(local(2026, 11, 9, 10, 30), OFFICE)
    clock = clock.pause(local(2026, 11, 9, 11, 0)).resume(local(2026, 11, 9, 11, 45), OFFICE)
    assert clock.paused_business_minutes == 75


def test_pause_and_resume_are_idempotent_and_checked() -> None:
    clock = SlaClock(opened_at=local(2026, 11, 9, 9, 0))
    assert clock.resume(local(2026, 11, 9, 10, 0), OFFICE) is clock
    paused = clock.pause(local(2026, 11, 9, 10, 0))
    assert paused.pause(local(2026, 11, 9, 11, 0)) is paused
    with pytest.raises(ValueError, match="before"):
        paused.resume(local(2026, 11, 9, 9, 30), OFFICE)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.pause(datetime(2026, 11, 9, 10, 0))
    with pytest.raises(ValueError):
        SlaClock(opened_at=local(2026, 11, 9, 9, 0), paused_since=local(2026, 11, 9, 8, 0))
    assert clock.opened_at.tzinfo is UTC


def test_due_while_paused_moves_with_now() -> None:
    clock = SlaClock(opened_at=local(2026, 11, 9, 9, 0)).pause(local(2026, 11, 9, 10, 0))
    as_paused = clock.resolution_due(POLICY, "normal")
    later = clock.resolution_due(POLICY, "normal", now=local(2026, 11, 9, 12, 0))
    assert later == add_business_minutes(OFFICE, as_paused, 120)
    assert clock.paused_minutes_at(local(2026, 11, 9, 12, 0), OFFICE) == 120


def test_breach_near_by_minutes_counts_business_time() -> None:
    due = local(2026, 11, 16, 9, 0)  # Monday 09:00
    friday = local(2026, 11, 13, 16, 30)  # 90 business minutes before due
    assert not breach_near(due, friday, OFFICE, warn_minutes=60)
    assert breach_near(due, friday, OFFICE, warn_minutes=90)
    assert breach_near(due, local(2026, 11, 16, 8, 30), OFFICE, warn_minutes=60)


def test_breach_near_by_fraction_of_the_target() -> None:
    opened = local(2026, 11, 9, 9, 0)
    _, due = due_times(POLICY, "high", opened)  # 540 business minutes -> Tue 09:00
    target = POLICY.target("high").resolution_minutes
    assert not breach_near(due, local(2026, 11, 9, 16, 0), OFFICE, target_minutes=target)  # 420/540 used
    assert breach_near(due, local(2026, 11, 9, 16, 12), OFFICE, target_minutes=target)  # 432/540 = 0.8
    assert not breach_near(due, local(2026, 11, 9, 16, 12), OFFICE, target_minutes=target, warn_fraction=0.9)
    assert breach_near(due, due, OFFICE, warn_minutes=0)  # breached counts as near
    assert breach_near(due, due + timedelta(days=3), OFFICE, target_minutes=target)


def test_breach_near_needs_a_threshold() -> None:
    due = local(2026, 11, 16, 9, 0)
    with pytest.raises(ValueError, match="target_minutes"):
        breach_near(due, local(2026, 11, 13, 9, 0), OFFICE)
    with pytest.raises(ValueError, match="between 0 and 1"):
        breach_near(due, local(2026, 11, 13, 9, 0), OFFICE, target_minutes=60, warn_fraction=1.5)


def test_sla_state() -> None:
    due = local(2026, 11, 16, 9, 0)
    assert sla_state(due, local(2026, 11, 16, 9, 0), OFFICE, warn_minutes=30) == "breached"
    assert sla_state(due, local(2026, 11, 16, 8, 45), OFFICE, warn_minutes=30) == "near"
    assert sla_state(due, local(2026, 11, 13, 16, 0), OFFICE, warn_minutes=30) == "ok"


def test_clock_breach_warning_is_silent_while_paused() -> None:
    opened = local(2026, 11, 9, 9, 0)
    clock = SlaClock(opened_at=opened)
    late = local(2026, 11, 10, 8, 50)
    assert clock.resolution_breach_near(POLICY, "high", late)
    assert not clock.pause(local(2026, 11, 9, 10, 0)).resolution_breach_near(POLICY, "high", late)
    resumed = clock.pause(local(2026, 11, 9, 10, 0)).resume(local(2026, 11, 9, 16, 0), OFFICE)
    assert not resumed.resolution_breach_near(POLICY, "high", late)  # 360 minutes were paused


def test_sunday_calendar_pause_across_dst() -> None:
    cal = BusinessCalendar(working_days=range(7), hours=["00:00-24:00"], country=None)
    clock = SlaClock(opened_at=local(2026, 10, 24, 12, 0)).pause(local(2026, 10, 25, 0, 0))
    assert clock.resume(local(2026, 10, 26, 0, 0), cal).paused_business_minutes == 25 * 60
