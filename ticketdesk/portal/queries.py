"""Portal reads, every one scoped to the signed-in contact's organisation.

Tickets come from ``tickets/queries.py`` with ``org_scope``; a ticket's timeline has its messages without
internal notes and only its client-visible events. SMS come from ``sms/queries.py`` (only those sent to
the organisation's contacts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ticketdesk.contacts.models import Contact
from ticketdesk.sms import queries as sms_queries
from ticketdesk.tickets import queries as ticket_queries
from ticketdesk.tickets.models import Message, Queue, Ticket, TicketEvent
from ticketdesk.tickets.states import OPEN_STATUSES, Status

VIEWS = ("open", "done", "all")
_DONE = (Status.RESOLVED.value, Status.CLOSED.value)
_OPEN = tuple(s.value for s in OPEN_STATUSES)
# Events shown as their message instead of a line of their own.
_SHOWN_AS_MESSAGE = {"ticket.created", "message.client", "message.reply", "message.note"}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_tickets(
    session: Session,
    org_id: int,
    *,
    view: str = "open",
    q: str = "",
    before_id: int | None = None,
    limit: int = 25,
) -> tuple[list[Ticket], int | None]:
    """The organisation's tickets, newest first (keyset pages by id); ``q`` matches number or subject."""
    stmt = ticket_queries.scoped(select(Ticket), org_id)
    if view == "open":
        stmt = stmt.where(Ticket.status.in_(_OPEN))
    elif view == "done":
        stmt = stmt.where(Ticket.status.in_(_DONE))
    q = (q or "").strip().lstrip("#")[:200]
    if q:
        clause = Ticket.subject.ilike(f"%{_escape_like(q)}%", escape="\\")
        stmt = stmt.where(or_(clause, Ticket.number == int(q)) if q.isdigit() else clause)
    if before_id is not None:
        stmt = stmt.where(Ticket.id < before_id)
    rows = list(session.scalars(stmt.order_by(Ticket.id.desc()).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def counts(session: Session, org_id: int) -> dict[str, int]:
    rows = dict(
        session.execute(
            select(Ticket.status, func.count(Ticket.id))
            .where(Ticket.organization_id == org_id)
            .group_by(Ticket.status)
        ).all()
    )
    open_count = sum(int(rows.get(s, 0)) for s in _OPEN)
    done_count = sum(int(rows.get(s, 0)) for s in _DONE)
    return {"open": open_count, "done": done_count, "all": open_count + done_count}


def get_ticket(session: Session, org_id: int, number: int) -> Ticket:
    return ticket_queries.get_ticket(session, number, org_scope=org_id)


@dataclass(frozen=True)
class Entry:
    """One line of a ticket's history as the customer sees it: a message or an event."""

    at: datetime
    message: Message | None = None
    event: TicketEvent | None = None

    @property
    def key(self) -> str:
        return f"m{self.message.id}" if self.message is not None else f"e{self.event.id if self.event else 0}"


def timeline(session: Session, ticket: Ticket) -> list[Entry]:
    """Messages (never internal notes) and client-visible events, oldest first."""
    messages = ticket_queries.messages_of(session, ticket, include_notes=False)
    events = [
        e
        for e in ticket_queries.events_of(session, ticket, client_view=True)
        if e.kind not in _SHOWN_AS_MESSAGE
    ]
    entries = [Entry(m.created_at, message=m) for m in messages] + [
        Entry(e.created_at, event=e) for e in events
    ]
    return sorted(entries, key=lambda e: (e.at, 0 if e.message is not None else 1, e.key))


def related(session: Session, ticket: Ticket) -> dict[str, Any]:
    """The ticket this one continues, and the tickets that continue it (same organisation only)."""
    previous = None
    if ticket.previous_ticket_id is not None:
        previous = session.scalar(
            select(Ticket).where(
                Ticket.id == ticket.previous_ticket_id, Ticket.organization_id == ticket.organization_id
            )
        )
    following = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.previous_ticket_id == ticket.id, Ticket.organization_id == ticket.organization_id)
            .order_by(Ticket.id)
        )
    )
    return {"previous": previous, "following": following}


def queues(session: Session) -> list[Queue]:
    return list(session.scalars(select(Queue).order_by(Queue.id)))


def organization_contacts(session: Session, org_id: int) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact)
            .where(Contact.organization_id == org_id)
            .order_by(Contact.active.desc(), Contact.name)
        )
    )


def sms_page(
    session: Session, org_id: int, *, before_id: int | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], int | None]:
    """SMS sent to the organisation's contacts, newest first, each with its delivery history."""
    items, next_id = sms_queries.list_attempts(
        session, sms_queries.SmsFilter(), org_scope=org_id, after_id=before_id, limit=limit
    )
    names: dict[Any, str] = dict(
        session.execute(select(Contact.id, Contact.name).where(Contact.organization_id == org_id)).all()
    )
    for item in items:
        item["contact_name"] = names.get(item.get("contact_id"))
    return items, next_id
