"""Held messages: a signed, single-use, expiring confirmation link to the contact's registered address.

A message whose sender could not be authenticated is held (no ticket, no reply appended). When the
check failed only because DNS was down (``temperror``), the worker checks again a few times over about
30 minutes before asking the sender. Confirming releases the message through the normal pipeline.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketdesk.admin.store import app_settings
from ticketdesk.errors import Conflict, NotFound
from ticketdesk.intake.models import RawMessage, SenderHold
from ticketdesk.outbound.service import queue_template

RECHECK_DELAYS = (timedelta(minutes=3), timedelta(minutes=5), timedelta(minutes=7), timedelta(minutes=15))
MAX_CONFIRMATIONS_PER_HOUR = 3


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(app_settings().secret_key, salt="sender-confirmation")


def make_token(hold: SenderHold) -> str:
    return _serializer().dumps({"h": hold.id, "n": hold.nonce})


def hold_for_token(session: Session, token: str, *, now: datetime) -> SenderHold:
    """The hold a link names; NotFound for a forged link, Conflict for a used or expired one."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise NotFound("this confirmation link is not valid") from None
    if not isinstance(data, dict):
        raise NotFound("this confirmation link is not valid")
    hold = session.get(SenderHold, data.get("h"))
    if hold is None or not secrets.compare_digest(str(hold.nonce), str(data.get("n"))):
        raise NotFound("this confirmation link is not valid")
    if hold.status == "confirmed":
        raise Conflict("this message was already confirmed; the link works only once", code="link_used")
    if hold.status == "expired" or hold.expires_at <= now:
        raise Conflict("this confirmation link has expired; please send your message again", code="link_expired")
    return hold


def registered_address(hold: SenderHold, raw: RawMessage, session: Session) -> str | None:
    """Where the link goes: the contact's registered address that the mail claimed to be from,
    else the contact's primary address; never a Reply-To from the suspicious mail."""
    from ticketdesk.contacts.models import Contact

    contact = session.get(Contact, hold.contact_id) if hold.contact_id else None
    if contact is None:
        # a CC participant of the ticket (not a contact): the address that is on the ticket's copy list
        return raw.from_addr or None
    addresses = [e.address for e in contact.emails]
    return raw.from_addr if raw.from_addr in addresses else contact.primary_email


def create_hold(session: Session, raw: RawMessage, *, match: Any, decision: Any, auth: dict | None, now: datetime,
                send: bool) -> SenderHold:
    """Hold ``raw`` (or update its hold when a re-check still cannot authenticate it)."""
    temporary = bool(auth and auth.get("temporary"))
    hold = session.scalar(select(SenderHold).where(SenderHold.raw_message_id == raw.id))
    if hold is None:
        hold = SenderHold(
            raw_message_id=raw.id, nonce=secrets.token_urlsafe(24), created_at=now,
            expires_at=now + timedelta(hours=app_settings().confirm_link_hours),
        )
        session.add(hold)
    hold.contact_id = match.contact.id if match.contact else None
    hold.ticket_id = match.ticket.id if match.ticket is not None else None
    hold.kind = "reply" if match.ticket is not None else "new"
    hold.reason = decision.reason
    if temporary and hold.recheck_attempts < len(RECHECK_DELAYS):
        hold.status, hold.next_recheck_at = "rechecking", now + RECHECK_DELAYS[hold.recheck_attempts]
        raw.disposition_detail = "held: DNS failed during the sender check; checking again before asking the sender"
        session.flush()
        return hold
    hold.status, hold.next_recheck_at = "pending", None
    session.flush()
    if send and hold.confirmation_sent_at is None:
        send_confirmation(session, hold, raw, now=now)
    return hold


def send_confirmation(session: Session, hold: SenderHold, raw: RawMessage, *, now: datetime) -> bool:
    address = registered_address(hold, raw, session)
    if not address:
        return False
    recent = session.scalar(
        select(func.count()).select_from(SenderHold)
        .join(RawMessage, RawMessage.id == SenderHold.raw_message_id)
        .where(SenderHold.confirmation_sent_at > now - timedelta(hours=1),
               (SenderHold.contact_id == hold.contact_id) if hold.contact_id else (RawMessage.from_addr == address))
    )
    if (recent or 0) >= MAX_CONFIRMATIONS_PER_HOUR:
        raw.disposition_detail = "held: confirmation limit reached for this sender this hour"
        return False
    from ticketdesk.contacts.models import Contact

    contact = session.get(Contact, hold.contact_id) if hold.contact_id else None
    url = f"{app_settings().public_url}/confirm/{make_token(hold)}"
    queue_template(
        session, kind="confirm_sender", to=[address], language=contact.language if contact else None, now=now,
        auto_submitted="auto-replied", subject=f"Please confirm: {raw.subject}".strip(), original_subject=raw.subject,
        confirm_url=url, hours=app_settings().confirm_link_hours,
    )
    hold.confirmation_sent_at = now
    return True


def confirm(session: Session, hold: SenderHold, *, now: datetime, settings: Any, dns: Any) -> Any:
    """Release a held message: it goes through the pipeline as confirmed by its sender."""
    from ticketdesk.intake.pipeline import process

    if hold.status == "confirmed":
        raise Conflict("this message was already confirmed", code="link_used")
    hold.status, hold.confirmed_at = "confirmed", now
    raw = session.get(RawMessage, hold.raw_message_id)
    assert raw is not None
    raw.status = "pending"
    session.commit()
    return process(session, raw.id, now=now, settings=settings, dns=dns, confirmed=True)


def expire(session: Session, *, now: datetime) -> int:
    """Unconfirmed holds past their expiry are discarded and recorded (the raw message stays stored)."""
    rows = session.scalars(
        select(SenderHold).where(SenderHold.status.in_(("pending", "rechecking")), SenderHold.expires_at <= now)
        .limit(500)
    ).all()
    for hold in rows:
        hold.status = "expired"
        raw = session.get(RawMessage, hold.raw_message_id)
        if raw is not None:
            raw.disposition_detail = f"held message discarded: not confirmed by {hold.expires_at:%Y-%m-%d %H:%M} UTC"
    session.commit()
    return len(rows)


def recheck(session: Session, *, now: datetime, settings: Any, dns: Any) -> int:
    """Holds caused by a DNS failure: check again; released when it passes, the sender is asked after
    the last try (``create_hold`` decides, as the pipeline holds the message again)."""
    from ticketdesk.intake.pipeline import process

    ids = session.scalars(
        select(SenderHold.id).where(SenderHold.status == "rechecking", SenderHold.next_recheck_at <= now).limit(200)
    ).all()
    released = 0
    for hold_id in ids:
        hold = session.get(SenderHold, hold_id)
        raw = session.get(RawMessage, hold.raw_message_id) if hold else None
        if hold is None or raw is None:
            continue
        hold.recheck_attempts += 1
        raw.status = "pending"
        session.commit()
        if process(session, raw.id, now=now, settings=settings, dns=dns).disposition != "held":
            hold = session.get(SenderHold, hold_id)
            if hold is not None:
                hold.status = "released"
                session.commit()
            released += 1
    return released
