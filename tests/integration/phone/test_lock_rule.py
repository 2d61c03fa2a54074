"""The lockout rule itself (pure): computed from the attempt log, exact at its boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticketdesk.phone.pin import (
    Attempt,
    LockState,
    PinPolicy,
    clean_client_number,
    clean_pin,
    describe,
    lock_state,
    strictest,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
POLICY = PinPolicy()


def fails(*minutes: float) -> list[Attempt]:
    return [Attempt(T0 + timedelta(minutes=m), False) for m in minutes]


def test_no_history_full_attempts() -> None:
    assert lock_state([], T0) == LockState(failures=0, locked_until=None, attempts_left=5)


def test_fifth_failure_locks_for_fifteen_minutes_exactly() -> None:
    history = fails(0, 1, 2, 3, 4)
    until = T0 + timedelta(minutes=19)
    assert lock_state(history, T0 + timedelta(minutes=4)).locked_until == until
    assert lock_state(history, until - timedelta(microseconds=1)).locked
    after = lock_state(history, until)
    assert not after.locked and after.attempts_left == 5


def test_success_resets_and_order_does_not_matter() -> None:
    history = [*fails(3, 0, 1), Attempt(T0 + timedelta(minutes=2), True)]
    assert lock_state(history, T0 + timedelta(minutes=5)).attempts_left == 4


def test_failures_older_than_the_memory_do_not_count() -> None:
    history = fails(0, 1, 2, 3, 63.5)
    state = lock_state(history, T0 + timedelta(minutes=64))
    assert not state.locked and state.failures == 1


def test_future_attempts_are_ignored() -> None:
    assert lock_state(fails(10), T0).attempts_left == 5


def test_strictest_scope_wins() -> None:
    call = lock_state(fails(0, 1), T0 + timedelta(minutes=2))
    org = lock_state(fails(0, 1, 2, 3, 4), T0 + timedelta(minutes=5))
    both = strictest(call, org)
    assert both.locked and both.attempts_left == 0
    assert strictest(call, None).attempts_left == 3
    with pytest.raises(ValueError):
        strictest(None)


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        PinPolicy(max_failures=0)
    with pytest.raises(ValueError):
        PinPolicy(lockout=timedelta(0))


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("4711", "4711"), (" 47 11 ", "4711"), ("4711#", "4711"), ("47-11", "4711"), ("", None), (None, None)],
)
def test_clean_pin(raw: str | None, clean: str | None) -> None:
    assert clean_pin(raw) == clean


def test_clean_client_number() -> None:
    assert clean_client_number(" c 1001 ") == "C1001" and clean_client_number("  ") is None


@pytest.mark.parametrize(
    ("verified", "orgs", "pin", "code"),
    [
        (True, 1, True, "verified"),
        (False, 0, False, "unknown"),
        (False, 2, True, "ambiguous"),
        (False, 1, True, "pin_required"),
        (False, 1, False, "recognised"),
    ],
)
def test_describe(verified: bool, orgs: int, pin: bool, code: str) -> None:
    assert describe(verified=verified, method="pin", organizations=orgs, pin_required=pin)[0] == code
