"""SMS writes: notifications and their attempts, where a new attempt starts, and what ticket events send.

A *notification* is one business event for one recipient; an *attempt* is one hand-over to a
gateway. Everything here runs inside the caller's transaction: an SMS is a row (and a
``sms.send`` job) written together with the change that causes it, and the worker
(``ticketdesk.sms.jobs``) hands it over after commit.

Where a new attempt starts (checked in this order; ``ticketdesk.sms.states`` governs every later
move):

* ``stopped``            the number is on the STOP list;
* ``paused``             an admin paused sending (everything, or one organisation);
* ``awaiting_approval``  the text has a link whose host is not on the allow-list (setting
                         ``sms.allowed_link_hosts``; the host of PUBLIC_URL is always allowed), or
                         the organisation already sent its daily threshold of SMS today
                         (``Organization.sms_daily_threshold``, in its own time zone);
* ``scheduled``          a send time in the future, or the organisation's quiet hours for
                         anything not critical (``Organization.quiet_hours``);
* ``queued``             otherwise; a ``sms.send`` job is enqueued.

State changes, their history and events live in ``ticketdesk.sms.lifecycle``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketdesk.admin.store import get_value
from ticketdesk.contacts.models import Contact, Organization
from ticketdesk.phone.numbers import is_mobile, normalize, region_of
from ticketdesk.sms import policy, states, texts
from ticketdesk.sms.lifecycle import move, publish_status, record, setting, transition, wake_sender
from ticketdesk.sms.models import SmsAttempt, SmsNotification, SmsStop
from ticketdesk.sms.text import segments
from ticketdesk.tickets.models import Message, Ticket

log = logging.getLogger(__name__)
__all__ = [  # ``move``, ``record`` and ``transition`` live in ``ticketdesk.sms.lifecycle``, importable here too
    "DEFAULT_MAX_SEGMENTS",
    "InvalidNumber",
    "is_stopped",
    "max_segments",
    "mobile_number",
    "move",
    "new_attempt",
    "notify_on_call",
    "notify_ticket_contacts",
    "paused_scope",
    "queue_sms",
    "record",
    "sent_today",
    "ticket_context",
    "ticket_recipients",
    "transition",
]

DEFAULT_MAX_SEGMENTS = 3


class InvalidNumber(ValueError):
    """The recipient's number is not a valid phone number."""


@dataclass(frozen=True)
class Start:
    state: str
    note: str
    hold_reason: str | None = None
    scheduled_for: datetime | None = None


# --- settings -----------------------------------------------------------------------------------


def max_segments(session: Session) -> int:
    return max(1, int(setting(session, "sms.max_segments", DEFAULT_MAX_SEGMENTS)))


def paused_scope(session: Session) -> tuple[bool, set[int]]:
    """(everything paused?, paused organisation ids)."""
    return bool(get_value(session, "sms.paused", False)), set(
        get_value(session, "sms.paused_organizations", [])
    )


def is_stopped(session: Session, e164: str) -> bool:
    return session.scalar(select(SmsStop.id).where(SmsStop.e164 == e164)) is not None


# --- creation -----------------------------------------------------------------------------------


def queue_sms(
    session: Session,
    *,
    to: str,
    text: str,
    kind: str,
    now: datetime,
    critical: bool = False,
    ticket: Ticket | None = None,
    contact: Contact | None = None,
    agent_id: int | None = None,
    organization: Organization | None = None,
    language: str = "en",
    reason_ref: dict[str, Any] | None = None,
    send_at: datetime | None = None,
    approved: bool = False,
) -> SmsNotification:
    """Create a notification and its first attempt (queued, held or scheduled, see the module doc).

    ``to`` is normalised to E.164 with the organisation's region; an invalid number raises
    InvalidNumber. The text is fitted into ``sms.max_segments`` segments. ``approved`` (an admin
    sending on purpose) skips the allow-list and volume checks.
    """
    region = organization.default_region if organization is not None else None
    e164 = normalize(to, region or _default_region())
    if e164 is None:
        raise InvalidNumber(f"{to!r} is not a valid phone number")
    if organization is None and ticket is not None and agent_id is None:
        organization = ticket.organization  # staff SMS do not count against the client's volume
    notification = SmsNotification(
        kind=kind,
        ticket_id=ticket.id if ticket else None,
        contact_id=contact.id if contact else None,
        agent_id=agent_id,
        organization_id=organization.id if organization else None,
        to_e164=e164,
        text=policy.fit_text(text, max_segments(session)),
        language=language,
        critical=critical,
        reason_ref=reason_ref,
        status=states.QUEUED,
        created_at=now,
        updated_at=now,
    )
    session.add(notification)
    session.flush()
    new_attempt(session, notification, now=now, send_at=send_at, approved=approved, organization=organization)
    return notification


def _default_region() -> str | None:
    from ticketdesk.admin.store import app_settings

    try:
        return app_settings().default_region
    except RuntimeError:  # no app context (pure scripts)
        return None


def new_attempt(
    session: Session,
    notification: SmsNotification,
    *,
    now: datetime,
    text: str | None = None,
    resend_of: SmsAttempt | None = None,
    send_at: datetime | None = None,
    approved: bool = False,
    organization: Organization | None = None,
    by: str = "",
) -> SmsAttempt:
    """Add an attempt to ``notification`` (its first, or a resend) and start it per the policy."""
    body = policy.fit_text(text, max_segments(session)) if text else notification.text
    info = segments(body)
    if organization is None and notification.organization_id is not None:
        organization = session.get(Organization, notification.organization_id)
    start = _start(
        session, notification, body, now=now, send_at=send_at, approved=approved, organization=organization
    )
    attempt = SmsAttempt(
        notification_id=notification.id,
        to_e164=notification.to_e164,
        text=body,
        segments=info.segments,
        encoding=info.encoding,
        gateway=_gateway_name(),
        idempotency_key=f"td-sms-{uuid.uuid4().hex}",
        status=start.state,
        scheduled_for=start.scheduled_for,
        hold_reason=start.hold_reason,
        country=region_of(notification.to_e164),
        operator=policy.operator_of(notification.to_e164),
        resend_of_id=resend_of.id if resend_of else None,
        created_at=now,
        updated_at=now,
    )
    if start.state == states.STOPPED:
        attempt.final_at = now
    session.add(attempt)
    session.flush()
    note = start.note if not resend_of else f"resend of attempt {resend_of.id}" + (f" by {by}" if by else "")
    if resend_of and start.note != "queued":
        note += f"; {start.note}"
    row = record(session, attempt, start.state, now=now, detail=note, source="admin" if by else "system")
    notification.status, notification.updated_at = start.state, now  # the newest attempt is the latest
    publish_status(session, attempt, previous=None, now=now, detail=note)
    if start.state == states.QUEUED:
        wake_sender(session, attempt, row, now=now)
    return attempt


def _gateway_name() -> str:
    try:
        from ticketdesk.ports.registry import current_ports

        return str(getattr(current_ports().sms, "name", "log"))
    except (RuntimeError, KeyError):
        return "log"


def _start(
    session: Session,
    notification: SmsNotification,
    text: str,
    *,
    now: datetime,
    send_at: datetime | None,
    approved: bool,
    organization: Organization | None,
) -> Start:
    if is_stopped(session, notification.to_e164):
        return Start(states.STOPPED, "number is on the STOP list")
    paused_all, paused_orgs = paused_scope(session)
    if paused_all or (notification.organization_id in paused_orgs):
        reason = "sending is paused by an admin" + (
            "" if paused_all else f" for {organization.name}" if organization else ""
        )
        return Start(states.PAUSED, reason, hold_reason=reason)
    if not approved:
        bad = policy.unapproved_links(text, _allowed_hosts(session))
        if bad:
            reason = f"link to {bad[0]} is not on the allow-list"
            return Start(states.AWAITING_APPROVAL, reason, hold_reason=reason)
        if organization is not None and organization.sms_daily_threshold:
            sent = sent_today(session, organization, now=now)
            if sent >= organization.sms_daily_threshold:
                reason = f"{organization.name} already has {sent} SMS today (threshold {organization.sms_daily_threshold})"
                return Start(states.AWAITING_APPROVAL, reason, hold_reason=reason)
    if send_at is not None and send_at > now:
        return Start(states.SCHEDULED, f"scheduled for {send_at:%Y-%m-%d %H:%M} UTC", scheduled_for=send_at)
    if not notification.critical and organization is not None and organization.quiet_hours:
        until = policy.quiet_until(now, organization.quiet_hours, organization.timezone)
        if until is not None:
            reason = f"quiet hours of {organization.name} until {until:%Y-%m-%d %H:%M} UTC"
            return Start(states.SCHEDULED, reason, hold_reason=reason, scheduled_for=until)
    return Start(states.QUEUED, "queued")


def _allowed_hosts(session: Session) -> list[str]:
    from urllib.parse import urlsplit

    from ticketdesk.admin.store import app_settings

    hosts = list(get_value(session, "sms.allowed_link_hosts", []) or [])
    try:
        own = urlsplit(app_settings().public_url).hostname
    except RuntimeError:
        own = None
    return hosts + ([own] if own else [])


def sent_today(session: Session, organization: Organization, *, now: datetime) -> int:
    """Attempts created for ``organization`` since midnight in its own time zone."""
    midnight = policy.local_midnight(now, organization.timezone)
    return int(
        session.scalar(
            select(func.count(SmsAttempt.id))
            .join(SmsNotification, SmsNotification.id == SmsAttempt.notification_id)
            .where(SmsNotification.organization_id == organization.id, SmsAttempt.created_at >= midnight)
        )
        or 0
    )


# --- what ticket events send -------------------------------------------------------------------------


def mobile_number(contact: Contact) -> str | None:
    """The contact's first number that can receive SMS (a mobile one)."""
    for phone in contact.phones:
        if is_mobile(phone.e164):
            return phone.e164
    return None


def ticket_context(ticket: Ticket) -> dict[str, Any]:
    from ticketdesk.admin.store import app_settings

    settings = app_settings()
    return {
        "tag": settings.subject_tag,
        "number": ticket.number,
        "subject": texts.short(ticket.subject),
        "portal_url": f"{settings.public_url}/portal/tickets/{ticket.number}",
        "organization": ticket.organization.name,
    }


def ticket_recipients(session: Session, ticket: Ticket, choice: str) -> list[Contact]:
    """``requester`` or ``technical`` (every active technical contact of the organisation)."""
    if choice == "technical":
        found = list(
            session.scalars(
                select(Contact)
                .where(
                    Contact.organization_id == ticket.organization_id,
                    Contact.active.is_(True),
                    Contact.technical.is_(True),
                )
                .order_by(Contact.id)
            )
        )
        if ticket.requester is not None and ticket.requester in found:  # the requester first
            found.remove(ticket.requester)
            found.insert(0, ticket.requester)
        return found
    return [ticket.requester] if ticket.requester is not None else []


def notify_ticket_contacts(
    session: Session,
    ticket: Ticket,
    *,
    kind: str,
    now: datetime,
    critical: bool,
    message: Message | None = None,
    recipients: str | None = None,
) -> list[SmsNotification]:
    """SMS about ``ticket`` to its requester, or to all technical contacts (``recipients`` or the
    setting ``sms.requires_action_recipients``), each in the contact's language. Contacts who are
    inactive, opted out of SMS or have no mobile number are skipped."""
    from ticketdesk.admin.store import app_settings
    from ticketdesk.tickets.history import ActorRef
    from ticketdesk.tickets.history import record as record_event

    choice = recipients or (
        get_value(session, "sms.requires_action_recipients", "requester")
        if kind == "requires_action"
        else "requester"
    )
    context = ticket_context(ticket)
    reason = {
        "ticket": ticket.number,
        "ticket_id": ticket.id,
        "kind": kind,
        "message_id": message.id if message is not None else None,
    }
    created: list[SmsNotification] = []
    seen: set[str] = set()
    for contact in ticket_recipients(session, ticket, choice):
        e164 = mobile_number(contact) if contact.active and contact.notify_sms else None
        if e164 is None or e164 in seen:
            continue
        seen.add(e164)
        lang = texts.pick_language(
            contact.language, ticket.organization.language, app_settings().default_language
        )
        notification = queue_sms(
            session,
            to=e164,
            text=texts.render_sms(kind, lang, **context),
            kind=kind,
            now=now,
            critical=critical,
            ticket=ticket,
            contact=contact,
            organization=ticket.organization,
            language=lang,
            reason_ref=reason,
        )
        record_event(
            session,
            ticket,
            ActorRef.system("sms"),
            "sms.queued",
            now=now,
            client_visible=False,
            after={
                "notification_id": notification.id,
                "contact_id": contact.id,
                "kind": kind,
                "status": notification.attempts[-1].status if notification.attempts else None,
            },
            detail=f"SMS ({kind}) to {contact.name}",
        )
        created.append(notification)
    if not created:
        log.info("ticket %s: no SMS recipient with a mobile number for %s", ticket.number, kind)
    return created


def notify_on_call(
    session: Session,
    *,
    text: str | None,
    now: datetime,
    ticket: Ticket | None = None,
) -> list[SmsNotification]:
    """SMS to every active on-call agent with a phone number (critical: no quiet hours).

    Without ``text`` the escalation text for ``ticket`` is used, in each agent's language.
    """
    from ticketdesk.accounts.models import Agent

    if not text and ticket is None:
        raise ValueError("notify_on_call needs a text or a ticket")
    agents = session.scalars(
        select(Agent)
        .where(Agent.active.is_(True), Agent.on_call.is_(True), Agent.phone_e164.is_not(None))
        .order_by(Agent.id)
    ).all()
    created: list[SmsNotification] = []
    for agent in agents:
        lang = texts.pick_language(agent.language)
        body = text or texts.render_sms("escalation", lang, **ticket_context(ticket))  # type: ignore[arg-type]
        reason = {"ticket": ticket.number, "ticket_id": ticket.id, "kind": "escalation"} if ticket else None
        try:
            created.append(
                queue_sms(
                    session,
                    to=agent.phone_e164 or "",
                    text=body,
                    kind="escalation",
                    now=now,
                    critical=True,
                    ticket=ticket,
                    agent_id=agent.id,
                    language=lang,
                    reason_ref=reason,
                    approved=True,
                )
            )
        except InvalidNumber:
            log.warning("on-call agent %s has an invalid phone number; no SMS", agent.id)
    if not agents:
        log.warning("nobody is on call with a phone number: escalation SMS not sent")
    return created
