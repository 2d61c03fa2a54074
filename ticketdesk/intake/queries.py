"""Reads of the intake log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.errors import ValidationFailed
from ticketdesk.intake.models import DISPOSITIONS, RawMessage, SenderHold
from ticketdesk.tickets.models import Ticket
from ticketdesk.tickets.serialize import iso


def intake_page(
    session: Session, *, disposition: str | None, status: str | None, before_id: int | None, limit: int
) -> tuple[list[RawMessage], int | None]:
    stmt = select(RawMessage)
    if disposition:
        if disposition not in DISPOSITIONS:
            raise ValidationFailed(f"disposition must be one of {', '.join(DISPOSITIONS)}")
        stmt = stmt.where(RawMessage.disposition == disposition)
    if status:
        stmt = stmt.where(RawMessage.status == status)
    if before_id is not None:
        stmt = stmt.where(RawMessage.id < before_id)
    rows = list(session.scalars(stmt.order_by(RawMessage.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def intake_dict(
    raw: RawMessage,
    session: Session,
    *,
    numbers: dict[int, int] | None = None,
    holds: dict[int, SenderHold] | None = None,
) -> dict[str, Any]:
    number = (numbers or {}).get(raw.ticket_id) if raw.ticket_id else None
    if raw.ticket_id and numbers is None:
        number = session.scalar(select(Ticket.number).where(Ticket.id == raw.ticket_id))
    hold = (holds or {}).get(raw.id)
    return {
        "id": raw.id,
        "received_at": iso(raw.received_at),
        "processed_at": iso(raw.processed_at),
        "source": raw.source,
        "from": raw.from_addr,
        "subject": raw.subject,
        "envelope_from": raw.envelope_from,
        "envelope_to": raw.envelope_to,
        "message_id": raw.message_id_header,
        "size": raw.size,
        "status": raw.status,
        "disposition": raw.disposition,
        "detail": raw.disposition_detail,
        "error": raw.error,
        "attempts": raw.attempts,
        "ticket": number,
        "auth": raw.auth,
        "hold": None
        if hold is None
        else {
            "status": hold.status,
            "expires_at": iso(hold.expires_at),
            "confirmation_sent_at": iso(hold.confirmation_sent_at),
        },
    }


def page_dicts(session: Session, rows: list[RawMessage]) -> list[dict[str, Any]]:
    """The intake rows with their ticket numbers and holds in two queries (no N+1)."""
    ticket_ids = {r.ticket_id for r in rows if r.ticket_id}
    numbers = (
        dict(session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ticket_ids))).all())
        if ticket_ids
        else {}
    )
    holds = (
        {
            h.raw_message_id: h
            for h in session.scalars(
                select(SenderHold).where(SenderHold.raw_message_id.in_([r.id for r in rows]))
            )
        }
        if rows
        else {}
    )
    return [intake_dict(r, session, numbers=numbers, holds=holds) for r in rows]
