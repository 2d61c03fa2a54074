"""When a ticket event sends an SMS (rule 13), called by ``ticketdesk.tickets.triage`` inside the
ticket's transaction, so the SMS is queued atomically with its cause:

* a reply that requires the client's action: the e-mail and a short SMS go out together, to the
  requester or to every technical contact of the organisation (setting
  ``sms.requires_action_recipients``: ``requester`` (default) or ``technical``);
* the acknowledgement of an urgent ticket, when the setting ``sms.on_urgent_ack`` is true.

The on-call SMS of an urgent SLA escalation is ``ticketdesk.sms.service.notify_on_call``.
"""

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


def on_requires_action(
    session: Session, ticket: Ticket, msg: Message, *, now: datetime, recipients: str | None = None
) -> None:
    """``recipients``: ``requester`` or ``technical`` as the agent chose (default: the setting)."""
    from ticketdesk.sms.service import notify_ticket_contacts

    notify_ticket_contacts(
        session, ticket, kind="requires_action", now=now, critical=True, message=msg, recipients=recipients
    )
