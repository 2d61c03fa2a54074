"""When a ticket event sends an SMS (rule 13): a reply that requires the client's action, and
(configurable) the acknowledgement of an urgent ticket."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ticketdesk.admin.store import get_value
from ticketdesk.tickets.models import Message, Ticket


def on_ticket_created(session: Session, ticket: Ticket, *, now: datetime) -> None:
    if ticket.priority != "urgent" or not get_value(session, "sms.on_urgent_ack", False):
        return
    from ticketdesk.sms.service import notify_ticket_contacts

    notify_ticket_contacts(session, ticket, kind="urgent_ack", now=now, critical=True)


def on_requires_action(session: Session, ticket: Ticket, msg: Message, *, now: datetime) -> None:
    from ticketdesk.sms.service import notify_ticket_contacts

    notify_ticket_contacts(session, ticket, kind="requires_action", now=now, critical=True, message=msg)
