"""SLA against the database: the stored policy and settings, due-time changes, the clocks' state for pages.

Where the policy lives (admins edit it on ``/admin/sla``):

* setting ``sla.policy`` — the team's policy, ``SlaPolicy.to_dict()`` (business calendar and a target
  per priority);
* ``sla_policies`` rows (``ticketdesk.admin.models.SlaPolicy``) — an organisation's own targets. The
  row's ``calendar`` JSON is ``{"around_the_clock": bool, "calendar": {BusinessCalendar dict}}``, both
  keys optional: the organisation's calendar (the same on each of its rows) and whether that
  priority counts around the clock. Rows without an organisation apply to everybody.
* settings ``sla.warn_fraction`` (0.8: warn when 80 % of a target is used), ``sla.warn_minutes``
  (instead: warn when this many business minutes are left), ``sla.escalation_sms`` (true: SMS the
  on-call agent for urgent tickets), ``sla.notify_threshold_minutes`` (60) and
  ``sla.notify_delay_seconds`` (60) for the client's update mail.

Due-time changes: ``triage.recompute_sla`` calls :func:`on_due_times_changed`, which records the
change and schedules the job ``sla.notify_change`` after a short delay (so a burst of changes gives one
mail); ``sla.jobs.send_due_time_update`` mails the client only when the priority changed or a due time
moved by more than the threshold against what the client was last told (events ``sla.due_times`` at
opening and ``sla.notified``). Escalation lives in ``ticketdesk.sla.jobs``; :func:`clock_state` gives
pages and the API the state of both clocks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.admin.models import SlaPolicy as SlaPolicyRow
from ticketdesk.admin.store import cached, clear_cache, get_value, set_value
from ticketdesk.jobs.queue import enqueue
from ticketdesk.sla.clock import sla_state
from ticketdesk.sla.hours import BusinessCalendar, business_minutes_between, ensure_utc
from ticketdesk.sla.targets import PRIORITIES, SlaPolicy, SlaTarget
from ticketdesk.tickets.history import ActorRef, record
from ticketdesk.tickets.models import Ticket
from ticketdesk.tickets.serialize import iso

log = logging.getLogger(__name__)

OPEN = ("queued", "in_progress", "waiting_for_client", "scheduled")
RUNNING = ("queued", "in_progress")  # statuses whose SLA clocks run (scheduled work has its own date)
KINDS = ("first_response", "resolution")
SYSTEM = ActorRef.system("sla")


# --- the policy -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    """Admin-editable escalation and notification settings."""

    warn_fraction: float = 0.8
    warn_minutes: int | None = None
    sms_on_urgent: bool = True
    notify_threshold_minutes: int = 60
    notify_delay_seconds: int = 60


def escalation_settings(session: Session) -> Escalation:
    minutes = get_value(session, "sla.warn_minutes")
    return Escalation(
        warn_fraction=float(get_value(session, "sla.warn_fraction", 0.8)),
        warn_minutes=int(minutes) if minutes not in (None, "") else None,
        sms_on_urgent=bool(get_value(session, "sla.escalation_sms", True)),
        notify_threshold_minutes=int(get_value(session, "sla.notify_threshold_minutes", 60)),
        notify_delay_seconds=int(get_value(session, "sla.notify_delay_seconds", 60)),
    )


def save_escalation_settings(session: Session, value: Escalation, *, by: str = "") -> None:
    if not 0.0 < value.warn_fraction <= 1.0:
        raise ValueError("the warning point must be between 1 and 100 % of the target")
    if value.warn_minutes is not None and value.warn_minutes < 0:
        raise ValueError("warning minutes must not be negative")
    if value.notify_threshold_minutes < 0 or value.notify_delay_seconds < 0:
        raise ValueError("the update threshold and delay must not be negative")
    set_value(session, "sla.warn_fraction", value.warn_fraction, by=by)
    set_value(session, "sla.warn_minutes", value.warn_minutes, by=by)
    set_value(session, "sla.escalation_sms", value.sms_on_urgent, by=by)
    set_value(session, "sla.notify_threshold_minutes", value.notify_threshold_minutes, by=by)
    set_value(session, "sla.notify_delay_seconds", value.notify_delay_seconds, by=by)


RowKey = tuple[int | None, str, int, int, str]


def _rows(session: Session) -> list[RowKey]:
    return cached(
        "sla.rows",
        lambda: [
            (
                r.organization_id,
                r.priority,
                r.first_response_minutes,
                r.resolution_minutes,
                json.dumps(r.calendar or {}, sort_keys=True),
            )
            for r in session.scalars(select(SlaPolicyRow).order_by(SlaPolicyRow.id))
        ],
    )


@lru_cache(maxsize=64)
def _base_policy(stored_json: str) -> SlaPolicy:
    stored = json.loads(stored_json)
    try:
        return SlaPolicy.from_dict(stored) if stored else SlaPolicy()
    except ValueError:
        log.exception("the stored SLA policy is invalid; the shipped defaults apply")
        return SlaPolicy()


@lru_cache(maxsize=1024)
def _overlaid(stored_json: str, rows: tuple[RowKey, ...]) -> SlaPolicy:
    base = _base_policy(stored_json)
    calendar, targets = base.calendar, dict(base.targets)
    for _org, priority, first, resolution, spec_json in rows:  # global rows first, then the organisation's
        spec = json.loads(spec_json)
        try:
            if spec.get("calendar"):
                calendar = BusinessCalendar.from_dict(spec["calendar"])
            around = spec.get("around_the_clock")
            inherited = targets[priority].around_the_clock if priority in targets else False
            targets[priority] = SlaTarget(first, resolution, inherited if around is None else bool(around))
        except (ValueError, KeyError):
            log.exception("SLA policy row for %s is invalid; skipped", priority)
    return SlaPolicy(calendar=calendar, targets=targets)


def policy_for(session: Session, organization_id: int | None) -> SlaPolicy:
    """The team policy with the organisation's own rows over it (built once, then cached)."""
    stored_json = json.dumps(get_value(session, "sla.policy") or {}, sort_keys=True)
    mine = tuple(
        sorted(
            (r for r in _rows(session) if r[0] is None or r[0] == organization_id),
            key=lambda r: r[0] is not None,
        )
    )
    return _overlaid(stored_json, mine) if mine else _base_policy(stored_json)


def save_team_policy(session: Session, policy: SlaPolicy, *, by: str = "") -> None:
    set_value(session, "sla.policy", policy.to_dict(), by=by)


@dataclass(frozen=True)
class OrgOverride:
    organization_id: int
    targets: Mapping[str, SlaTarget]
    calendar: BusinessCalendar | None


def org_overrides(session: Session) -> dict[int, OrgOverride]:
    """Every organisation with its own targets (and maybe calendar)."""
    found: dict[int, dict[str, Any]] = {}
    for row in session.scalars(select(SlaPolicyRow).where(SlaPolicyRow.organization_id.is_not(None))):
        entry = found.setdefault(int(row.organization_id or 0), {"targets": {}, "calendar": None})
        spec = row.calendar or {}
        around = bool(spec.get("around_the_clock", False))
        entry["targets"][row.priority] = SlaTarget(row.first_response_minutes, row.resolution_minutes, around)
        if spec.get("calendar") and entry["calendar"] is None:
            entry["calendar"] = BusinessCalendar.from_dict(spec["calendar"])
    return {org: OrgOverride(org, e["targets"], e["calendar"]) for org, e in found.items()}


def save_org_override(
    session: Session,
    organization_id: int,
    targets: Mapping[str, SlaTarget],
    calendar: BusinessCalendar | None,
) -> None:
    """Replace an organisation's own targets (every priority) and calendar (None: the team's)."""
    missing = [p for p in PRIORITIES if p not in targets]
    if missing:
        raise ValueError(f"targets missing for: {', '.join(missing)}")
    existing = {
        r.priority: r
        for r in session.scalars(select(SlaPolicyRow).where(SlaPolicyRow.organization_id == organization_id))
    }
    for priority in PRIORITIES:
        target = targets[priority]
        spec: dict[str, Any] = {"around_the_clock": target.around_the_clock}
        if calendar is not None:
            spec["calendar"] = calendar.to_dict()
        row = existing.get(priority) or SlaPolicyRow(organization_id=organization_id, priority=priority)
        row.first_response_minutes, row.resolution_minutes, row.calendar = (
            target.first_response_minutes,
            target.resolution_minutes,
            spec,
        )
        session.add(row)
    session.flush()
    clear_cache()


def delete_org_override(session: Session, organization_id: int) -> None:
    for row in session.scalars(select(SlaPolicyRow).where(SlaPolicyRow.organization_id == organization_id)):
        session.delete(row)
    session.flush()
    clear_cache()


# --- what the client was told, and updates when it changes ------------------------------------


@dataclass(frozen=True)
class DueSnapshot:
    priority: str
    first_response_due: datetime | None  # None once answered
    resolution_due: datetime | None
    paused_minutes: int = 0

    @classmethod
    def of(cls, ticket: Ticket) -> DueSnapshot:
        first = ticket.first_response_due if ticket.first_responded_at is None else None
        return cls(ticket.priority, first, ticket.resolution_due, ticket.sla_paused_minutes or 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "priority": self.priority,
            "first_response_due": iso(self.first_response_due),
            "resolution_due": iso(self.resolution_due),
            "paused_minutes": self.paused_minutes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DueSnapshot:
        def when(value: Any) -> datetime | None:
            return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

        return cls(
            str(data.get("priority") or "normal"),
            when(data.get("first_response_due")),
            when(data.get("resolution_due")),
            int(data.get("paused_minutes") or 0),
        )

    def moved(self, other: DueSnapshot) -> timedelta:
        """The largest shift of a due time both snapshots know."""
        shifts = [
            abs(a - b)
            for a, b in (
                (self.first_response_due, other.first_response_due),
                (self.resolution_due, other.resolution_due),
            )
            if a and b
        ]
        return max(shifts, default=timedelta(0))


def on_due_times_changed(
    session: Session, ticket: Ticket, before: DueSnapshot | None, *, now: datetime
) -> None:
    """Record new due times; schedule the client's update mail (debounced) when they changed."""
    after = DueSnapshot.of(ticket)
    if before is None:  # the ticket just opened: the acknowledgement tells the client these
        record(
            session,
            ticket,
            SYSTEM,
            "sla.due_times",
            now=now,
            after=after.to_dict(),
            detail=describe_due(after),
        )
        return
    if after == before:
        return
    record(
        session,
        ticket,
        SYSTEM,
        "sla.changed",
        now=now,
        before=before.to_dict(),
        after=after.to_dict(),
        detail=describe_due(after),
        client_visible=False,
    )
    if ticket.status not in OPEN:
        return
    delay = max(1, escalation_settings(session).notify_delay_seconds)
    enqueue(
        session,
        "sla.notify_change",
        {"number": ticket.number},
        run_at=now + timedelta(seconds=delay),
        dedupe_key=f"sla.notify:{ticket.id}:{int(now.timestamp()) // delay}",
    )


def format_due(value: datetime | None, zone: str, language: str = "en") -> str | None:
    """A due time as the client reads it: local time of the team's calendar with the zone's abbreviation."""
    if value is None:
        return None
    local = ensure_utc(value).astimezone(BusinessCalendar.twenty_four_seven(zone).zone)
    pattern = "%d. %m. %Y %H:%M" if language == "cs" else "%Y-%m-%d %H:%M"
    return f"{local.strftime(pattern)} {local.tzname()}"


def describe_due(s: DueSnapshot) -> str:
    parts = [f"priority {s.priority}"]
    if s.first_response_due:
        parts.append(f"first response by {iso(s.first_response_due)}")
    if s.resolution_due:
        parts.append(f"resolution by {iso(s.resolution_due)}")
    return "; ".join(parts)


# --- state for agents and escalation ---------------------------------------------------------------


def clock_state(session: Session, ticket: Ticket, *, now: datetime) -> dict[str, Any]:
    """``{"first_response": {...}, "resolution": {...}}`` each with ``due``, ``state``
    (ok/near/breached/met/paused/stopped) and ``business_minutes_left`` — for pages and the API."""
    policy = policy_for(session, ticket.organization_id)
    cal = policy.calendar_for(ticket.priority)
    warn = escalation_settings(session)
    result: dict[str, Any] = {}
    for kind in KINDS:
        due = ticket.first_response_due if kind == "first_response" else ticket.resolution_due
        entry: dict[str, Any] = {"due": iso(due), "state": "ok", "business_minutes_left": None}
        if due is None:
            entry["state"] = "none"
        elif kind == "first_response" and ticket.first_responded_at is not None:
            entry["state"] = "met" if ticket.first_responded_at <= due else "late"
        elif ticket.status not in OPEN:
            entry["state"] = "stopped"
        elif kind == "resolution" and ticket.sla_paused_since is not None:
            entry["state"] = "paused"
        else:
            target = policy.target(ticket.priority)
            minutes = target.first_response_minutes if kind == "first_response" else target.resolution_minutes
            entry["state"] = sla_state(
                due,
                now,
                cal,
                warn_fraction=warn.warn_fraction,
                warn_minutes=warn.warn_minutes,
                target_minutes=minutes,
            )
            entry["business_minutes_left"] = business_minutes_between(cal, now, due)
        result[kind] = entry
    return result
