"""Lifecycles of outages and planned maintenance, and when on-call staff must be reminded (pure).

Outage:       investigating → identified → monitoring → resolved
Maintenance:  scheduled → in_progress → verifying → completed   (or scheduled → cancelled)

Every update is a new message in the same announcement; it may keep the status (an extension, a
change of plan, "still investigating") or move it along the table below. A closed announcement
(resolved, completed, cancelled) takes no more updates.

An outage can be opened as an *internal incident* before anyone is told: it has a status but no
message sent yet. The reminders (partner-notification procedure, seed 001):

* ``outage_unannounced``  an outage open longer than the threshold (default 15 min) without any
                          announcement; repeated every ``repeat`` until it is announced or closed;
* ``outage_update_due``   an announced outage whose last message is older than ``update_every``
                          (default 30 min); again for every further lapse;
* ``completion_due``      an announced maintenance past its expected end (or start, when no end was
                          given) without its completion notice; repeated every ``repeat``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

OUTAGE, MAINTENANCE = "outage", "maintenance"
KINDS = (OUTAGE, MAINTENANCE)

FLOWS: dict[str, tuple[str, ...]] = {
    OUTAGE: ("investigating", "identified", "monitoring", "resolved"),
    MAINTENANCE: ("scheduled", "in_progress", "verifying", "completed"),
}
CLOSING: dict[str, frozenset[str]] = {
    OUTAGE: frozenset({"resolved"}),
    MAINTENANCE: frozenset({"completed", "cancelled"}),
}

# (kind, current status) → the statuses the next message may carry
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    (OUTAGE, "investigating"): ("investigating", "identified", "monitoring", "resolved"),
    (OUTAGE, "identified"): ("identified", "investigating", "monitoring", "resolved"),
    (OUTAGE, "monitoring"): ("monitoring", "identified", "investigating", "resolved"),
    (OUTAGE, "resolved"): (),
    (MAINTENANCE, "scheduled"): ("scheduled", "in_progress", "completed", "cancelled"),
    (MAINTENANCE, "in_progress"): ("in_progress", "verifying", "completed"),
    (MAINTENANCE, "verifying"): ("verifying", "in_progress", "completed"),
    (MAINTENANCE, "completed"): (),
    (MAINTENANCE, "cancelled"): (),
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "investigating": "Investigating",
        "identified": "Cause identified",
        "monitoring": "Monitoring",
        "resolved": "Resolved",
        "scheduled": "Scheduled",
        "in_progress": "In progress",
        "verifying": "Verifying",
        "completed": "Completed",
        "cancelled": "Cancelled",
    },
    "cs": {
        "investigating": "Zjišťujeme příčinu",
        "identified": "Příčina nalezena",
        "monitoring": "Sledujeme",
        "resolved": "Vyřešeno",
        "scheduled": "Naplánováno",
        "in_progress": "Probíhá",
        "verifying": "Ověřujeme",
        "completed": "Dokončeno",
        "cancelled": "Zrušeno",
    },
    "de": {
        "investigating": "Wird untersucht",
        "identified": "Ursache gefunden",
        "monitoring": "Beobachtung",
        "resolved": "Behoben",
        "scheduled": "Geplant",
        "in_progress": "Läuft",
        "verifying": "Wird überprüft",
        "completed": "Abgeschlossen",
        "cancelled": "Abgesagt",
    },
    "pl": {
        "investigating": "Badamy przyczynę",
        "identified": "Przyczyna ustalona",
        "monitoring": "Monitorujemy",
        "resolved": "Rozwiązano",
        "scheduled": "Zaplanowano",
        "in_progress": "W toku",
        "verifying": "Weryfikujemy",
        "completed": "Zakończono",
        "cancelled": "Odwołano",
    },
    "fi": {
        "investigating": "Selvitämme",
        "identified": "Syy löydetty",
        "monitoring": "Seuraamme",
        "resolved": "Korjattu",
        "scheduled": "Suunniteltu",
        "in_progress": "Käynnissä",
        "verifying": "Tarkistamme",
        "completed": "Valmis",
        "cancelled": "Peruttu",
    },
    "nb": {
        "investigating": "Undersøker",
        "identified": "Årsak funnet",
        "monitoring": "Overvåker",
        "resolved": "Løst",
        "scheduled": "Planlagt",
        "in_progress": "Pågår",
        "verifying": "Verifiserer",
        "completed": "Fullført",
        "cancelled": "Avlyst",
    },
}


class AnnouncementStateError(ValueError):
    """The status change is not in the lifecycle table."""

    code = "invalid_status"


def initial(kind: str) -> str:
    if kind not in FLOWS:
        raise AnnouncementStateError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return FLOWS[kind][0]


def statuses(kind: str) -> tuple[str, ...]:
    return FLOWS[kind] + tuple(sorted(CLOSING[kind] - set(FLOWS[kind])))


def allowed(kind: str, current: str) -> tuple[str, ...]:
    return TRANSITIONS.get((kind, current), ())


def is_closed(kind: str, status: str) -> bool:
    return status in CLOSING.get(kind, frozenset())


def check_first(kind: str, status: str | None) -> str:
    """The status of the first message: any status of the kind except a closing one."""
    status = status or initial(kind)
    if status not in statuses(kind) or is_closed(kind, status):
        open_ones = [s for s in statuses(kind) if not is_closed(kind, s)]
        raise AnnouncementStateError(f"a new {kind} starts as one of {', '.join(open_ones)}, not {status!r}")
    return status


def check_transition(kind: str, current: str, new: str) -> str:
    if is_closed(kind, current):
        raise AnnouncementStateError(f"this {kind} is {current}: it takes no more updates")
    options = allowed(kind, current)
    if new not in options:
        raise AnnouncementStateError(
            f"a {kind} that is {current} can move to {', '.join(options)}, not {new!r}"
        )
    return new


def label(status: str, language: str = "en") -> str:
    return LABELS.get(language, LABELS["en"]).get(status, status.replace("_", " "))


# --- reminders -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderPolicy:
    outage_threshold: timedelta = timedelta(minutes=15)
    update_every: timedelta = timedelta(minutes=30)
    repeat: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Snapshot:
    kind: str
    status: str
    opened_at: datetime  # outage began / incident opened (or the maintenance was created)
    announced_at: datetime | None  # first message sent
    last_message_at: datetime | None
    starts_at: datetime | None = None
    expected_end: datetime | None = None


@dataclass(frozen=True)
class Reminder:
    reason: str  # outage_unannounced | outage_update_due | completion_due
    due_since: datetime


def _due(
    reason: str, due_at: datetime, repeat: timedelta, now: datetime, last_reminded: datetime | None
) -> Reminder | None:
    if now < due_at:
        return None
    if last_reminded is not None and last_reminded >= due_at and now - last_reminded < repeat:
        return None
    return Reminder(reason, due_at)


def due_reminders(
    snapshot: Snapshot,
    *,
    now: datetime,
    policy: ReminderPolicy,
    last_reminded: dict[str, datetime] | None = None,
) -> list[Reminder]:
    """The reminders due for one announcement at ``now`` (given when each reason last reminded)."""
    last = last_reminded or {}
    if is_closed(snapshot.kind, snapshot.status):
        return []
    found: list[Reminder | None] = []
    if snapshot.kind == OUTAGE:
        if snapshot.announced_at is None:
            due_at = snapshot.opened_at + policy.outage_threshold
            found.append(
                _due("outage_unannounced", due_at, policy.repeat, now, last.get("outage_unannounced"))
            )
        else:
            due_at = (snapshot.last_message_at or snapshot.announced_at) + policy.update_every
            found.append(
                _due("outage_update_due", due_at, policy.update_every, now, last.get("outage_update_due"))
            )
    elif snapshot.announced_at is not None:
        # no times given: the completion is due a day after the announcement
        planned_end = snapshot.expected_end or snapshot.starts_at or snapshot.announced_at + timedelta(days=1)
        found.append(_due("completion_due", planned_end, policy.repeat, now, last.get("completion_due")))
    return [r for r in found if r is not None]
