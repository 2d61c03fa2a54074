"""Writes for phone calls: call events into the call log, caller verification, tickets from calls.

Verification (DESIGN.md rule 10): caller ID alone never verifies anybody, because it can be
spoofed. A matched number makes the caller *recognised*; *verified* needs a secret the caller
states: the organisation's PIN when it has one (also from a known number), or, for an
organisation without a PIN, its client number. From an unknown number the client number names
the organisation, plus the PIN when one is set. Every attempt is recorded (never the PIN itself)
and checked against the lockout of both the organisation and the call (``pin.py``).

Who may discuss what: for an organisation with a PIN, nothing is opened or attached before the
caller is verified; for one without a PIN, a recognised caller may open a ticket, and the ticket
records that the caller was only recognised.

The caller owns the transaction and commits; live events go out after the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticketdesk.accounts.models import Agent
from ticketdesk.accounts.service import verify_secret
from ticketdesk.admin.store import get_value
from ticketdesk.contacts.models import Contact, Organization
from ticketdesk.errors import Conflict, ValidationFailed
from ticketdesk.phone import queries
from ticketdesk.phone.models import Call, CallEvent, PinAttempt
from ticketdesk.phone.pin import PinPolicy, clean_client_number, clean_pin, lock_state, strictest
from ticketdesk.phone.webhooks import CtiEvent
from ticketdesk.realtime.publish import publish
from ticketdesk.tickets import service as tickets
from ticketdesk.tickets.history import ActorRef, record
from ticketdesk.tickets.models import Queue, Ticket
from ticketdesk.tickets.serialize import iso

log = logging.getLogger(__name__)
AGENT_ROOMS = ["agents"]


# --- call events -------------------------------------------------------------------------------------


def _identify(session: Session, call: Call, ev: CtiEvent, default_region: str | None) -> None:
    """Match the other party's number (the caller for inbound calls) to contacts; snapshot the result."""
    party, line = (ev.from_number, ev.to_number) if ev.direction == "in" else (ev.to_number, ev.from_number)
    found = queries.match_number(
        session,
        party,
        called=line,
        default_region=default_region,
        digits_are_international=ev.digits_are_international,
    )
    if ev.direction == "in":
        call.from_e164 = found.e164
    call.candidate_contact_ids = [c.contact_id for c in found.candidates]
    call.contact_id = found.contact_id
    call.organization_id = found.organization_id
    org_ids = {c.organization_id for c in found.candidates}
    call.pin_required = (
        any(org.pin_set for org in session.scalars(select(Organization).where(Organization.id.in_(org_ids))))
        if org_ids
        else False
    )


def _new_call(session: Session, ev: CtiEvent, *, now: datetime, default_region: str | None) -> Call | None:
    call = Call(
        external_id=ev.call_id,
        from_raw=ev.from_number,
        to_raw=ev.to_number,
        direction=ev.direction,
        agent_user=ev.user,
        state="ringing",
        started_at=now,
    )
    _identify(session, call, ev, default_region)
    try:
        with session.begin_nested():
            session.add(call)
            session.flush()
    except IntegrityError:  # the same callId arrived twice at once: the other request created it
        return None
    return call


def record_event(
    session: Session, ev: CtiEvent, *, now: datetime, default_region: str | None
) -> tuple[Call, bool]:
    """Log one PBX event; returns (call, is_new). A new inbound call is pushed to agents as ``call.incoming``.

    Events may repeat (PBX retries) or come out of order (a hangup for a call we never saw): every
    one is logged, a repeated ``newCall`` creates nothing new, an unknown call is created from
    whatever event names it first.
    """
    call = queries.call_by_external_id(session, ev.call_id, for_update=True)
    created = False
    if call is None:
        call = _new_call(session, ev, now=now, default_region=default_region)
        if call is None:
            call = queries.call_by_external_id(session, ev.call_id, for_update=True)
            assert call is not None
        else:
            created = True
    if ev.event == "answer" and call.state != "ended":
        call.state = "answered"
        call.answered_at = call.answered_at or now
        call.agent_user = ev.user or call.agent_user
    elif ev.event == "hangup":
        call.state = "ended"
        call.ended_at = call.ended_at or now
    session.add(CallEvent(call_id=call.id, event=ev.event, payload=ev.payload, created_at=now))
    session.flush()
    if created and ev.event == "newCall" and ev.direction == "in":
        popup = queries.popup_dict(session, call)
        publish(
            session,
            "call.incoming",
            {"id": call.id, "call_id": call.external_id, "from": call.from_raw, "call": popup},
            AGENT_ROOMS,
        )
    elif not created and ev.event in ("answer", "hangup"):
        _updated(session, call, {"state": call.state})
    return call, created


def _updated(session: Session, call: Call, changes: dict[str, Any]) -> None:
    publish(
        session, "call.updated", {"id": call.id, "call_id": call.external_id, "changes": changes}, AGENT_ROOMS
    )


def _log(session: Session, call: Call, event: str, payload: dict[str, Any], now: datetime) -> None:
    session.add(CallEvent(call_id=call.id, event=event, payload=payload, created_at=now))


# --- verification ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    verified: bool
    outcome: str  # ok | wrong_pin | wrong_client_number | locked
    attempts_left: int
    locked_until: datetime | None
    organization: Organization | None


def pin_policy(session: Session) -> PinPolicy:
    """The lockout rule, adjustable by admins (settings ``phone.pin_max_failures``, ``phone.pin_lockout_minutes``)."""
    return PinPolicy(
        max_failures=int(get_value(session, "phone.pin_max_failures", 5)),
        lockout=timedelta(minutes=int(get_value(session, "phone.pin_lockout_minutes", 15))),
    )


def _lock_org(session: Session, org_id: int) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.id == org_id).with_for_update())


def verify_caller(
    session: Session,
    call: Call,
    *,
    pin: str | None,
    client_number: str | None,
    now: datetime,
    source: str = "agent",
    agent: Agent | None = None,
    policy: PinPolicy = PinPolicy(),
) -> Verification:
    """Check what the caller stated. Wrong or locked → a result with ``verified`` False (recorded, and the
    caller must commit it); a request that cannot be checked at all → ValidationFailed/Conflict."""
    pin, number = clean_pin(pin), clean_client_number(client_number)
    if pin is None and number is None:
        raise ValidationFailed(
            "send the PIN the caller states, or the client number (and PIN) from an unknown number",
            code="nothing_to_check",
        )
    if number is not None:
        org = queries.organization_by_client_number(session, number)
        org = _lock_org(session, org.id) if org is not None else None
    elif call.organization_id is not None:
        org = _lock_org(session, call.organization_id)
    else:
        raise ValidationFailed("unknown caller: ask for the client number", code="client_number_required")

    states = [lock_state(queries.pin_history(session, now=now, call_id=call.id), now, policy)]
    if org is not None:
        states.append(lock_state(queries.pin_history(session, now=now, organization_id=org.id), now, policy))
    before = strictest(*states)
    attempt = PinAttempt(
        organization_id=org.id if org else None,
        call_id=call.id,
        source=source,
        agent_id=agent.id if agent else None,
        client_number=number,
        created_at=now,
    )
    if before.locked:
        attempt.outcome, attempt.success = "locked", False
        session.add(attempt)
        _log(session, call, "pin.locked", {"source": source, "locked_until": iso(before.locked_until)}, now)
        session.flush()
        return Verification(False, "locked", 0, before.locked_until, org)

    if org is not None and org.pin_set and pin is None:
        raise ValidationFailed("this organisation has a PIN: ask the caller for it", code="pin_required")
    if org is not None and not org.pin_set and number is None:
        raise Conflict(
            "this organisation has no PIN: verify the caller with the client number", code="no_pin_set"
        )
    if org is None:
        ok, outcome = False, "wrong_client_number"
    elif org.pin_set:
        ok = verify_secret(org.pin_hash, pin or "")
        outcome = "ok" if ok else "wrong_pin"
    else:
        ok, outcome = True, "ok"  # no PIN set: the client number is what authorises (rule 10)
    attempt.outcome, attempt.success = outcome, ok
    session.add(attempt)
    session.flush()

    states = [lock_state(queries.pin_history(session, now=now, call_id=call.id), now, policy)]
    if org is not None:
        states.append(lock_state(queries.pin_history(session, now=now, organization_id=org.id), now, policy))
    after = strictest(*states)
    method = ("client_number+pin" if pin and org and org.pin_set else "client_number") if number else "pin"
    if ok:
        assert org is not None
        _mark_verified(session, call, org, method=method, now=now)
    _log(
        session,
        call,
        "pin.check",
        {
            "source": source,
            "outcome": outcome,
            "method": method,
            "attempts_left": after.attempts_left,
            "locked_until": iso(after.locked_until),
        },
        now,
    )
    if call.ticket_id:
        _ticket_note(session, call, agent, now=now, kind="call.verification")
    session.flush()
    _updated(
        session, call, {"verified": call.verified, "status": outcome, "attempts_left": after.attempts_left}
    )
    return Verification(ok, outcome, after.attempts_left, after.locked_until, org)


def _mark_verified(session: Session, call: Call, org: Organization, *, method: str, now: datetime) -> None:
    if call.organization_id != org.id:  # the caller named another organisation than the number suggested
        call.organization_id = org.id
        call.pin_required = org.pin_set
    if call.contact_id is not None:
        contact = session.get(Contact, call.contact_id)
        if contact is None or contact.organization_id != org.id:
            call.contact_id = None
    if call.contact_id is None:
        same_org = [
            c
            for c in queries.contacts_by_id(session, call.candidate_contact_ids or [])
            if c.organization_id == org.id
        ]
        call.contact_id = same_org[0].id if len(same_org) == 1 else None
    call.verified, call.verified_method, call.verified_at = True, method, now


def verification_record(session: Session, call: Call) -> dict[str, Any]:
    """What a ticket keeps about the call it came from: who called and how far they were verified."""
    data = queries.call_dict(session, call)
    return {
        "call_id": call.id,
        "from": call.from_e164 or call.from_raw,
        "status": data["status"],
        "verified": call.verified,
        "method": call.verified_method,
        "pin_required": call.pin_required,
    }


def _ticket_note(session: Session, call: Call, agent: Agent | None, *, now: datetime, kind: str) -> None:
    ticket = session.get(Ticket, call.ticket_id)
    if ticket is None:
        return
    actor = ActorRef.agent(agent) if agent else ActorRef.system("phone")
    info = verification_record(session, call)
    record(
        session,
        ticket,
        actor,
        kind,
        now=now,
        after=info,
        client_visible=False,
        detail=queries.call_dict(session, call)["status_text"],
    )


# --- tickets from calls ------------------------------------------------------------------------------


def _may_discuss(session: Session, call: Call) -> Organization:
    if call.organization_id is None:
        raise Conflict("unknown caller: verify them with the client number first", code="caller_unknown")
    org = session.get(Organization, call.organization_id)
    assert org is not None
    if org.pin_set and not call.verified:
        raise Conflict("the organisation has a PIN: verify the caller first", code="verification_required")
    return org


def open_ticket(
    session: Session,
    call: Call,
    *,
    agent: Agent,
    subject: str,
    text: str,
    queue: Queue,
    now: datetime,
    contact_id: int | None = None,
    priority: str | None = None,
) -> Ticket:
    """Open a ticket for the caller (channel ``phone``) with the agent's summary as its first message."""
    org = _may_discuss(session, call)
    requester = (
        session.get(Contact, contact_id or call.contact_id) if (contact_id or call.contact_id) else None
    )
    if requester is None:
        raise ValidationFailed(
            "choose who is calling among the organisation's contacts (contact_id)", code="contact_required"
        )
    if requester.organization_id != org.id or not requester.active or not requester.technical:
        raise ValidationFailed(
            "the caller must be an active technical contact of the organisation", code="not_technical_contact"
        )
    ticket, _ = tickets.create_ticket(
        session,
        organization=org,
        requester=requester,
        queue=queue,
        subject=subject,
        message=tickets.NewMessage(
            text=text,
            channel="phone",
            direction="in",
            subject=subject,
            from_addr=requester.primary_email or "",
            from_name=requester.name,
        ),
        actor=ActorRef.agent(agent),
        now=now,
        priority=priority,
    )
    call.ticket_id = ticket.id
    if call.contact_id is None:
        call.contact_id = requester.id
    _log(session, call, "ticket.opened", {"ticket": ticket.number, "agent_id": agent.id}, now)
    _ticket_note(session, call, agent, now=now, kind="call.linked")
    session.flush()
    _updated(session, call, {"ticket": ticket.number})
    return ticket


def attach_ticket(session: Session, call: Call, ticket: Ticket, *, agent: Agent, now: datetime) -> Ticket:
    """Attach the call to one of the caller's organisation's tickets (a ticket event records it)."""
    org = _may_discuss(session, call)
    if ticket.organization_id != org.id:
        raise ValidationFailed("the ticket belongs to another organisation", code="other_organization")
    call.ticket_id = ticket.id
    _log(session, call, "ticket.attached", {"ticket": ticket.number, "agent_id": agent.id}, now)
    _ticket_note(session, call, agent, now=now, kind="call.attached")
    session.flush()
    _updated(session, call, {"ticket": ticket.number})
    return ticket
