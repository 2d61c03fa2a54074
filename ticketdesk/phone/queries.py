"""Reads for phone calls: who a number belongs to, the call log, and the JSON shapes of calls.

Only active technical contacts are ever matched: a removed contact's number identifies nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ticketdesk.contacts.models import Contact, ContactPhone, Organization
from ticketdesk.contacts.serialize import contact_dict, organization_dict
from ticketdesk.errors import NotFound, ValidationFailed
from ticketdesk.phone import matching
from ticketdesk.phone.models import Call, CallEvent, PinAttempt
from ticketdesk.phone.pin import Attempt, clean_client_number, describe
from ticketdesk.tickets.models import Ticket
from ticketdesk.tickets.serialize import iso, ticket_summary
from ticketdesk.tickets.states import OPEN_STATUSES

CHECKED_OUTCOMES = ("ok", "wrong_pin", "wrong_client_number")
HISTORY_SPAN = timedelta(hours=24)


@dataclass(frozen=True)
class Match:
    reads: list[matching.Reading]
    candidates: list[matching.Candidate]

    @property
    def organization_id(self) -> int | None:
        return matching.single_organization(self.candidates)

    @property
    def contact_id(self) -> int | None:
        return self.candidates[0].contact_id if len(self.candidates) == 1 else None

    @property
    def e164(self) -> str | None:
        if self.candidates:
            return self.candidates[0].e164
        return self.reads[0].e164 if self.reads else None


def org_regions(session: Session) -> list[str]:
    return [r for r in session.scalars(select(Organization.default_region).distinct()) if r]


def candidates(session: Session, numbers: Sequence[str]) -> list[matching.Candidate]:
    if not numbers:
        return []
    rows = session.execute(
        select(
            ContactPhone.contact_id, Contact.organization_id, Organization.default_region, ContactPhone.e164
        )
        .join(Contact, Contact.id == ContactPhone.contact_id)
        .join(Organization, Organization.id == Contact.organization_id)
        .where(
            ContactPhone.e164.in_(sorted(set(numbers))),
            Contact.active.is_(True),
            Contact.technical.is_(True),
            Contact.removed_at.is_(None),
        )
    )
    return [
        matching.Candidate(contact_id=c, organization_id=o, org_region=r or "", e164=n) for c, o, r, n in rows
    ]


def match_number(
    session: Session,
    raw: str | None,
    *,
    called: str | None,
    default_region: str | None,
    digits_are_international: bool = False,
) -> Match:
    """The contacts a caller ID (in any form) belongs to: the best-ranked ones, possibly several."""
    line = matching.line_region(called, default_region, digits_are_international=digits_are_international)
    reads = matching.readings(
        raw,
        line_regions=[line, default_region],
        org_regions=org_regions(session),
        digits_are_international=digits_are_international,
    )
    found = candidates(session, [r.e164 for r in reads])
    return Match(reads=reads, candidates=matching.rank(found, reads))


def contacts_by_id(session: Session, ids: Sequence[int]) -> list[Contact]:
    if not ids:
        return []
    found = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(list(ids))))}
    return [found[i] for i in ids if i in found]


def organization_by_client_number(session: Session, raw: str | None) -> Organization | None:
    number = clean_client_number(raw)
    if not number:
        return None
    return session.scalar(select(Organization).where(func.upper(Organization.client_number) == number))


def get_call(session: Session, call_id: int, *, for_update: bool = False) -> Call:
    stmt = select(Call).where(Call.id == call_id)
    call = session.scalar(stmt.with_for_update() if for_update else stmt)
    if call is None:
        raise NotFound(f"call {call_id} not found")
    return call


def call_by_external_id(session: Session, external_id: str, *, for_update: bool = False) -> Call | None:
    stmt = select(Call).where(Call.external_id == external_id)
    return session.scalar(stmt.with_for_update() if for_update else stmt)


def pin_history(
    session: Session, *, now: datetime, organization_id: int | None = None, call_id: int | None = None
) -> list[Attempt]:
    """Checked attempts of one scope (an organisation or a call) over the last day."""
    stmt = select(PinAttempt.created_at, PinAttempt.success).where(
        PinAttempt.outcome.in_(CHECKED_OUTCOMES), PinAttempt.created_at >= now - HISTORY_SPAN
    )
    if organization_id is not None:
        stmt = stmt.where(PinAttempt.organization_id == organization_id)
    elif call_id is not None:
        stmt = stmt.where(PinAttempt.call_id == call_id)
    else:
        raise ValueError("name a scope: organization_id or call_id")
    return [Attempt(at, ok) for at, ok in session.execute(stmt)]


def open_tickets(
    session: Session, organization_id: int, contact_id: int | None, limit: int = 10
) -> list[Ticket]:
    """The organisation's open tickets, the caller's own first, newest first."""
    mine = Ticket.requester_id == contact_id if contact_id is not None else None
    order = ([mine.desc()] if mine is not None else []) + [Ticket.id.desc()]
    stmt = (
        select(Ticket)
        .where(Ticket.organization_id == organization_id, Ticket.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(*order)
        .limit(limit)
    )
    return list(session.scalars(stmt).unique())


# --- JSON shapes -----------------------------------------------------------------------------------


def caller_dict(session: Session, call: Call) -> dict[str, Any]:
    contact = session.get(Contact, call.contact_id) if call.contact_id else None
    org = session.get(Organization, call.organization_id) if call.organization_id else None
    return {
        "contact": contact_dict(contact) if contact else None,
        "organization": organization_dict(org) if org else None,
    }


def call_dict(session: Session, call: Call) -> dict[str, Any]:
    cands = contacts_by_id(session, call.candidate_contact_ids or [])
    orgs = {c.organization_id: c.organization for c in cands}
    if call.organization_id and call.organization_id not in orgs:
        org = session.get(Organization, call.organization_id)
        if org is not None:
            orgs[org.id] = org
    status, text = describe(
        verified=call.verified,
        method=call.verified_method,
        organizations=len(orgs),
        pin_required=call.pin_required,
    )
    ticket = session.get(Ticket, call.ticket_id) if call.ticket_id else None
    return {
        "id": call.id,
        "call_id": call.external_id,
        "from": call.from_raw,
        "from_e164": call.from_e164,
        "to": call.to_raw,
        "direction": call.direction,
        "user": call.agent_user,
        "state": call.state,
        "caller": caller_dict(session, call),
        "candidates": [
            {"contact": contact_dict(c), "organization": organization_dict(c.organization)} for c in cands
        ],
        "pin_required": call.pin_required,
        "verified": call.verified,
        "verified_method": call.verified_method,
        "verified_at": iso(call.verified_at),
        "status": status,
        "status_text": text,
        "ticket": ticket.number if ticket else None,
        "started_at": iso(call.started_at),
        "answered_at": iso(call.answered_at),
        "ended_at": iso(call.ended_at),
    }


def popup_dict(session: Session, call: Call) -> dict[str, Any]:
    data = call_dict(session, call)
    data["open_tickets"] = (
        [ticket_summary(t) for t in open_tickets(session, call.organization_id, call.contact_id)]
        if call.organization_id
        else []
    )
    return data


def event_dict(e: CallEvent) -> dict[str, Any]:
    return {"id": e.id, "event": e.event, "payload": e.payload or {}, "created_at": iso(e.created_at)}


def attempt_dict(a: PinAttempt) -> dict[str, Any]:
    return {
        "id": a.id,
        "organization_id": a.organization_id,
        "source": a.source,
        "success": a.success,
        "outcome": a.outcome,
        "agent_id": a.agent_id,
        "client_number": a.client_number,
        "created_at": iso(a.created_at),
    }


def events_of(session: Session, call: Call) -> list[CallEvent]:
    return list(session.scalars(select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id)))


def attempts_of(session: Session, call: Call) -> list[PinAttempt]:
    return list(
        session.scalars(select(PinAttempt).where(PinAttempt.call_id == call.id).order_by(PinAttempt.id))
    )


# --- the call log -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallFilter:
    direction: str | None = None  # in | out
    state: str | None = None  # ringing | answered | ended
    verified: bool | None = None
    matched: bool | None = None  # caller ID matched an organisation
    organization_id: int | None = None
    number: str | None = None  # digits contained in the caller's or the called number
    since: datetime | None = None
    until: datetime | None = None

    def validate(self) -> CallFilter:
        if self.direction not in (None, "in", "out"):
            raise ValidationFailed("direction must be 'in' or 'out'")
        if self.state not in (None, "ringing", "answered", "ended"):
            raise ValidationFailed("state must be ringing, answered or ended")
        if self.number is not None and not any(ch.isdigit() for ch in self.number):
            raise ValidationFailed("number must contain digits")
        return self


def _filtered(stmt: Select[Any], f: CallFilter) -> Select[Any]:
    if f.direction:
        stmt = stmt.where(Call.direction == f.direction)
    if f.state:
        stmt = stmt.where(Call.state == f.state)
    if f.verified is not None:
        stmt = stmt.where(Call.verified.is_(f.verified))
    if f.matched is not None:
        stmt = stmt.where(Call.organization_id.is_not(None) if f.matched else Call.organization_id.is_(None))
    if f.organization_id is not None:
        stmt = stmt.where(Call.organization_id == f.organization_id)
    if f.number:
        digits = "".join(ch for ch in f.number if ch.isdigit())
        tail = digits.lstrip("0") or digits
        stmt = stmt.where(
            or_(
                Call.from_e164.contains(tail, autoescape=True),
                Call.from_raw.contains(digits, autoescape=True),
                Call.to_raw.contains(digits, autoescape=True),
            )
        )
    if f.since is not None:
        stmt = stmt.where(Call.started_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(Call.started_at < f.until)
    return stmt


def list_calls(
    session: Session, f: CallFilter, *, after_id: int | None, limit: int
) -> tuple[list[Call], int | None]:
    """Newest first, keyset-paginated by id; returns (page, id to continue after or None)."""
    stmt = _filtered(select(Call), f.validate())
    if after_id is not None:
        stmt = stmt.where(Call.id < after_id)
    rows = list(session.scalars(stmt.order_by(Call.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)
