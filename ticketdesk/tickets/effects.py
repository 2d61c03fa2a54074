"""What follows a ticket change: priority, SLA clock, routing, and the mail/SMS it causes.

Called only by ``tickets/service.py`` inside the caller's transaction, so every mail and SMS is queued
atomically with the change that causes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.accounts.models import Agent
from ticketdesk.admin.store import app_settings, reopen_window
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.outbound.service import queue_template
from ticketdesk.tickets import triage
from ticketdesk.tickets.history import ActorRef, record
from ticketdesk.tickets.models import Message, Ticket
from ticketdesk.tickets.states import Move


def client_language(ticket: Ticket) -> str | None:
    requester = ticket.requester
    return (requester.language if requester else None) or ticket.organization.language


def client_recipients(ticket: Ticket) -> tuple[list[str], list[str]]:
    """(to, cc) for mail about this ticket: the requester (if still active) and the CC list as it stands."""
    requester = ticket.requester
    to = [requester.primary_email] if requester and requester.active and requester.primary_email else []
    cc = [c.email for c in ticket.cc if c.email not in to]
    if not to and cc:
        to, cc = cc[:1], cc[1:]
    return to, cc


def mail_client(session: Session, ticket: Ticket, kind: str, *, now: datetime, **context: Any) -> Any:
    """Queue the mail ``kind`` about ``ticket`` to its requester and CC list, in the client's language."""
    to, cc = client_recipients(ticket)
    return queue_template(
        session, kind=kind, to=to, cc=cc, language=client_language(ticket), now=now, ticket=ticket, **context
    )


def is_support_address(address: str, session: Session | None = None) -> bool:
    address = address.strip().lower()
    if address in app_settings().support_addresses:
        return True
    local, _, domain = address.partition("@")
    base = f"{local.split('+', 1)[0]}@{domain}"
    if base in app_settings().support_addresses:
        return True
    if session is not None:
        from ticketdesk.tickets.queues import address_map

        known = address_map(session)
        return address in known or base in known
    return False


def _fmt(session: Session, ticket: Ticket, value: datetime | None) -> str | None:
    """A time as the client reads it: the team calendar's local time (same as the SLA update mail)."""
    from ticketdesk.outbound.templates import pick_language
    from ticketdesk.sla.service import format_due, policy_for

    if value is None:
        return None
    zone = policy_for(session, ticket.organization_id).calendar.timezone
    return format_due(value, zone, pick_language(client_language(ticket)))


def before_created(
    session: Session, ticket: Ticket, text: str, *, now: datetime, manual_priority: str | None
) -> None:
    """Priority (the agent's choice, or from the words of the first message) and due times of a new
    ticket, set before it is first written."""
    if manual_priority:
        triage.set_manual_priority(ticket, manual_priority)
    else:
        triage.apply_auto_priority(ticket, ticket.subject, text, raise_only=False)
    triage.recompute_sla(session, ticket, now=now)


def on_created(
    session: Session, ticket: Ticket, first: Message, *, now: datetime, acknowledge: bool = True
) -> None:
    """What follows a new ticket's first write: its due times recorded, routing, the acknowledgement."""
    from ticketdesk.sla.service import on_due_times_changed

    on_due_times_changed(session, ticket, None, now=now)
    triage.route(session, ticket, now=now)
    triage.after_created(session, ticket, now=now)
    if not acknowledge:
        return
    first_id = first.message_id_header
    mail_client(
        session,
        ticket,
        "ack",
        now=now,
        thread=(first_id, [first_id] if first_id else []),  # the thread is just the first message
        auto_submitted="auto-replied",
        name=ticket.requester.name if ticket.requester else "",
        priority=ticket.priority,
        first_response_due=_fmt(session, ticket, ticket.first_response_due),
        resolution_due=_fmt(session, ticket, ticket.resolution_due),
    )


def apply_status_effects(
    session: Session, ticket: Ticket, move: Move, *, now: datetime, actor: ActorRef
) -> None:
    for effect in move.effects:
        if effect == "set_resolved":
            ticket.resolved_at = now
        elif effect == "clear_resolved":
            ticket.resolved_at = None
        elif effect == "set_closed":
            ticket.closed_at = now
        elif effect == "clear_schedule":
            ticket.scheduled_for = None
        elif effect == "sla_pause":
            triage.pause_sla(ticket, now=now)
        elif effect == "sla_resume":
            triage.resume_sla(session, ticket, now=now)
    if "notify_client" in move.effects:
        mail_client(
            session,
            ticket,
            "status",
            now=now,
            scheduled_for=_fmt(session, ticket, ticket.scheduled_for),
            reopen_days=reopen_window(session).days,
            first_response_due=_fmt(session, ticket, ticket.first_response_due),
            resolution_due=_fmt(session, ticket, ticket.resolution_due),
        )


def on_agent_reply(
    session: Session,
    ticket: Ticket,
    msg: Message,
    agent: Agent,
    *,
    now: datetime,
    sms_recipients: str | None = None,
) -> None:
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
    mail = mail_client(
        session,
        ticket,
        "reply",
        now=now,
        message=msg,
        auto_submitted=None,
        from_name=agent.name,
        text=msg.text,
        agent_name=agent.name,
        requires_action=msg.requires_action,
    )
    if mail is not None:
        msg.message_id_header = mail.message_id_header
        msg.to_addrs, msg.cc_addrs = mail.to_addrs, mail.cc_addrs
    if msg.requires_action:
        triage.requires_action_sms(session, ticket, msg, now=now, recipients=sms_recipients)


def on_client_message(session: Session, ticket: Ticket, msg: Message, *, now: datetime) -> None:
    before = ticket.priority
    if triage.apply_auto_priority(ticket, msg.subject, msg.text, raise_only=True):
        record(
            session,
            ticket,
            ActorRef.system("priority"),
            "priority.changed",
            now=now,
            before={"priority": before, "priority_source": "auto"},
            after={"priority": ticket.priority, "priority_source": "auto"},
            detail="raised by the words of a new message from the client",
        )
    triage.recompute_sla(session, ticket, now=now)


def on_priority_changed(session: Session, ticket: Ticket, *, now: datetime) -> None:
    triage.recompute_sla(session, ticket, now=now)


def refuse_claim_token(ticket: Ticket) -> str:
    serializer = URLSafeSerializer(app_settings().secret_key, salt="claim-refusal")
    return serializer.dumps(
        {
            "n": ticket.number,
            "a": ticket.claimed_by_id,
            "t": ticket.claimed_at.isoformat() if ticket.claimed_at else None,
        }
    )


def read_refuse_claim_token(token: str) -> dict[str, Any] | None:
    serializer = URLSafeSerializer(app_settings().secret_key, salt="claim-refusal")
    try:
        return serializer.loads(token)
    except BadSignature:  # a bad or tampered link is simply invalid
        return None


def on_claimed(session: Session, ticket: Ticket, agent: Agent, *, now: datetime) -> None:
    url = f"{app_settings().public_url}/portal/claims/{refuse_claim_token(ticket)}"
    mail_client(session, ticket, "claimed", now=now, agent_name=agent.name, refuse_url=url)


def on_cc_removed(session: Session, ticket: Ticket, address: str, *, now: datetime) -> None:
    """Tell a removed person once (a second removal after re-adding does not mail again)."""
    earlier = session.scalars(
        select(OutboundMail.to_addrs).where(
            OutboundMail.ticket_id == ticket.id, OutboundMail.kind == "cc_removed"
        )
    )
    if any(address in (to or []) for to in earlier):
        return
    queue_template(
        session, kind="cc_removed", to=[address], language=client_language(ticket), now=now, ticket=ticket
    )
