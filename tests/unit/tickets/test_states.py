"""The lifecycle table, checked triple by triple against an expectation written out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from ticketdesk.tickets.states import (
    STATUSES,
    ReopenWindowPassed,
    TicketState,
    TransitionNotAllowed,
    UnknownStatus,
    allowed_targets,
    client_reply_target,
    plan,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=14)
RECENT = NOW - timedelta(days=1)  # resolved yesterday: inside the window
OLD = NOW - timedelta(days=20)  # resolved long ago: outside

# Who may make each move (with a ticket resolved yesterday, i.e. inside the reopen window).
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("queued", "in_progress"): {"agent"},
    ("queued", "waiting_for_client"): {"agent"},
    ("queued", "resolved"): {"agent"},
    ("queued", "scheduled"): {"agent"},
    ("queued", "closed"): {"agent"},
    ("in_progress", "queued"): {"agent", "system"},
    ("in_progress", "waiting_for_client"): {"agent"},
    ("in_progress", "resolved"): {"agent"},
    ("in_progress", "scheduled"): {"agent"},
    ("in_progress", "closed"): {"agent"},
    ("waiting_for_client", "queued"): {"client", "agent", "system"},
    ("waiting_for_client", "in_progress"): {"client", "agent"},
    ("waiting_for_client", "resolved"): {"agent", "client"},
    ("waiting_for_client", "scheduled"): {"agent"},
    ("waiting_for_client", "closed"): {"agent"},
    ("resolved", "queued"): {"client"},
    ("resolved", "in_progress"): {"client", "agent"},
    ("resolved", "closed"): {"client", "agent"},  # the system only after the window (below)
    ("scheduled", "queued"): {"system", "agent"},
    ("scheduled", "in_progress"): {"agent"},
    ("scheduled", "resolved"): {"agent"},
    ("scheduled", "closed"): {"agent"},
}
ACTORS = ("agent", "client", "system")


@pytest.mark.parametrize(("current", "target", "actor"), list(product(STATUSES, STATUSES, ACTORS)))
def test_every_triple_matches_the_expectation(current: str, target: str, actor: str) -> None:
    state = TicketState(current, resolved_at=RECENT if current == "resolved" else None)
    allowed = actor in EXPECTED.get((current, target), set())
    if allowed:
        move = plan(state, target, actor, now=NOW, reopen_window=WINDOW)
        assert (move.current, move.target, move.actor) == (current, target, actor)
        assert move.event.startswith("status.")
    else:
        with pytest.raises((TransitionNotAllowed, ReopenWindowPassed)):
            plan(state, target, actor, now=NOW, reopen_window=WINDOW)


def test_system_closes_a_resolved_ticket_only_after_the_window() -> None:
    with pytest.raises(TransitionNotAllowed):
        plan(TicketState("resolved", RECENT), "closed", "system", now=NOW, reopen_window=WINDOW)
    move = plan(TicketState("resolved", OLD), "closed", "system", now=NOW, reopen_window=WINDOW)
    assert move.target == "closed" and "set_closed" in move.effects


@pytest.mark.parametrize(
    ("age", "reopens"),
    [
        (timedelta(days=13, hours=23, minutes=59), True),
        (timedelta(days=13, hours=23, minutes=59, seconds=59), True),
        (timedelta(days=14), False),
        (timedelta(days=14, minutes=1), False),
    ],
)
def test_reopen_boundary_is_exact(age: timedelta, reopens: bool) -> None:
    state = TicketState("resolved", resolved_at=NOW - age)
    if reopens:
        assert client_reply_target(state, now=NOW, reopen_window=WINDOW) == "queued"
    else:
        with pytest.raises(ReopenWindowPassed):
            client_reply_target(state, now=NOW, reopen_window=WINDOW)


def test_reopen_window_is_configurable() -> None:
    state = TicketState("resolved", resolved_at=NOW - timedelta(days=5))
    with pytest.raises(ReopenWindowPassed):
        client_reply_target(state, now=NOW, reopen_window=timedelta(days=3))
    assert client_reply_target(state, now=NOW, reopen_window=timedelta(days=7)) == "queued"


def test_client_reply_targets() -> None:
    assert client_reply_target(TicketState("waiting_for_client"), now=NOW, reopen_window=WINDOW) == "queued"
    owned = TicketState("waiting_for_client", has_owner=True)
    assert client_reply_target(owned, now=NOW, reopen_window=WINDOW) == "in_progress"
    assert client_reply_target(TicketState("in_progress"), now=NOW, reopen_window=WINDOW) is None
    assert client_reply_target(TicketState("queued"), now=NOW, reopen_window=WINDOW) is None
    with pytest.raises(ReopenWindowPassed):
        client_reply_target(TicketState("closed"), now=NOW, reopen_window=WINDOW)


def test_unknown_status_is_a_clear_error() -> None:
    with pytest.raises(UnknownStatus, match="unknown status 'done'"):
        plan(TicketState("queued"), "done", "agent", now=NOW, reopen_window=WINDOW)


def test_allowed_targets_for_buttons() -> None:
    assert set(allowed_targets(TicketState("closed"), "agent", now=NOW, reopen_window=WINDOW)) == set()
    assert set(allowed_targets(TicketState("queued"), "agent", now=NOW, reopen_window=WINDOW)) == {
        "in_progress",
        "waiting_for_client",
        "resolved",
        "scheduled",
        "closed",
    }
