"""Timed SLA work: escalation of near breaches (every minute) and the client's update mail when due
times changed (scheduled by ``service.on_due_times_changed``).

Escalation: :func:`near_breaches` finds running tickets whose first response or resolution is close to its
due time (``clock.breach_near``, settings ``sla.warn_fraction``/``sla.warn_minutes``); :func:`escalate`
warns once per (kind, due time): an event in the history, ``Ticket.sla_escalated_at``, the live
``ticket.sla_warning`` to agents after commit, and for urgent tickets an SMS to the on-call agents.
Each ticket is locked, re-checked and committed on its own, so one bad ticket never blocks the rest and
two workers never warn twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ticketdesk.extensions import db
from ticketdesk.jobs.registry import JobContext, job
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.outbound.service import queue_template
from ticketdesk.outbound.templates import pick_language
from ticketdesk.realtime.publish import publish
from ticketdesk.sla.clock import breach_near
from ticketdesk.sla.hours import business_minutes_between
from ticketdesk.sla.service import (
    OPEN,
    RUNNING,
    SYSTEM,
    DueSnapshot,
    describe_due,
    escalation_settings,
    format_due,
    policy_for,
)
from ticketdesk.tickets.effects import client_language, client_recipients
from ticketdesk.tickets.history import record
from ticketdesk.tickets.models import Ticket, TicketEvent
from ticketdesk.tickets.serialize import agent_ref, iso

log = logging.getLogger(__name__)
HORIZON = timedelta(days=45)  # a due time further away than this is never "near"


@job("sla.escalate", every=60)
def escalate_due(payload: dict[str, Any], ctx: JobContext) -> None:
    """Warn agents (live, history, on-call SMS for urgent tickets) once per near breach."""
    for near in near_breaches(db.session, now=ctx.now):
        ticket = db.session.scalar(
            select(Ticket).where(Ticket.id == near.ticket_id).with_for_update(of=Ticket)
        )
        if ticket is None:
            continue
        try:
            fired = escalate(db.session, ticket, near.kind, now=ctx.now)
            db.session.commit()
        except Exception:  # logged; one broken ticket must not stop the others (retried next minute)
            db.session.rollback()
            log.exception("SLA escalation of ticket %s (%s) failed", near.number, near.kind)
            continue
        if fired:
            log.info("SLA %s warning for ticket %s (%s)", near.kind, near.number, near.state)


@job("sla.notify_change")
def notify_change(payload: dict[str, Any], ctx: JobContext) -> None:
    """Tell the client the new due times (if they moved enough since they were last told)."""
    ticket = db.session.scalar(
        select(Ticket).where(Ticket.number == payload.get("number")).with_for_update(of=Ticket)
    )
    if ticket is not None:
        send_due_time_update(db.session, ticket, now=ctx.now)


# --- the client's update mail ------------------------------------------------------------------------


def send_due_time_update(session: Session, ticket: Ticket, *, now: datetime) -> bool:
    """Mail the client the current due times if they differ enough from what they were last told."""
    if ticket.status not in OPEN:
        return False
    told_event = session.scalar(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_(("sla.due_times", "sla.notified")))
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    current = DueSnapshot.of(ticket)
    if told_event is None or not told_event.after:
        _record_notified(session, ticket, current, now=now)
        return False
    told = DueSnapshot.from_dict(told_event.after)
    last_change = session.scalar(
        select(TicketEvent.created_at)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "sla.changed")
        .order_by(TicketEvent.id.desc())
    )
    status_mail = last_change is not None and session.scalar(
        select(OutboundMail.id)
        .where(
            OutboundMail.ticket_id == ticket.id,
            OutboundMail.kind.in_(("status", "ack")),
            OutboundMail.created_at >= last_change,
        )
        .limit(1)
    )
    if status_mail:  # the status mail sent with the change already carried the new due times
        _record_notified(session, ticket, current, now=now, note=" (in the status mail)")
        return False
    threshold = timedelta(minutes=escalation_settings(session).notify_threshold_minutes)
    if told.priority == current.priority and current.moved(told) <= threshold:
        return False
    _mail_update(session, ticket, told, current, now=now)
    _record_notified(session, ticket, current, now=now, told=told)
    return True


def _record_notified(
    session: Session,
    ticket: Ticket,
    current: DueSnapshot,
    *,
    now: datetime,
    told: DueSnapshot | None = None,
    note: str = "",
) -> None:
    """The client now knows ``current`` (the next change is compared with it)."""
    record(
        session,
        ticket,
        SYSTEM,
        "sla.notified",
        now=now,
        before=told.to_dict() if told else None,
        after=current.to_dict(),
        detail=describe_due(current) + note,
    )


def _mail_update(
    session: Session, ticket: Ticket, told: DueSnapshot, current: DueSnapshot, *, now: datetime
) -> None:
    zone = policy_for(session, ticket.organization_id).calendar.timezone
    language = pick_language(client_language(ticket))
    cause = (
        "priority"
        if told.priority != current.priority
        else "paused"
        if current.paused_minutes != told.paused_minutes
        else "other"
    )
    to, cc = client_recipients(ticket)
    queue_template(
        session,
        kind="sla_update",
        to=to,
        cc=cc,
        language=language,
        now=now,
        ticket=ticket,
        name=ticket.requester.name if ticket.requester else "",
        cause=cause,
        priority=current.priority,
        old_priority=told.priority,
        first_response_due=format_due(current.first_response_due, zone, language),
        resolution_due=format_due(current.resolution_due, zone, language),
        old_first_response_due=format_due(told.first_response_due, zone, language),
        old_resolution_due=format_due(told.resolution_due, zone, language),
    )


# --- escalation ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearBreach:
    ticket_id: int
    number: int
    kind: str
    due: datetime
    state: str  # near | breached


def near_breaches(session: Session, *, now: datetime, limit: int = 1000) -> list[NearBreach]:
    """Running tickets whose first response or resolution is near its due time and not yet warned about."""
    warn = escalation_settings(session)
    horizon = now + HORIZON
    rows = session.execute(
        select(
            Ticket.id,
            Ticket.number,
            Ticket.priority,
            Ticket.organization_id,
            Ticket.first_response_due,
            Ticket.first_responded_at,
            Ticket.resolution_due,
            Ticket.sla_paused_since,
        )
        .where(
            Ticket.status.in_(RUNNING),
            or_(
                and_(Ticket.first_responded_at.is_(None), Ticket.first_response_due <= horizon),
                and_(Ticket.sla_paused_since.is_(None), Ticket.resolution_due <= horizon),
            ),
        )
        .order_by(Ticket.id)
        .limit(limit)
    ).all()
    found: list[NearBreach] = []
    for tid, number, priority, org_id, first_due, responded, resolution_due, paused in rows:
        policy = policy_for(session, org_id)
        target, cal = policy.target(priority), policy.calendar_for(priority)
        checks = []
        if responded is None and first_due is not None:
            checks.append(("first_response", first_due, target.first_response_minutes))
        if paused is None and resolution_due is not None:
            checks.append(("resolution", resolution_due, target.resolution_minutes))
        for kind, due, minutes in checks:
            if breach_near(
                due,
                now,
                cal,
                warn_fraction=warn.warn_fraction,
                warn_minutes=warn.warn_minutes,
                target_minutes=minutes,
            ):
                found.append(
                    NearBreach(tid, int(number or 0), kind, due, "breached" if now >= due else "near")
                )
    if not found:
        return []
    warned = {
        (tid, (after or {}).get("kind"), (after or {}).get("due"))
        for tid, after in session.execute(
            select(TicketEvent.ticket_id, TicketEvent.after).where(
                TicketEvent.kind == "sla.warning", TicketEvent.ticket_id.in_({f.ticket_id for f in found})
            )
        )
    }
    return [f for f in found if (f.ticket_id, f.kind, iso(f.due)) not in warned]


def escalate(session: Session, ticket: Ticket, kind: str, *, now: datetime) -> bool:
    """Warn about one near breach (the caller holds the row lock); False when it no longer applies
    or was already warned about for this due time."""
    due = ticket.first_response_due if kind == "first_response" else ticket.resolution_due
    if due is None or ticket.status not in RUNNING:
        return False
    if (kind == "first_response" and ticket.first_responded_at is not None) or (
        kind == "resolution" and ticket.sla_paused_since is not None
    ):
        return False
    done = session.scalars(
        select(TicketEvent.after).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "sla.warning")
    )
    if any((a or {}).get("kind") == kind and (a or {}).get("due") == iso(due) for a in done):
        return False
    policy = policy_for(session, ticket.organization_id)
    cal = policy.calendar_for(ticket.priority)
    left = business_minutes_between(cal, now, due)
    state = "breached" if now >= due else "near"
    sms: list[int] = []
    if ticket.priority == "urgent" and escalation_settings(session).sms_on_urgent:
        sms = [n.id for n in _sms_on_call(session, ticket, now=now)]
    label = "First response" if kind == "first_response" else "Resolution"
    detail = (
        f"{label} due {iso(due)}: breached {abs(left)} business min ago"
        if state == "breached"
        else f"{label} due {iso(due)}: {left} business min left"
    )
    if sms:
        detail += f"; SMS to the on-call agent ({len(sms)})"
    record(
        session,
        ticket,
        SYSTEM,
        "sla.warning",
        now=now,
        client_visible=False,
        detail=detail,
        after={"kind": kind, "due": iso(due), "state": state, "sms": sms},
    )
    ticket.sla_escalated_at = now
    publish(
        session,
        "ticket.sla_warning",
        {
            "number": ticket.number,
            "subject": ticket.subject,
            "kind": kind,
            "state": state,
            "due": iso(due),
            "business_minutes_left": left,
            "priority": ticket.priority,
            "queue": ticket.queue.slug,
            "organization": {"id": ticket.organization_id, "name": ticket.organization.name},
            "assignee": agent_ref(ticket.assignee),
            "claimed_by": agent_ref(ticket.claimed_by),
            "sms": len(sms),
            "at": iso(now),
        },
        ["agents", f"queue:{ticket.queue.slug}"],
    )
    return True


def _sms_on_call(session: Session, ticket: Ticket, *, now: datetime) -> list[Any]:
    """The on-call SMS through the SMS service (its escalation text, in each agent's language)."""
    from ticketdesk.sms.service import notify_on_call

    return list(notify_on_call(session, text=None, now=now, ticket=ticket))
