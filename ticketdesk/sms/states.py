"""The SMS attempt lifecycle as data (pure: no Flask, no database).

An attempt is one try to get one text to one phone number. Its state only moves by

* an **action** taken by us (the worker, an admin, the deadline monitor): ``apply_action``. The
  table ``ACTIONS`` lists every allowed (state, action) pair; anything else raises
  ``SmsTransitionError`` so a caller can never, for example, cancel a message already handed to
  the gateway or "approve" a delivered one.
* a **report** from the gateway (webhook or reconciliation): ``apply_report``. Reports are never
  refused, because they are facts about the outside world; every report is recorded in the
  history by the caller, but it only changes the state when it moves the message *forward*
  according to ``RANK``. Gateways deliver reports late, twice and out of order; a ``submitted``
  that arrives after ``delivered`` is history, not news.

States (from the gateway seeds 000 and 003):

========================= ====================================================================
``scheduled``             waiting for its send time; can still be cancelled
``awaiting_approval``     held before sending (unapproved link, unusual volume) until approved
``paused``                held for an admin (suspected abuse); ``resume`` releases it
``queued``                ready for the worker to hand to the gateway
``submitted``             the gateway accepted it; waiting for the operator's report
``no_coverage``           phone off / out of coverage; the operator keeps trying (up to ~7 days)
``delivered``             final: the operator confirmed delivery to the handset
``failed``                final: refused by the gateway or undeliverable (reason in the history)
``stopped``               final: cancelled before sending, or the number is on a STOP list
``unknown``               no final report by the deadline, or the submit outcome was unknown
                          (HTTP 5xx / timeout); a late final report still settles it
========================= ====================================================================

Choices worth knowing:

* The gateway status ``expired`` (validity period over, the operator gave up) becomes ``failed``
  with the note ``expired``: for the customer it is a message that did not arrive.
* ``delivered`` outranks ``failed``/``stopped``: a handset delivery receipt is positive
  evidence, so a ``delivered`` after a ``failed`` settles the message as delivered, while a
  ``failed`` after ``delivered`` is recorded and ignored. Between ``failed`` and ``stopped`` the
  first final report wins.
* ``unknown`` sits between ``submitted`` and ``no_coverage``: a late ``submitted`` leaves it
  unknown, a late ``no_coverage`` (the operator is still trying) or any final report moves it on.
* Reports for an attempt that was never handed over (``scheduled``, ``awaiting_approval``,
  ``paused``) are recorded and ignored; a report while ``queued`` is applied (the worker may have
  died between sending and recording the answer, and the gateway's word is the truth).
* ``reconcile_missing`` (``unknown`` → ``queued``) is only for an attempt whose submit outcome
  was unknown and whose reconciliation showed that the gateway never received it (lookup found
  nothing); resending it under the same idempotency key is then safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SCHEDULED: Final = "scheduled"
AWAITING_APPROVAL: Final = "awaiting_approval"
PAUSED: Final = "paused"
QUEUED: Final = "queued"
SUBMITTED: Final = "submitted"
NO_COVERAGE: Final = "no_coverage"
DELIVERED: Final = "delivered"
FAILED: Final = "failed"
STOPPED: Final = "stopped"
UNKNOWN: Final = "unknown"

STATES: Final[tuple[str, ...]] = (
    SCHEDULED,
    AWAITING_APPROVAL,
    PAUSED,
    QUEUED,
    SUBMITTED,
    NO_COVERAGE,
    DELIVERED,
    FAILED,
    STOPPED,
    UNKNOWN,
)
FINAL_STATES: Final = frozenset({DELIVERED, FAILED, STOPPED})
#: Held by us, never handed to the gateway: these can still be cancelled.
CANCELLABLE_STATES: Final = frozenset({SCHEDULED, AWAITING_APPROVAL, PAUSED, QUEUED})
#: Handed to the gateway, no final word yet: the report deadline applies to these.
AWAITING_REPORT_STATES: Final = frozenset({SUBMITTED, NO_COVERAGE})

#: Status words a gateway may report (generic HTTP protocol; other drivers map onto these).
REPORT_STATUSES: Final[tuple[str, ...]] = (
    "submitted",
    "delivered",
    "failed",
    "no_coverage",
    "expired",
    "stopped",
)
#: Report status -> the state it stands for, and the note that explains a translation.
REPORT_TARGET: Final[dict[str, tuple[str, str]]] = {
    "submitted": (SUBMITTED, ""),
    "delivered": (DELIVERED, ""),
    "failed": (FAILED, ""),
    "no_coverage": (NO_COVERAGE, ""),
    "expired": (FAILED, "expired: the operator gave up before delivery"),
    "stopped": (STOPPED, ""),
}

#: How far along a message is. Reports only ever move a message to a higher rank.
RANK: Final[dict[str, int]] = {
    SCHEDULED: 0,
    AWAITING_APPROVAL: 0,
    PAUSED: 0,
    QUEUED: 1,
    SUBMITTED: 2,
    UNKNOWN: 3,
    NO_COVERAGE: 4,
    FAILED: 5,
    STOPPED: 5,
    DELIVERED: 6,
}

#: (state, action) -> (new state, note). Everything not listed raises SmsTransitionError.
ACTIONS: Final[dict[tuple[str, str], tuple[str, str]]] = {
    (SCHEDULED, "due"): (QUEUED, "send time reached"),
    (SCHEDULED, "hold"): (AWAITING_APPROVAL, "held for approval"),
    (QUEUED, "hold"): (AWAITING_APPROVAL, "held for approval"),
    (AWAITING_APPROVAL, "approve"): (QUEUED, "approved"),
    (SCHEDULED, "pause"): (PAUSED, "paused by an admin"),
    (AWAITING_APPROVAL, "pause"): (PAUSED, "paused by an admin"),
    (QUEUED, "pause"): (PAUSED, "paused by an admin"),
    (PAUSED, "resume"): (QUEUED, "resumed"),
    (SCHEDULED, "cancel"): (STOPPED, "cancelled before sending"),
    (AWAITING_APPROVAL, "cancel"): (STOPPED, "cancelled before sending"),
    (PAUSED, "cancel"): (STOPPED, "cancelled before sending"),
    (QUEUED, "cancel"): (STOPPED, "cancelled before sending"),
    (SCHEDULED, "stop_listed"): (STOPPED, "number is on the STOP list"),
    (AWAITING_APPROVAL, "stop_listed"): (STOPPED, "number is on the STOP list"),
    (PAUSED, "stop_listed"): (STOPPED, "number is on the STOP list"),
    (QUEUED, "stop_listed"): (STOPPED, "number is on the STOP list"),
    (QUEUED, "submit_ok"): (SUBMITTED, "accepted by the gateway"),
    (QUEUED, "submit_refused"): (FAILED, "refused by the gateway"),
    (QUEUED, "submit_unknown"): (UNKNOWN, "submit outcome unknown; reconcile before resending"),
    (SUBMITTED, "deadline_passed"): (UNKNOWN, "no delivery report by the deadline"),
    (NO_COVERAGE, "deadline_passed"): (UNKNOWN, "no delivery report by the deadline"),
    (UNKNOWN, "reconcile_missing"): (QUEUED, "gateway does not have the message; safe to resend"),
}
ACTION_NAMES: Final = frozenset(action for _, action in ACTIONS)


class SmsTransitionError(Exception):
    """An action that the lifecycle does not allow in the current state."""

    def __init__(self, state: str, action: str, message: str) -> None:
        super().__init__(message)
        self.state = state
        self.action = action


class UnknownReportStatus(ValueError):
    """A report status word that is not one of REPORT_STATUSES."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """Result of applying an action or a report: the state afterwards and why."""

    new_state: str
    changed: bool
    note: str = ""


def _check_state(state: str) -> None:
    if state not in RANK:
        raise ValueError(f"unknown SMS state {state!r}; expected one of {', '.join(STATES)}")


def is_final(state: str) -> bool:
    """True for delivered, failed and stopped (``unknown`` is not final: a report can settle it)."""
    _check_state(state)
    return state in FINAL_STATES


def is_cancellable(state: str) -> bool:
    _check_state(state)
    return state in CANCELLABLE_STATES


def awaiting_report(state: str) -> bool:
    """True while the gateway has the message and we wait for the operator's report."""
    _check_state(state)
    return state in AWAITING_REPORT_STATES


def allowed_actions(state: str) -> list[str]:
    """The actions allowed in ``state``, for buttons and API validation."""
    _check_state(state)
    return sorted(action for (src, action) in ACTIONS if src == state)


def apply_action(current: str, action: str) -> Outcome:
    """Apply one of our own actions; raise SmsTransitionError when the table does not allow it."""
    _check_state(current)
    if action not in ACTION_NAMES:
        raise ValueError(f"unknown SMS action {action!r}; expected one of {', '.join(sorted(ACTION_NAMES))}")
    target = ACTIONS.get((current, action))
    if target is None:
        if current in FINAL_STATES:
            why = "the message is already final"
        elif current in AWAITING_REPORT_STATES or current == UNKNOWN:
            why = "the message has already been handed to the gateway"
        else:
            why = "not allowed in this state"
        raise SmsTransitionError(current, action, f"cannot {action} an SMS in state {current}: {why}")
    new_state, note = target
    return Outcome(new_state, True, note)


def apply_report(current: str, report: str) -> Outcome:
    """Apply a gateway report; never raises for a known status, never moves a message backwards.

    ``changed`` is False for duplicates, out-of-order reports and reports for an attempt that was
    never submitted; the caller still records the report (with ``applied=False``) in the history.
    """
    _check_state(current)
    if report not in REPORT_TARGET:
        raise UnknownReportStatus(
            f"unknown SMS report status {report!r}; expected one of {', '.join(REPORT_STATUSES)}"
        )
    target, translation = REPORT_TARGET[report]
    if RANK[current] == 0:
        return Outcome(current, False, f"{report} ignored: the message was never submitted")
    if target == current:
        return Outcome(current, False, f"duplicate {report} report: already {current}")
    if RANK[target] > RANK[current]:
        return Outcome(target, True, translation)
    if current in FINAL_STATES and target in FINAL_STATES:
        note = f"conflicting final report {report} ignored: already {current}"
    else:
        note = f"out-of-order {report} ignored: already {current}"
    return Outcome(current, False, note)
