"""Helpers for the SLA tests: Prague wall time to UTC, reloading a ticket, events and mails of a ticket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ticketdesk.extensions import db
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.tickets.models import Ticket, TicketEvent

PRAGUE = ZoneInfo("Europe/Prague")


def prague(*args: int) -> datetime:
    """``prague(2026, 12, 23, 15)`` → that wall time in Prague as aware UTC."""
    return datetime(*args, tzinfo=PRAGUE).astimezone(UTC)  # type: ignore[misc]


def reload(number: int) -> Ticket:
    db.session.expire_all()
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket is not None
    return ticket


def events(ticket: Ticket, kind: str) -> list[TicketEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
            .order_by(TicketEvent.id)
        )
    )


def mails(ticket: Ticket, kind: str) -> list[OutboundMail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboundMail)
            .where(OutboundMail.ticket_id == ticket.id, OutboundMail.kind == kind)
            .order_by(OutboundMail.id)
        )
    )


def mail_text(mail: OutboundMail) -> str:
    from email import message_from_bytes
    from email.policy import default

    from ticketdesk.db.blobs import load_blob

    parsed: Any = message_from_bytes(load_blob(db.session, mail.blob_sha256), policy=default)
    body = parsed.get_body(preferencelist=("plain",))
    return str(parsed["Subject"]) + "\n" + body.get_content()
