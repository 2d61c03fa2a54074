from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketdesk.sms import states
from ticketdesk.sms.states import (
    RANK,
    REPORT_STATUSES,
    STATES,
    SmsTransitionError,
    UnknownReportStatus,
    apply_action,
    apply_report,
    is_final,
)

REPORTS = ("submitted", "delivered", "failed", "no_coverage", "expired", "stopped")

# current state -> the state after each report in REPORTS order (written out by hand on purpose)
EXPECTED_AFTER_REPORT: dict[str, tuple[str, ...]] = {
    "scheduled": ("scheduled",) * 6,
    "awaiting_approval": ("awaiting_approval",) * 6,
    "paused": ("paused",) * 6,
    "queued": ("submitted", "delivered", "failed", "no_coverage", "failed", "stopped"),
    "submitted": ("submitted", "delivered", "failed", "no_coverage", "failed", "stopped"),
    "no_coverage": ("no_coverage", "delivered", "failed", "no_coverage", "failed", "stopped"),
    "unknown": ("unknown", "delivered", "failed", "no_coverage", "failed", "stopped"),
    "delivered": ("delivered",) * 6,
    "failed": ("failed", "delivered", "failed", "failed", "failed", "failed"),
    "stopped": ("stopped", "delivered", "stopped", "stopped", "stopped", "stopped"),
}

ALLOWED_ACTIONS: dict[tuple[str, str], str] = {
    ("scheduled", "due"): "queued",
    ("scheduled", "hold"): "awaiting_approval",
    ("queued", "hold"): "awaiting_approval",
    ("awaiting_approval", "approve"): "queued",
    ("scheduled", "pause"): "paused",
    ("awaiting_approval", "pause"): "paused",
    ("queued", "pause"): "paused",
    ("paused", "resume"): "queued",
    ("scheduled", "cancel"): "stopped",
    ("awaiting_approval", "cancel"): "stopped",
    ("paused", "cancel"): "stopped",
    ("queued", "cancel"): "stopped",
    ("scheduled", "stop_listed"): "stopped",
    ("awaiting_approval", "stop_listed"): "stopped",
    ("paused", "stop_listed"): "stopped",
    ("queued", "stop_listed"): "stopped",
    ("queued", "submit_ok"): "submitted",
    ("queued", "submit_refused"): "failed",
    ("queued", "submit_unknown"): "unknown",
    ("submitted", "deadline_passed"): "unknown",
    ("no_coverage", "deadline_passed"): "unknown",
    ("unknown", "reconcile_missing"): "queued",
}
ACTION_NAMES = sorted({action for _, action in ALLOWED_ACTIONS})


def test_vocabulary() -> None:
    assert set(STATES) == set(EXPECTED_AFTER_REPORT)
    assert tuple(REPORT_STATUSES) == REPORTS
    assert set(states.ACTIONS) == set(ALLOWED_ACTIONS)


@pytest.mark.parametrize(
    ("current", "report"), list(itertools.product(EXPECTED_AFTER_REPORT, REPORTS)), ids="{0[0]}+{0[1]}".format
)
def test_every_state_report_pair(current: str, report: str) -> None:
    expected = EXPECTED_AFTER_REPORT[current][REPORTS.index(report)]
    outcome = apply_report(current, report)
    assert outcome.new_state == expected
    assert outcome.changed == (expected != current)
    if not outcome.changed:
        assert outcome.note, "an ignored report must say why"


def test_expired_is_a_failure_with_reason() -> None:
    outcome = apply_report("submitted", "expired")
    assert outcome == states.Outcome("failed", True, outcome.note)
    assert "expired" in outcome.note


def test_out_of_order_submitted_after_delivered_is_ignored() -> None:
    first = apply_report("submitted", "delivered")
    late = apply_report(first.new_state, "submitted")
    assert (late.new_state, late.changed) == ("delivered", False)
    assert "out-of-order" in late.note


def test_late_final_report_settles_unknown() -> None:
    unknown = apply_action("submitted", "deadline_passed").new_state
    assert unknown == "unknown"
    assert apply_report(unknown, "delivered").new_state == "delivered"
    assert apply_report(unknown, "failed").new_state == "failed"
    assert apply_report(unknown, "submitted").changed is False


def test_duplicate_reports_change_nothing() -> None:
    for report in REPORTS:
        once = apply_report("submitted", report)
        twice = apply_report(once.new_state, report)
        assert twice.new_state == once.new_state
        assert twice.changed is False


def test_conflicting_finals_first_wins_except_delivered() -> None:
    assert apply_report("failed", "stopped").new_state == "failed"
    assert apply_report("stopped", "failed").new_state == "stopped"
    assert apply_report("delivered", "failed").new_state == "delivered"
    assert apply_report("failed", "delivered").new_state == "delivered"


@given(st.lists(st.sampled_from(REPORTS), max_size=12))
def test_reports_never_move_backwards(reports: list[str]) -> None:
    state = "submitted"
    for report in reports:
        outcome = apply_report(state, report)
        assert RANK[outcome.new_state] >= RANK[state]
        state = outcome.new_state
    if "delivered" in reports:
        assert state == "delivered"
    elif {"failed", "expired", "stopped"} & set(reports):
        assert state in ("failed", "stopped")


@given(st.permutations(["submitted", "no_coverage", "delivered", "submitted", "no_coverage"]))
def test_delivered_wins_in_any_order(reports: list[str]) -> None:
    state = "submitted"
    for report in reports:
        state = apply_report(state, report).new_state
    assert state == "delivered"


def test_unknown_report_status_is_rejected() -> None:
    with pytest.raises(UnknownReportStatus, match="accepted"):
        apply_report("submitted", "accepted")


@pytest.mark.parametrize(("current", "action"), list(itertools.product(STATES, ACTION_NAMES)))
def test_every_state_action_pair(current: str, action: str) -> None:
    expected = ALLOWED_ACTIONS.get((current, action))
    if expected is None:
        with pytest.raises(SmsTransitionError) as info:
            apply_action(current, action)
        assert info.value.state == current and info.value.action == action
        assert current in str(info.value)
    else:
        outcome = apply_action(current, action)
        assert (outcome.new_state, outcome.changed) == (expected, True)
        assert outcome.note


def test_cancel_after_handover_is_refused_with_reason() -> None:
    with pytest.raises(SmsTransitionError, match="handed to the gateway"):
        apply_action("submitted", "cancel")
    with pytest.raises(SmsTransitionError, match="already final"):
        apply_action("delivered", "cancel")


def test_bad_names_raise_value_error() -> None:
    with pytest.raises(ValueError, match="unknown SMS action"):
        apply_action("queued", "explode")
    with pytest.raises(ValueError, match="unknown SMS state"):
        apply_action("sent", "cancel")
    with pytest.raises(ValueError, match="unknown SMS state"):
        apply_report("sent", "delivered")


def test_predicates() -> None:
    assert {s for s in STATES if is_final(s)} == {"delivered", "failed", "stopped"}
    assert not is_final("unknown")
    assert {s for s in STATES if states.is_cancellable(s)} == {
        "scheduled",
        "awaiting_approval",
        "paused",
        "queued",
    }
    assert {s for s in STATES if states.awaiting_report(s)} == {"submitted", "no_coverage"}
    assert states.allowed_actions("paused") == ["cancel", "resume", "stop_listed"]
    assert states.allowed_actions("delivered") == []


def test_pure_core_imports_neither_flask_nor_the_database() -> None:
    import subprocess
    import sys

    code = (
        "import sys, ticketdesk.sms.states, ticketdesk.sms.text, ticketdesk.phone.numbers, ticketdesk.ports.sms\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_sqlalchemy'))\n"
        "assert not bad, bad\n"
    )
    from pathlib import Path

    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3])


def test_port_and_core_agree_on_report_statuses() -> None:
    from ticketdesk.ports import sms as port

    assert port.REPORT_STATUSES == frozenset(REPORT_STATUSES)
