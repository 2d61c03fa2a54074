"""SMS writes: notifications and their attempts, the sending policy, every transition with history.

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

Every state change writes an ``SmsReport`` row (append-only history), keeps the notification's
status equal to its latest attempt's, and publishes ``sms.status`` after commit.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.util import identity_key

from ticketdesk.admin.store import get_value
from ticketdesk.contacts.models import Contact, Organization
from ticketdesk.jobs.queue import enqueue
from ticketdesk.phone.numbers import is_mobile, normalize, region_of
from ticketdesk.realtime.publish import publish
from ticketdesk.realtime.rooms import sms_rooms
from ticketdesk.sms import policy, states, texts
from ticketdesk.sms.models import SmsAttempt, SmsNotification, SmsReport, SmsStop
from ticketdesk.sms.text import segments
from ticketdesk.tickets.models import Message, Ticket

log = logging.getLogger(__name__)

DEFAULT_MAX_SEGMENTS = 3
DEFAULT_REPORT_DEADLINE_MIN = 60
NO_COVERAGE_PATIENCE = timedelta(days=7)  # operators keep retrying a switched-off phone about a week


class InvalidNumber(ValueError):
    """The recipient's number is not a valid phone number."""


@dataclass(frozen=True)
class Start:
    state: str
    note: str
    hold_reason: str | None = None
    scheduled_for: datetime | None = None


# --- settings -----------------------------------------------------------------------------------


def _tx_cache(session: Session) -> dict[str, Any]:
    """A dict that lives as long as the current transaction (settings read once per batch)."""
    real = session() if isinstance(session, scoped_session) else session
    tx = real.get_transaction()
    held = session.info.get("sms.cache")
    if held is None or held[0] is not tx:
        held = session.info["sms.cache"] = (tx, {})
    return held[1]


def setting(session: Session, key: str, default: Any) -> Any:
    cache = _tx_cache(session).setdefault("settings", {})
    if key not in cache:
        cache[key] = get_value(session, key, default)
    return cache[key]


def max_segments(session: Session) -> int:
    return max(1, int(setting(session, "sms.max_segments", DEFAULT_MAX_SEGMENTS)))


def report_deadline(session: Session) -> timedelta:
    return timedelta(
        minutes=int(setting(session, "sms.report_deadline_minutes", DEFAULT_REPORT_DEADLINE_MIN))
    )


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
    _tx_cache(session).pop("latest", None)  # an older attempt of this notification is no longer the latest
    note = start.note if not resend_of else f"resend of attempt {resend_of.id}" + (f" by {by}" if by else "")
    if resend_of and start.note != "queued":
        note += f"; {start.note}"
    row = record(session, attempt, start.state, now=now, detail=note, source="admin" if by else "system")
    notification.status, notification.updated_at = start.state, now  # the newest attempt is the latest
    _publish(session, attempt, previous=None, now=now, detail=note)
    if start.state == states.QUEUED:
        _wake_sender(session, attempt, row, now=now)
    return attempt


def send_job_key(queued_row_id: int) -> str:
    """The dedupe key of the ``sms.send`` job woken by one entry into ``queued`` (its history row)."""
    return f"sms.send:{queued_row_id}"


def _wake_sender(session: Session, attempt: SmsAttempt, queued_row: SmsReport, *, now: datetime) -> None:
    session.flush()
    enqueue(
        session, "sms.send", {"attempt_id": attempt.id}, run_at=now, dedupe_key=send_job_key(queued_row.id)
    )


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


# --- transitions and history ---------------------------------------------------------------------


def record(
    session: Session,
    attempt: SmsAttempt,
    status: str,
    *,
    now: datetime,
    at: datetime | None = None,
    detail: str = "",
    source: str = "system",
    applied: bool = True,
    gateway_status: str | None = None,
    dedupe_key: str | None = None,
) -> SmsReport:
    """Append one row to the attempt's history (reports are never updated or deleted)."""
    row = SmsReport(
        attempt_id=attempt.id,
        status=status,
        gateway_status=gateway_status,
        at=at or now,
        detail=detail[:2000],
        source=source,
        applied=applied,
        dedupe_key=dedupe_key,
        received_at=now,
    )
    session.add(row)
    return row


def transition(
    session: Session,
    attempt: SmsAttempt,
    action: str,
    *,
    now: datetime,
    detail: str = "",
    source: str = "system",
    sync: bool = True,
) -> states.Outcome:
    """Apply one of our own actions (raises SmsTransitionError when the table forbids it)."""
    outcome = states.apply_action(attempt.status, action)
    note = detail or outcome.note
    row = move(session, attempt, outcome.new_state, now=now, detail=note, source=source, sync=sync)
    if outcome.new_state == states.QUEUED:
        _wake_sender(session, attempt, row, now=now)
    return outcome


def move(
    session: Session,
    attempt: SmsAttempt,
    new_state: str,
    *,
    now: datetime,
    at: datetime | None = None,
    detail: str = "",
    source: str = "system",
    gateway_status: str | None = None,
    dedupe_key: str | None = None,
    sync: bool = True,
) -> SmsReport:
    """Put the attempt into ``new_state`` (already allowed by ``states``) with its history row.

    ``sync=False`` leaves the notification's status to a later ``sync_notifications`` (batches).
    """
    previous = attempt.status
    attempt.status, attempt.updated_at = new_state, now
    if new_state in states.FINAL_STATES:
        attempt.final_at = at or now
    if new_state not in (states.AWAITING_APPROVAL, states.PAUSED, states.SCHEDULED):
        attempt.hold_reason = None
    if new_state == states.SUBMITTED and attempt.report_deadline is None:
        attempt.report_deadline = (attempt.submitted_at or now) + report_deadline(session)
    if new_state == states.NO_COVERAGE:
        attempt.report_deadline = (at or now) + NO_COVERAGE_PATIENCE
    if new_state == states.FAILED and detail:
        attempt.error = detail[:1000]
    row = record(
        session,
        attempt,
        new_state,
        now=now,
        at=at,
        detail=detail,
        source=source,
        gateway_status=gateway_status,
        dedupe_key=dedupe_key,
    )
    if sync:
        sync_attempts(session, [attempt], now=now)
    _publish(session, attempt, previous=previous, now=now, detail=detail)
    return row


_LATEST = (
    select(SmsAttempt.status)
    .where(SmsAttempt.notification_id == SmsNotification.id)
    .order_by(SmsAttempt.id.desc())
    .limit(1)
    .scalar_subquery()
)
_SET_STATUS = (
    update(SmsNotification)
    .where(SmsNotification.id == bindparam("nid"))
    .values(status=bindparam("status"), updated_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)
_ROOMS_MANY = select(SmsNotification.id, SmsNotification.kind, Ticket.number).outerjoin(
    Ticket, Ticket.id == SmsNotification.ticket_id
)


def sync_notifications(session: Session, notification_ids: list[int], *, now: datetime) -> None:
    """Each notification shows the state of its latest attempt (one UPDATE for a whole batch)."""
    if not notification_ids:
        return
    session.flush()
    session.execute(
        update(SmsNotification)
        .where(SmsNotification.id.in_(sorted(set(notification_ids))))
        .values(status=_LATEST, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    for nid in set(notification_ids):
        _expire_notification(session, nid)


def sync_attempts(session: Session, attempts: list[SmsAttempt], *, now: datetime) -> None:
    """Bring the notifications of these (just moved) attempts up to date, with as few statements as
    possible: what ``remember`` noted as latest is written directly, the rest via ``sync_notifications``."""
    latest = _tx_cache(session).get("latest", {})
    by_status: dict[str, set[int]] = {}
    unknown: set[int] = set()
    for attempt in attempts:
        flag = latest.get(attempt.id)
        if flag is None:
            unknown.add(attempt.notification_id)
        elif flag:
            by_status.setdefault(attempt.status, set()).add(attempt.notification_id)
    for status, nids in by_status.items():
        if len(nids) == 1:
            session.execute(_SET_STATUS, {"nid": next(iter(nids)), "status": status, "now": now})
        else:
            session.execute(
                update(SmsNotification)
                .where(SmsNotification.id.in_(sorted(nids)))
                .values(status=status, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        for nid in nids:
            _expire_notification(session, nid)
    if unknown:
        sync_notifications(session, sorted(unknown), now=now)


def _expire_notification(session: Session, notification_id: int) -> None:
    loaded = session.identity_map.get(identity_key(SmsNotification, notification_id))
    if loaded is not None:
        session.expire(loaded, ["status", "updated_at"])


def remember(session: Session, attempt: SmsAttempt, *, latest: bool, rooms: tuple[Any, ...]) -> None:
    """Note, for this transaction, whether ``attempt`` is its notification's latest and its rooms
    (read together with the attempt, so the transitions that follow need no further reads)."""
    cache = _tx_cache(session)
    cache.setdefault("latest", {})[attempt.id] = latest
    cache.setdefault("rooms", {})[attempt.notification_id] = rooms


def prefetch_rooms(session: Session, notification_ids: list[int]) -> None:
    """Load what ``sms.status`` events of many notifications need, at once (for a batch of transitions)."""
    cache = _tx_cache(session).setdefault("rooms", {})
    wanted = [n for n in set(notification_ids) if n not in cache]
    if wanted:
        for nid, *info in session.execute(_ROOMS_MANY.where(SmsNotification.id.in_(wanted))):
            cache[nid] = tuple(info)


def _publish(
    session: Session, attempt: SmsAttempt, *, previous: str | None, now: datetime, detail: str
) -> None:
    cache = _tx_cache(session).setdefault("rooms", {})
    if attempt.notification_id not in cache:
        prefetch_rooms(session, [attempt.notification_id])
    kind, number = cache[attempt.notification_id]
    data = {
        "id": attempt.id,
        "notification_id": attempt.notification_id,
        "status": attempt.status,
        "previous": previous,
        "at": now.isoformat(),
        "detail": detail,
        "number": number,
        "kind": kind,
    }
    publish(session, "sms.status", data, sms_rooms(number))


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
