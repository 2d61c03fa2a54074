"""The ticket lifecycle as data: which moves are allowed, for whom, and what each records.

Pure: no Flask, no database. ``tickets/service.py`` is the only caller that applies a move to a
stored ticket; everything else (API, portal, intake, worker) goes through that service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CLIENT = "waiting_for_client"
    RESOLVED = "resolved"
    SCHEDULED = "scheduled"
    CLOSED = "closed"


class Actor(StrEnum):
    AGENT = "agent"
    CLIENT = "client"
    SYSTEM = "system"


STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
OPEN_STATUSES = frozenset({Status.QUEUED, Status.IN_PROGRESS, Status.WAITING_FOR_CLIENT, Status.SCHEDULED})


class LifecycleError(Exception):
    """Base of the domain errors a move can raise (the API answers 409)."""

    code = "transition_not_allowed"


class TransitionNotAllowed(LifecycleError):
    def __init__(self, current: str, target: str, actor: str) -> None:
        super().__init__(f"a {actor} cannot move a ticket from {current} to {target}")
        self.current, self.target, self.actor = current, target, actor


class ReopenWindowPassed(LifecycleError):
    """A client tried to reopen a resolved ticket after the reopen window (or a closed one)."""

    code = "reopen_window_passed"

    def __init__(self, message: str = "the ticket is closed; please open a new ticket") -> None:
        super().__init__(message)


class UnknownStatus(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(f"unknown status {value!r}; expected one of {', '.join(STATUSES)}")
        self.value = value


@dataclass(frozen=True)
class Rule:
    actors: frozenset[Actor]
    event: str
    effects: tuple[str, ...] = ()


def _r(actors: str, event: str, *effects: str) -> Rule:
    return Rule(frozenset(Actor(a) for a in actors.split()), event, effects)


Q, P, W, R, S, C = (
    Status.QUEUED,
    Status.IN_PROGRESS,
    Status.WAITING_FOR_CLIENT,
    Status.RESOLVED,
    Status.SCHEDULED,
    Status.CLOSED,
)

# (from, to) → who may make the move, the event it records and the effects the service runs.
TRANSITIONS: dict[tuple[Status, Status], Rule] = {
    (Q, P): _r("agent", "status.started"),
    (Q, W): _r("agent", "status.waiting", "sla_pause", "notify_client"),
    (Q, R): _r("agent", "status.resolved", "set_resolved", "notify_client"),
    (Q, S): _r("agent", "status.scheduled", "notify_client"),
    (Q, C): _r("agent", "status.closed", "set_closed"),
    (P, Q): _r("agent system", "status.requeued"),
    (P, W): _r("agent", "status.waiting", "sla_pause", "notify_client"),
    (P, R): _r("agent", "status.resolved", "set_resolved", "notify_client"),
    (P, S): _r("agent", "status.scheduled", "notify_client"),
    (P, C): _r("agent", "status.closed", "set_closed"),
    (W, Q): _r("client agent system", "status.client_replied", "sla_resume"),
    (W, P): _r("client agent", "status.client_replied", "sla_resume"),
    (W, R): _r("agent client", "status.resolved", "sla_resume", "set_resolved", "notify_client"),
    (W, S): _r("agent", "status.scheduled", "sla_resume", "notify_client"),
    (W, C): _r("agent", "status.closed", "sla_resume", "set_closed"),
    (R, Q): _r("client", "status.reopened", "clear_resolved"),
    (R, P): _r("client agent", "status.reopened", "clear_resolved"),
    (R, C): _r("system client agent", "status.closed", "set_closed"),
    (S, Q): _r("system agent", "status.schedule_due", "clear_schedule"),
    (S, P): _r("agent", "status.started", "clear_schedule"),
    (S, R): _r("agent", "status.resolved", "clear_schedule", "set_resolved", "notify_client"),
    (S, C): _r("agent", "status.closed", "clear_schedule", "set_closed"),
}
# The window binds clients only: an agent may reopen a resolved ticket at any time, and the system
# closes a resolved ticket only once the window has passed (both checked in ``plan``).


@dataclass(frozen=True)
class TicketState:
    status: str
    resolved_at: datetime | None = None
    has_owner: bool = False  # claimed or assigned: a client reply goes to in_progress, not the queue


@dataclass(frozen=True)
class Move:
    current: Status
    target: Status
    actor: Actor
    event: str
    effects: tuple[str, ...] = field(default_factory=tuple)


def parse_status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        raise UnknownStatus(value) from None


def within_reopen_window(resolved_at: datetime | None, now: datetime, window: timedelta) -> bool:
    """Strictly inside: 13 d 23:59 after resolution is inside, exactly 14 d is not."""
    return resolved_at is not None and now - resolved_at < window


def plan(state: TicketState, target: str, actor: str, *, now: datetime, reopen_window: timedelta) -> Move:
    """Check a move against the table and return what to record; raise a LifecycleError if forbidden."""
    current, goal, who = parse_status(state.status), parse_status(target), Actor(actor)
    rule = TRANSITIONS.get((current, goal))
    if rule is None or who not in rule.actors:
        if current is Status.CLOSED and who is Actor.CLIENT:
            raise ReopenWindowPassed()
        raise TransitionNotAllowed(current, goal, who)
    if current is Status.RESOLVED and goal in (Status.QUEUED, Status.IN_PROGRESS) and who is Actor.CLIENT:
        if not within_reopen_window(state.resolved_at, now, reopen_window):
            raise ReopenWindowPassed(
                f"the ticket was resolved more than {reopen_window.days} days ago; please open a new ticket"
            )
    if current is Status.RESOLVED and goal is Status.CLOSED and who is Actor.SYSTEM:
        if within_reopen_window(state.resolved_at, now, reopen_window):
            raise TransitionNotAllowed(current, goal, who)
    return Move(current, goal, who, rule.event, rule.effects)


def client_reply_target(state: TicketState, *, now: datetime, reopen_window: timedelta) -> Status | None:
    """Where a client's reply takes the ticket: None = status stays, else the new status.

    Raises ReopenWindowPassed for a closed ticket or a resolved one past the window (the caller answers
    "please open a new ticket" instead of appending).
    """
    current = parse_status(state.status)
    back = Status.IN_PROGRESS if state.has_owner else Status.QUEUED
    if current is Status.CLOSED:
        raise ReopenWindowPassed()
    if current is Status.RESOLVED:
        plan(state, back, Actor.CLIENT, now=now, reopen_window=reopen_window)
        return back
    if current is Status.WAITING_FOR_CLIENT:
        return back
    return None


def allowed_targets(
    state: TicketState, actor: str, *, now: datetime, reopen_window: timedelta
) -> list[Status]:
    """The statuses this actor may move the ticket to now (for the buttons the UI shows)."""
    result = []
    for (current, goal), _rule in TRANSITIONS.items():
        if current != state.status:
            continue
        try:
            plan(state, goal, actor, now=now, reopen_window=reopen_window)
        except LifecycleError:
            continue
        result.append(goal)
    return result
