"""Lifecycles and reminder timing of outages and maintenance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticketdesk.announcements import states
from ticketdesk.announcements.states import AnnouncementStateError, ReminderPolicy, Snapshot, due_reminders

T0 = datetime(2026, 5, 4, 20, 0, tzinfo=UTC)
POLICY = ReminderPolicy()


def test_lifecycles() -> None:
    assert states.FLOWS["outage"] == ("investigating", "identified", "monitoring", "resolved")
    assert states.FLOWS["maintenance"] == ("scheduled", "in_progress", "verifying", "completed")
    assert states.check_transition("outage", "investigating", "identified") == "identified"
    assert states.check_transition("outage", "monitoring", "monitoring") == "monitoring"  # another update
    assert states.check_transition("maintenance", "scheduled", "cancelled") == "cancelled"
    with pytest.raises(AnnouncementStateError, match="takes no more updates"):
        states.check_transition("outage", "resolved", "investigating")
    with pytest.raises(AnnouncementStateError):
        states.check_transition("maintenance", "in_progress", "scheduled")
    with pytest.raises(AnnouncementStateError):
        states.check_transition("maintenance", "in_progress", "cancelled")
    with pytest.raises(AnnouncementStateError):
        states.check_first("outage", "resolved")
    assert states.check_first("maintenance", None) == "scheduled"
    with pytest.raises(AnnouncementStateError):
        states.initial("incident")


def test_every_status_has_a_label_in_six_languages() -> None:
    for kind in states.KINDS:
        for status in states.statuses(kind):
            for lang in ("en", "cs", "de", "pl", "fi", "nb"):
                assert status in states.LABELS[lang]


def outage(
    announced: datetime | None = None, last: datetime | None = None, status: str = "investigating"
) -> Snapshot:
    return Snapshot("outage", status, opened_at=T0, announced_at=announced, last_message_at=last or announced)


def test_unannounced_outage_reminds_after_the_threshold_and_repeats() -> None:
    assert due_reminders(outage(), now=T0 + timedelta(minutes=14, seconds=59), policy=POLICY) == []
    first = due_reminders(outage(), now=T0 + timedelta(minutes=15), policy=POLICY)
    assert [r.reason for r in first] == ["outage_unannounced"]
    reminded = {"outage_unannounced": T0 + timedelta(minutes=15)}
    assert (
        due_reminders(outage(), now=T0 + timedelta(minutes=29), policy=POLICY, last_reminded=reminded) == []
    )
    assert due_reminders(outage(), now=T0 + timedelta(minutes=30), policy=POLICY, last_reminded=reminded)


def test_announced_outage_wants_an_update_every_30_minutes_until_resolved() -> None:
    sent = T0 + timedelta(minutes=10)
    assert due_reminders(outage(sent), now=sent + timedelta(minutes=29), policy=POLICY) == []
    due = due_reminders(outage(sent), now=sent + timedelta(minutes=30), policy=POLICY)
    assert [r.reason for r in due] == ["outage_update_due"]
    # a reminder of an earlier lapse does not silence a new lapse
    later = sent + timedelta(minutes=40)
    old = {"outage_update_due": sent + timedelta(minutes=30)}
    assert due_reminders(
        outage(sent, later), now=later + timedelta(minutes=30), policy=POLICY, last_reminded=old
    )
    assert due_reminders(outage(sent, status="resolved"), now=T0 + timedelta(days=1), policy=POLICY) == []


def test_maintenance_completion_is_due_from_its_planned_end() -> None:
    snap = Snapshot(
        "maintenance",
        "in_progress",
        opened_at=T0,
        announced_at=T0,
        last_message_at=T0,
        starts_at=T0 + timedelta(hours=2),
        expected_end=T0 + timedelta(hours=4),
    )
    assert due_reminders(snap, now=T0 + timedelta(hours=3, minutes=59), policy=POLICY) == []
    assert [r.reason for r in due_reminders(snap, now=T0 + timedelta(hours=4), policy=POLICY)] == [
        "completion_due"
    ]
    unannounced = Snapshot(
        "maintenance", "scheduled", opened_at=T0, announced_at=None, last_message_at=None, expected_end=T0
    )
    assert due_reminders(unannounced, now=T0 + timedelta(days=3), policy=POLICY) == []
    no_times = Snapshot("maintenance", "scheduled", opened_at=T0, announced_at=T0, last_message_at=T0)
    assert due_reminders(no_times, now=T0 + timedelta(hours=23), policy=POLICY) == []
    assert due_reminders(no_times, now=T0 + timedelta(days=1), policy=POLICY)
    done = Snapshot(
        "maintenance", "completed", opened_at=T0, announced_at=T0, last_message_at=T0, expected_end=T0
    )
    assert due_reminders(done, now=T0 + timedelta(days=3), policy=POLICY) == []
