"""Held messages: a signed, single-use, expiring confirmation link to the contact's registered address.

A message whose sender could not be authenticated is held (no ticket, no reply appended). When the
check failed only because DNS was down (``temperror``), the worker checks again a few times over about
30 minutes (``RECHECK_DELAYS``) before asking the sender. Confirming releases the message through the
normal pipeline; a hold nobody confirms expires and is recorded in the intake log, never silently.

Hold states: ``rechecking`` (DNS failed; the worker tries again) → ``pending`` (waiting for the sender;
the link was mailed unless the hourly limit was reached) → ``confirmed`` | ``released`` (a re-check
authenticated it) | ``expired`` (discarded). Every state change is a guarded UPDATE, so a double click,
two workers or a confirmation racing the expiry job act once.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from ticketdesk.admin.store import app_settings
from ticketdesk.errors import Conflict, NotFound
from ticketdesk.intake.models import RawMessage, SenderHold
from ticketdesk.outbound.service import queue_template

log = logging.getLogger(__name__)

RECHECK_DELAYS = (timedelta(minutes=3), timedelta(minutes=5), timedelta(minutes=7), timedelta(minutes=15))
RECHECK_LEASE = timedelta(minutes=10)  # a re-check that crashed is tried again after this
MAX_CONFIRMATIONS_PER_HOUR = 3  # per contact (or per address for a CC participant who is no contact)
OPEN = ("pending", "rechecking")
SUBJECT_IN_MAIL = 120  # the suspicious subject is quoted in the mail to a third party: keep it short


def _changed(session: Session, statement: Any) -> int:
    """Run a guarded UPDATE; how many rows it changed (0 = someone else got there first)."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(app_settings().secret_key, salt="sender-confirmation")


def make_token(hold: SenderHold) -> str:
    """The link token: the hold's id and its random nonce, signed with the secret key."""
    return str(_serializer().dumps({"h": hold.id, "n": hold.nonce}))


def hold_for_token(session: Session, token: str, *, now: datetime) -> SenderHold:
    """The hold a link names; NotFound for a forged link, Conflict for a used or expired one."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise NotFound("this confirmation link is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("h"), int) or not isinstance(data.get("n"), str):
        raise NotFound("this confirmation link is not valid")
    hold = session.get(SenderHold, data["h"])
    if hold is None or not secrets.compare_digest(hold.nonce.encode(), data["n"].encode()):
        raise NotFound("this confirmation link is not valid")
    if hold.status in ("confirmed", "released"):
        raise Conflict("this message was already confirmed; the link works only once", code="link_used")
    if hold.status == "expired" or hold.expires_at <= now:
        raise Conflict(
            "this confirmation link has expired; please send your message again", code="link_expired"
        )
    return hold


def registered_address(
    session: Session, hold: SenderHold, raw: RawMessage, from_addr: str | None
) -> str | None:
    """Where the link goes: the contact's registered address that the mail claimed to come from, else the
    contact's primary address; never a Reply-To (or anything else) taken from the suspicious mail."""
    from ticketdesk.contacts.models import Contact

    claimed = (from_addr or raw.from_addr or "").strip().lower() or None
    contact = session.get(Contact, hold.contact_id) if hold.contact_id else None
    if contact is None:
        # a CC participant of the ticket who is no contact: matched by the address on the ticket's copy list
        return claimed
    registered = [e.address.lower() for e in contact.emails]
    return claimed if claimed in registered else contact.primary_email


def create_hold(
    session: Session,
    raw: RawMessage,
    *,
    match: Any,
    decision: Any,
    auth: dict[str, Any] | None,
    now: datetime,
    send: bool,
) -> SenderHold:
    """Hold ``raw`` (or update its hold when a re-check still cannot authenticate it)."""
    temporary = bool(auth and auth.get("temporary"))
    hold = session.scalar(select(SenderHold).where(SenderHold.raw_message_id == raw.id))
    if hold is None:
        hold = SenderHold(
            raw_message_id=raw.id,
            nonce=secrets.token_urlsafe(24),
            created_at=now,
            recheck_attempts=0,
            status="pending",
            expires_at=now + timedelta(hours=app_settings().confirm_link_hours),
        )
        session.add(hold)
    elif hold.status == "expired":  # a re-check that raced the expiry: it stays discarded
        raw.disposition_detail = "held message discarded: not confirmed in time"
        return hold
    hold.contact_id = match.contact.id if match.contact else None
    hold.ticket_id = match.ticket.id if match.ticket is not None else None
    hold.kind = "reply" if match.ticket is not None else "new"
    hold.reason = (auth or {}).get("reason") or decision.reason
    if temporary and hold.recheck_attempts < len(RECHECK_DELAYS):
        hold.status, hold.next_recheck_at = "rechecking", now + RECHECK_DELAYS[hold.recheck_attempts]
        raw.disposition_detail = (
            "held: a DNS look-up failed during the sender check; checking again before "
            f"asking the sender (try {hold.recheck_attempts + 1} of {len(RECHECK_DELAYS) + 1})"
        )
        session.flush()
        return hold
    hold.status, hold.next_recheck_at = "pending", None
    session.flush()
    if hold.confirmation_sent_at is None:
        if send:
            checks_passed = bool(auth and auth.get("authenticated"))  # held by the "always confirm" policy
            send_confirmation(session, hold, raw, match.from_addr, now=now, checks_passed=checks_passed)
        else:
            raw.disposition_detail = "held: no confirmation sent (automatic mail or a loop)"
    return hold


def send_confirmation(
    session: Session,
    hold: SenderHold,
    raw: RawMessage,
    from_addr: str | None,
    *,
    now: datetime,
    checks_passed: bool = False,
) -> bool:
    """Queue the confirmation mail (in the caller's transaction), at most a few per contact per hour."""
    from ticketdesk.contacts.models import Contact

    address = registered_address(session, hold, raw, from_addr)
    if not address:
        raw.disposition_detail = "held: no registered address to ask"
        return False
    same_sender = (
        SenderHold.contact_id == hold.contact_id
        if hold.contact_id
        else (SenderHold.contact_id.is_(None) & (func.lower(RawMessage.from_addr) == address))
    )
    recent = session.scalar(
        select(func.count())
        .select_from(SenderHold)
        .join(RawMessage, RawMessage.id == SenderHold.raw_message_id)
        .where(
            SenderHold.confirmation_sent_at > now - timedelta(hours=1), SenderHold.id != hold.id, same_sender
        )
    )
    if (recent or 0) >= MAX_CONFIRMATIONS_PER_HOUR:
        raw.disposition_detail = (
            f"held: no confirmation sent, {MAX_CONFIRMATIONS_PER_HOUR} were already sent to this sender in the "
            "last hour"
        )
        log.info("intake #%s held without a confirmation: hourly limit reached", raw.id)
        return False
    contact = session.get(Contact, hold.contact_id) if hold.contact_id else None
    settings = app_settings()
    subject = " ".join((raw.subject or "").split())
    if len(subject) > SUBJECT_IN_MAIL:
        subject = subject[: SUBJECT_IN_MAIL - 1] + "…"
    queue_template(
        session,
        kind="confirm_sender",
        to=[address],
        language=contact.language if contact else None,
        now=now,
        auto_submitted="auto-replied",
        original_subject=subject or "(no subject)",
        received_at=f"{raw.received_at:%Y-%m-%d %H:%M} UTC",
        confirm_url=f"{settings.public_url}/confirm/{make_token(hold)}",
        hours=settings.confirm_link_hours,
        expires_at=f"{hold.expires_at:%Y-%m-%d %H:%M} UTC",
        checks_passed=checks_passed,
    )
    hold.confirmation_sent_at = now
    raw.disposition_detail = f"held: confirmation link sent to {address}"
    return True


def confirm(session: Session, hold: SenderHold, *, now: datetime, settings: Any, dns: Any) -> Any:
    """Release a held message: it goes through the pipeline as confirmed by its sender (once)."""
    from ticketdesk.intake.pipeline import Outcome, process

    taken = _changed(
        session,
        update(SenderHold)
        .where(SenderHold.id == hold.id, SenderHold.status.in_(OPEN), SenderHold.expires_at > now)
        .values(status="confirmed", confirmed_at=now, next_recheck_at=None),
    )
    if taken != 1:
        session.rollback()
        hold_for_token(session, make_token(hold), now=now)  # raises the fitting "used" / "expired" error
        raise Conflict("this message was already confirmed; the link works only once", code="link_used")
    raw_id = hold.raw_message_id
    reopened = _changed(
        session,
        update(RawMessage)
        .where(
            RawMessage.id == raw_id,
            RawMessage.status.in_(("done", "failed")),
            RawMessage.disposition.in_(("held", "failed")),
        )
        .values(status="pending"),
    )
    session.commit()
    if reopened != 1:  # a re-check is processing it right now; it sees the confirmed hold
        raw = session.get(RawMessage, raw_id)
        assert raw is not None
        return Outcome(raw_id, raw.disposition or "processing", None, raw.disposition_detail)
    log.info("intake #%s confirmed by its sender", raw_id)
    return process(session, raw_id, now=now, settings=settings, dns=dns, confirmed=True)


def expire(session: Session, *, now: datetime) -> int:
    """Unconfirmed holds past their expiry are discarded and recorded (the raw message stays stored)."""
    ids = session.scalars(
        select(SenderHold.id).where(SenderHold.status.in_(OPEN), SenderHold.expires_at <= now).limit(500)
    ).all()
    expired = 0
    for hold_id in ids:
        done = _changed(
            session,
            update(SenderHold)
            .where(SenderHold.id == hold_id, SenderHold.status.in_(OPEN), SenderHold.expires_at <= now)
            .values(status="expired", next_recheck_at=None),
        )
        if done != 1:
            continue
        hold = session.get(SenderHold, hold_id)
        raw = session.get(RawMessage, hold.raw_message_id) if hold else None
        if hold is None or raw is None:
            continue
        session.refresh(hold)
        sent = (
            "the confirmation link was not used" if hold.confirmation_sent_at else "no confirmation was sent"
        )
        raw.disposition_detail = (
            f"held message discarded on {now:%Y-%m-%d %H:%M} UTC: not confirmed by the sender "
            f"before {hold.expires_at:%Y-%m-%d %H:%M} UTC ({sent})"
        )
        raw.auth = {
            **(raw.auth or {}),
            "verdict": "rejected",
            "reason": "held and never confirmed by the sender",
        }
        log.info("intake #%s: held message expired unconfirmed and was discarded", raw.id)
        expired += 1
    session.commit()
    return expired


def recheck(session: Session, *, now: datetime, settings: Any, dns: Any) -> int:
    """Holds caused by a DNS failure: check again. Released when it passes; the pipeline holds it again
    otherwise (``create_hold`` schedules the next try, or asks the sender after the last one)."""
    from ticketdesk.intake.pipeline import process

    ids = session.scalars(
        select(SenderHold.id)
        .where(SenderHold.status == "rechecking", SenderHold.next_recheck_at <= now)
        .order_by(SenderHold.next_recheck_at)
        .limit(200)
    ).all()
    released = 0
    for hold_id in ids:
        claimed = _changed(
            session,
            update(SenderHold)
            .where(
                SenderHold.id == hold_id, SenderHold.status == "rechecking", SenderHold.next_recheck_at <= now
            )
            .values(recheck_attempts=SenderHold.recheck_attempts + 1, next_recheck_at=now + RECHECK_LEASE),
        )
        hold = session.get(SenderHold, hold_id) if claimed == 1 else None
        raw = session.get(RawMessage, hold.raw_message_id) if hold else None
        if hold is None or raw is None:
            session.commit()
            continue
        if raw.status == "done" and raw.disposition != "held":  # processed meanwhile (worker sweep)
            hold.status, hold.next_recheck_at = "released", None
            session.commit()
            continue
        reopened = _changed(
            session,
            update(RawMessage)
            .where(RawMessage.id == raw.id, RawMessage.status.in_(("done", "failed")))
            .values(status="pending"),
        )
        session.commit()
        if reopened != 1:
            continue  # being processed elsewhere; the lease brings it back
        outcome = process(session, raw.id, now=now, settings=settings, dns=dns)
        if outcome.disposition not in ("held", "failed", "processing"):
            _changed(
                session,
                update(SenderHold)
                .where(SenderHold.id == hold_id, SenderHold.status == "rechecking")
                .values(status="released", next_recheck_at=None),
            )
            session.commit()
            log.info("intake #%s released after a DNS re-check: %s", raw.id, outcome.disposition)
            released += 1
    return released
