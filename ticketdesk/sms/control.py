"""Admin control of SMS sending: approve, pause, resume or cancel one attempt, pause and resume all
sending (or one organisation's), and the STOP list. Runs in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.admin.store import get_value, set_value
from ticketdesk.sms import states
from ticketdesk.sms.lifecycle import transition
from ticketdesk.sms.models import SmsAttempt, SmsNotification, SmsStop
from ticketdesk.sms.service import is_stopped, paused_scope


def act(session: Session, attempt: SmsAttempt, action: str, *, now: datetime, by: str) -> states.Outcome:
    """approve | pause | resume | cancel one attempt on behalf of ``by`` (an admin's name)."""
    if action not in ("approve", "pause", "resume", "cancel"):
        raise ValueError(f"unknown SMS action {action!r}")
    outcome = states.apply_action(attempt.status, action)
    return transition(
        session, attempt, action, now=now, detail=f"{outcome.note} by {by}" if by else "", source="admin"
    )


def held(
    session: Session, state: str, *, organization_id: int | None = None, limit: int = 1000
) -> list[SmsAttempt]:
    query = select(SmsAttempt).where(SmsAttempt.status == state).order_by(SmsAttempt.id).limit(limit)
    if organization_id is not None:
        query = query.join(SmsNotification).where(SmsNotification.organization_id == organization_id)
    return list(session.scalars(query))


def pause_sending(session: Session, *, now: datetime, by: str, organization_id: int | None = None) -> int:
    """Pause all new and not-yet-sent SMS (everything, or one organisation's); returns how many were held."""
    if organization_id is None:
        set_value(session, "sms.paused", True, by=by)
    else:
        orgs = set(get_value(session, "sms.paused_organizations", [])) | {organization_id}
        set_value(session, "sms.paused_organizations", sorted(orgs), by=by)
    count = 0
    for state in (states.QUEUED, states.SCHEDULED, states.AWAITING_APPROVAL):
        for attempt in held(session, state, organization_id=organization_id, limit=100_000):
            transition(session, attempt, "pause", now=now, detail=f"paused by {by}", source="admin")
            attempt.hold_reason = f"sending paused by {by}"
            count += 1
    return count


def resume_sending(
    session: Session,
    *,
    now: datetime,
    by: str,
    organization_id: int | None = None,
    release: bool = True,
) -> int:
    """Lift a pause; with ``release`` the paused attempts are queued again. Returns how many were released."""
    if organization_id is None:
        set_value(session, "sms.paused", False, by=by)
    else:
        orgs = set(get_value(session, "sms.paused_organizations", [])) - {organization_id}
        set_value(session, "sms.paused_organizations", sorted(orgs), by=by)
    if not release:
        return 0
    paused_all, paused_orgs = paused_scope(session)
    count = 0
    for attempt in held(session, states.PAUSED, organization_id=organization_id, limit=100_000):
        notification = session.get(SmsNotification, attempt.notification_id)
        if paused_all or (notification is not None and notification.organization_id in paused_orgs):
            continue  # still under another pause
        transition(session, attempt, "resume", now=now, detail=f"resumed by {by}", source="admin")
        count += 1
    return count


# --- STOP list ----------------------------------------------------------------------------------


def add_stop(session: Session, e164: str, *, now: datetime, text: str = "") -> int:
    """Put ``e164`` on the STOP list and stop everything not yet handed over to it; returns that count."""
    if not is_stopped(session, e164):
        session.add(SmsStop(e164=e164, source_text=text[:200], created_at=now))
    stopped = 0
    for attempt in session.scalars(
        select(SmsAttempt).where(SmsAttempt.to_e164 == e164, SmsAttempt.status.in_(states.CANCELLABLE_STATES))
    ):
        transition(session, attempt, "stop_listed", now=now, detail="the recipient asked to STOP")
        stopped += 1
    return stopped


def remove_stop(session: Session, e164: str) -> bool:
    row = session.scalar(select(SmsStop).where(SmsStop.e164 == e164))
    if row is None:
        return False
    session.delete(row)
    return True
