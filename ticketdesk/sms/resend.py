"""Deliberate resends (seed 000: failed messages resent in bulk, with an updated text, except to
customers who had already collected their item).

A resend is a new attempt of the same notification, linked to the attempt it repeats
(``SmsAttempt.resend_of_id``), with a fresh idempotency key: it is a new hand-over on purpose.
Only the latest attempt of a notification can be resent, and only when it ``failed`` or is
``unknown``. A bulk resend skips notifications whose reason has gone:

* the ticket was resolved or closed;
* ``requires_action``: the client has written since the message that asked for action;
* ``urgent_ack`` / ``escalation``: an agent has answered the ticket since the SMS;
* the recipient is on the STOP list, no longer active or no longer wants SMS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from ticketdesk.contacts.models import Contact
from ticketdesk.sms import states
from ticketdesk.sms.models import SmsAttempt, SmsNotification
from ticketdesk.sms.service import is_stopped, new_attempt
from ticketdesk.tickets.models import Message, Ticket

RESENDABLE = (states.FAILED, states.UNKNOWN)
MAX_BULK = 5000


class ResendError(Exception):
    """This attempt cannot be resent (not the latest, or not failed/unknown)."""


@dataclass(frozen=True)
class Skipped:
    attempt_id: int
    notification_id: int
    reason: str


@dataclass
class ResendReport:
    resent: list[SmsAttempt] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    would_resend: list[int] = field(default_factory=list)  # dry run: attempt ids that would be resent

    def to_dict(self) -> dict[str, Any]:
        return {
            "resent": [
                {
                    "id": a.id,
                    "resend_of_id": a.resend_of_id,
                    "notification_id": a.notification_id,
                    "status": a.status,
                }
                for a in self.resent
            ],
            "skipped": [
                {"id": s.attempt_id, "notification_id": s.notification_id, "reason": s.reason}
                for s in self.skipped
            ],
            "would_resend": self.would_resend,
        }


def reason_gone(session: Session, notification: SmsNotification) -> str | None:
    """Why this notification no longer needs to reach its recipient, or None when it still does."""
    if is_stopped(session, notification.to_e164):
        return "the number is on the STOP list"
    if notification.contact_id is not None:
        contact = session.get(Contact, notification.contact_id)
        if contact is None or not contact.active:
            return "the contact is no longer active"
        if not contact.notify_sms:
            return "the contact no longer wants SMS"
    if notification.ticket_id is None:
        return None
    ticket = session.get(Ticket, notification.ticket_id)
    if ticket is None:
        return "the ticket no longer exists"
    if ticket.status in ("resolved", "closed"):
        return f"ticket {ticket.number} is {ticket.status}"
    kind = (notification.reason_ref or {}).get("kind") or notification.kind
    if kind == "requires_action":
        since_id = (notification.reason_ref or {}).get("message_id") or 0
        replied = session.scalar(
            select(
                exists().where(
                    Message.ticket_id == ticket.id, Message.direction == "in", Message.id > since_id
                )
            )
        )
        if replied:
            return "the client has already replied"
    elif kind in ("urgent_ack", "escalation"):
        answered = session.scalar(
            select(
                exists().where(
                    Message.ticket_id == ticket.id,
                    Message.direction == "out",
                    Message.created_at > notification.created_at,
                )
            )
        )
        if answered:
            return "an agent has already answered the ticket"
    return None


def _latest(session: Session, attempt: SmsAttempt) -> bool:
    later = aliased(SmsAttempt)
    return not session.scalar(
        select(exists().where(later.notification_id == attempt.notification_id, later.id > attempt.id))
    )


def resend_attempt(
    session: Session,
    attempt: SmsAttempt,
    *,
    now: datetime,
    by: str,
    text: str | None = None,
) -> SmsAttempt:
    """Resend one attempt on purpose (an admin's decision: no approval hold, pauses still apply)."""
    if attempt.status not in RESENDABLE:
        raise ResendError(f"SMS {attempt.id} is {attempt.status}; only failed or unknown SMS can be resent")
    if not _latest(session, attempt):
        raise ResendError(f"SMS {attempt.id} has already been resent; resend its latest attempt instead")
    notification = session.get(SmsNotification, attempt.notification_id)
    assert notification is not None
    if is_stopped(session, notification.to_e164):
        raise ResendError("the number is on the STOP list")
    return new_attempt(
        session, notification, now=now, text=text or attempt.text, resend_of=attempt, approved=True, by=by
    )


def bulk_resend(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    by: str,
    statuses: tuple[str, ...] = RESENDABLE,
    text: str | None = None,
    kind: str | None = None,
    organization_id: int | None = None,
    dry_run: bool = False,
) -> ResendReport:
    """Resend the latest failed/unknown attempts created in [since, until), skipping stale ones."""
    bad = [s for s in statuses if s not in RESENDABLE]
    if bad:
        raise ResendError(f"only failed or unknown SMS can be resent, not {', '.join(bad)}")
    later = aliased(SmsAttempt)
    query = (
        select(SmsAttempt)
        .join(SmsNotification, SmsNotification.id == SmsAttempt.notification_id)
        .where(
            SmsAttempt.status.in_(statuses),
            SmsAttempt.created_at >= since,
            SmsAttempt.created_at < until,
            ~exists().where(later.notification_id == SmsAttempt.notification_id, later.id > SmsAttempt.id),
        )
        .order_by(SmsAttempt.id)
        .limit(MAX_BULK)
    )
    if kind:
        query = query.where(SmsNotification.kind == kind)
    if organization_id is not None:
        query = query.where(SmsNotification.organization_id == organization_id)
    report = ResendReport()
    for attempt in session.scalars(query).all():
        notification = session.get(SmsNotification, attempt.notification_id)
        assert notification is not None
        why = reason_gone(session, notification)
        if why:
            report.skipped.append(Skipped(attempt.id, attempt.notification_id, why))
        elif dry_run:
            report.would_resend.append(attempt.id)
        else:
            report.resent.append(
                new_attempt(
                    session,
                    notification,
                    now=now,
                    text=text or attempt.text,
                    resend_of=attempt,
                    approved=True,
                    by=by,
                )
            )
    return report
