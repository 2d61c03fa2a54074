"""Reads of tickets, always scoped: ``org_scope`` None for staff, an organisation id for a contact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from ticketdesk.errors import NotFound, ValidationFailed
from ticketdesk.tickets.models import PRIORITY_RANK, Message, Queue, Ticket, TicketEvent
from ticketdesk.tickets.states import STATUSES


@dataclass(frozen=True)
class TicketFilter:
    status: list[str] | None = None
    queue: str | None = None
    priority: list[str] | None = None
    organization_id: int | None = None
    claimed_by_id: int | None = None
    unclaimed: bool = False
    assignee_id: int | None = None

    def validate(self) -> TicketFilter:
        for s in self.status or []:
            if s not in STATUSES:
                raise ValidationFailed(
                    f"unknown status {s!r}; expected one of {', '.join(STATUSES)}", code="unknown_status"
                )
        for p in self.priority or []:
            if p not in PRIORITY_RANK:
                raise ValidationFailed(f"unknown priority {p!r}; expected one of {', '.join(PRIORITY_RANK)}")
        return self


def scoped(stmt: Select[Any], org_scope: int | None) -> Select[Any]:
    return stmt if org_scope is None else stmt.where(Ticket.organization_id == org_scope)


def filtered(stmt: Select[Any], f: TicketFilter) -> Select[Any]:
    if f.status:
        stmt = stmt.where(Ticket.status.in_(f.status))
    if f.queue:
        stmt = stmt.join(Queue, Queue.id == Ticket.queue_id).where(Queue.slug == f.queue)
    if f.priority:
        stmt = stmt.where(Ticket.priority.in_(f.priority))
    if f.organization_id is not None:
        stmt = stmt.where(Ticket.organization_id == f.organization_id)
    if f.claimed_by_id is not None:
        stmt = stmt.where(Ticket.claimed_by_id == f.claimed_by_id)
    if f.unclaimed:
        stmt = stmt.where(Ticket.claimed_by_id.is_(None))
    if f.assignee_id is not None:
        stmt = stmt.where(Ticket.assignee_id == f.assignee_id)
    return stmt


def list_newest(
    session: Session, f: TicketFilter, *, org_scope: int | None, after_id: int | None, limit: int
) -> tuple[list[Ticket], int | None]:
    """Newest first, keyset-paginated by id; returns (page, id to continue after or None)."""
    stmt = filtered(scoped(select(Ticket), org_scope), f.validate())
    if after_id is not None:
        stmt = stmt.where(Ticket.id < after_id)
    rows = list(session.scalars(stmt.order_by(Ticket.id.desc()).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def list_by_urgency(
    session: Session, f: TicketFilter, *, org_scope: int | None, after: tuple | None, limit: int
) -> tuple[list[Ticket], tuple | None]:
    """Priority first, then the nearest SLA due time (tickets without one last), keyset-paginated."""
    due_missing = Ticket.first_response_due.is_(None)
    stmt = filtered(scoped(select(Ticket), org_scope), f.validate())
    if after is not None:
        rank, has_due, due, last_id = after
        stmt = stmt.where(
            or_(
                Ticket.priority_rank > rank,
                and_(Ticket.priority_rank == rank, _due_after(has_due, due, last_id)),
            )
        )
    order = (Ticket.priority_rank, due_missing, Ticket.first_response_due, Ticket.id)
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    if not more or not rows:
        return rows, None
    last = rows[-1]
    return rows, (
        last.priority_rank,
        last.first_response_due is not None,
        last.first_response_due.isoformat() if last.first_response_due else None,
        last.id,
    )


def _due_after(has_due: bool, due: Any, last_id: int) -> Any:
    from datetime import datetime

    if not has_due:
        return and_(Ticket.first_response_due.is_(None), Ticket.id > last_id)
    due_dt = datetime.fromisoformat(due)
    return or_(
        Ticket.first_response_due.is_(None),
        Ticket.first_response_due > due_dt,
        and_(Ticket.first_response_due == due_dt, Ticket.id > last_id),
    )


def get_ticket(session: Session, number: int, *, org_scope: int | None) -> Ticket:
    ticket = session.scalar(scoped(select(Ticket).where(Ticket.number == number), org_scope))
    if ticket is None:
        raise NotFound(f"ticket {number} not found")
    return ticket


def messages_of(session: Session, ticket: Ticket, *, include_notes: bool) -> list[Message]:
    stmt = select(Message).where(Message.ticket_id == ticket.id)
    if not include_notes:
        stmt = stmt.where(Message.direction != "note")
    return list(session.scalars(stmt.order_by(Message.id)))


def events_of(session: Session, ticket: Ticket, *, client_view: bool) -> list[TicketEvent]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if client_view:
        stmt = stmt.where(TicketEvent.client_visible.is_(True))
    return list(session.scalars(stmt.order_by(TicketEvent.id)))
