"""The mail pipeline as a list of calls: store → parse → match → authenticate → decide → apply.

Storing happens first and is committed on its own (``store.py``); everything after it runs in one
transaction per message and is idempotent: a message already processed is not processed again, and a
failure leaves the raw message recorded with its error, retryable.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from ticketdesk.db.blobs import load_blob
from ticketdesk.db.rows import update_loaded
from ticketdesk.intake import apply
from ticketdesk.intake.loops import auto_reply_reason
from ticketdesk.intake.match import Match, match
from ticketdesk.intake.models import RawMessage
from ticketdesk.intake.parse import ParsedMail, parse_message
from ticketdesk.intake.policy import Decision, Facts, Sender, Thread, decide
from ticketdesk.intake.policy import Outcome as PolicyOutcome
from ticketdesk.settings import Settings

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
AUTO_REPLY_REASONS = {"auto_reply_subject", "auto_responder_header"}


@dataclass(frozen=True)
class Outcome:
    raw_id: int
    disposition: str
    ticket_number: int | None = None
    detail: str = ""


def claim(session: Session, raw_id: int, *, now: datetime) -> bool:
    """Take a stored message for processing (once, even with several workers)."""
    result = session.execute(
        update(RawMessage)
        .where(
            RawMessage.id == raw_id,
            (RawMessage.status.in_(("pending", "failed")))
            | ((RawMessage.status == "processing") & (RawMessage.processed_at < now - LEASE)),
        )
        .values(status="processing", processed_at=now, attempts=RawMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def is_auto_reply(parsed: ParsedMail, reason: str | None) -> bool:
    return (parsed.auto_submitted or "").lower().startswith("auto-replied") or reason in AUTO_REPLY_REASONS


def authenticate(
    raw: RawMessage,
    data: bytes,
    m: Match,
    settings: Settings,
    dns: Any,
    now: datetime,
    confirmed: bool = False,
) -> tuple[dict[str, Any] | None, bool]:
    """Sender authentication (DKIM/SPF/DMARC) for mail that could open or join a ticket."""
    from ticketdesk.senderauth import TrustedMta, check_sender

    if m.sender is not Sender.CONTACT and m.thread is not Thread.TICKET:
        return None, False  # strangers and removed contacts are quarantined: no DNS work on their behalf
    if confirmed:
        auth = dict(raw.auth or {"dkim": "none", "spf": "none", "dmarc": "none", "details": []})
        auth.update(
            verdict="authenticated", confirmed=True, reason="confirmed by the sender through the link"
        )
        return auth, True
    org = m.contact.organization if m.contact else (m.ticket.organization if m.ticket else None)
    if org is not None and org.sender_policy == "trust_relay":
        return {
            "dkim": "none",
            "spf": "none",
            "dmarc": "none",
            "verdict": "authenticated",
            "details": [],
            "reason": "the organisation trusts our relay",
        }, True
    # SMTP: the peer is the sender's server. LMTP and `ingest` are fed by our own MTA: its envelope sender
    # (LMTP MAIL FROM, `ingest --from`) is trusted, the client IP/HELO come from its Received header.
    by_smtp = raw.source == "smtp"
    from_our_mta = raw.source in ("lmtp", "ingest") and bool(raw.envelope_from)
    result = check_sender(
        data,
        ip=raw.peer_ip if by_smtp else None,
        helo=raw.helo if by_smtp else None,
        mail_from=raw.envelope_from if by_smtp or from_our_mta else None,
        dns=dns,
        trusted_authserv_ids=settings.trusted_authserv_ids,
        now=raw.received_at or now,  # DKIM t=/x= as of arrival, also when a DNS re-check runs later
        trusted_mta=None if by_smtp else TrustedMta(hops=1),
    )
    ok = result.authenticated and (org is None or org.sender_policy != "always_confirm")
    auth = result.to_dict()
    auth["verdict"] = "authenticated" if ok else "held"
    if result.authenticated and not ok:
        auth["reason"] = "the organisation asks to confirm every message"
    return auth, ok


def process(
    session: Session,
    raw_id: int,
    *,
    now: datetime,
    settings: Settings,
    dns: Any,
    confirmed: bool = False,
    release: bool = False,
    claimed: bool = False,
    data: bytes | None = None,
) -> Outcome:
    """Process one stored message; ``confirmed`` = its sender confirmed it through the link,
    ``release`` = an admin released it from quarantine (a reply to a closed ticket opens a new one),
    ``claimed`` = the caller stored it as ``processing`` itself (no separate claim needed),
    ``data`` = the raw bytes when the caller still has them (spares reading the blob back)."""
    raw = session.get(RawMessage, raw_id)
    if raw is None:
        raise LookupError(f"intake #{raw_id} does not exist")
    if raw.status == "done":
        return Outcome(raw.id, raw.disposition or "", None, raw.disposition_detail)
    if not claimed and not claim(session, raw_id, now=now):
        return Outcome(raw_id, raw.disposition or "processing", None, "being processed elsewhere")
    try:
        return _run(
            session,
            raw_id,
            now=now,
            settings=settings,
            dns=dns,
            confirmed=confirmed,
            release=release,
            data=data,
        )
    except Exception as err:  # recorded on the message, shown in the intake log, retryable: never lost
        session.rollback()
        log.exception("intake #%s failed", raw_id)
        failed = session.get(RawMessage, raw_id)
        assert failed is not None
        failed.status, failed.disposition = "failed", "failed"
        failed.error = f"{type(err).__name__}: {err}\n" + "".join(traceback.format_exc(limit=6))[-3000:]
        failed.disposition_detail = f"processing failed: {type(err).__name__}: {str(err)[:300]}"
        session.commit()
        return Outcome(raw_id, "failed", None, failed.disposition_detail)


def _run(
    session: Session,
    raw_id: int,
    *,
    now: datetime,
    settings: Settings,
    dns: Any,
    confirmed: bool = False,
    release: bool = False,
    data: bytes | None = None,
) -> Outcome:
    raw = session.get(RawMessage, raw_id)
    assert raw is not None
    if raw.disposition_detail:  # (assigning an unchanged value would still cost a flush)
        raw.disposition_detail = ""
    if data is None:
        data = load_blob(session, raw.blob_sha256) or b""
    parsed = parse_message(data, max_attachment_bytes=settings.max_attachment_bytes)
    # written with the outcome (one UPDATE of the row at COMMIT, not one more at the first query)
    subject = (parsed.subject or "")[:500]
    from_addr = (parsed.from_addrs[0][1] if parsed.from_addrs else "")[:320]
    recipients = [
        *raw.envelope_to,
        *parsed.delivered_to,
        *[a for _, a in parsed.to],
        *[a for _, a in parsed.cc],
    ]
    m = match(
        session,
        parsed,
        [r.lower() for r in recipients],
        secret=settings.secret_key,
        tag_prefix=settings.subject_tag,
    )
    reason = auto_reply_reason(
        parsed, envelope_from=raw.envelope_from, own_message_id_domain=settings.mail_domain
    )
    auth, auth_ok = authenticate(raw, data, m, settings, dns, now, confirmed)
    facts = Facts(
        sender=m.sender,
        thread=m.thread,
        ticket_status=m.ticket.status if m.ticket else None,
        within_reopen_window=apply.within_window(session, m.ticket, now),
        is_dsn=parsed.is_dsn,
        is_auto_reply=is_auto_reply(parsed, reason),
        may_answer=reason is None,
        auth_ok=auth_ok,
    )
    decision: Decision = decide(facts)
    if release and decision.outcome is PolicyOutcome.CLOSED and m.sender is Sender.CONTACT:
        decision = Decision(
            PolicyOutcome.NEW_TICKET, reason="released by an admin: a new ticket after a closed one"
        )
    if decision.outcome is PolicyOutcome.HOLD:  # the confirmation mail quotes them
        raw.subject, raw.from_addr = subject, from_addr
    ticket = apply.carry_out(session, raw, parsed, m, decision, auth, now=now, may_answer=reason is None)
    update_loaded(
        session,
        raw,
        {
            "subject": subject,
            "from_addr": from_addr,
            "status": "done",
            "disposition": decision.disposition,
            "auth": auth,
            "error": None,
            "disposition_detail": raw.disposition_detail or decision.reason,
            "ticket_id": ticket.id if ticket is not None else None,
            "processed_at": now,
        },
    )
    if confirmed and ticket is not None:
        from ticketdesk.tickets.history import ActorRef, record

        record(
            session,
            ticket,
            ActorRef("client", m.contact.id if m.contact else None, m.from_addr or ""),
            "sender.confirmed",
            now=now,
            detail="confirmed by the sender",
            after={"intake_id": raw.id},
        )
    for defect in parsed.defects[:5]:
        log.debug("intake #%s parser defect: %s", raw.id, defect)
    # read before the commit expires them: reading after it would reload the ticket and its eager
    # relationships in a new (write-locking, on SQLite) transaction just to answer the caller
    outcome = Outcome(raw.id, decision.disposition, ticket.number if ticket else None, raw.disposition_detail)
    session.commit()
    return outcome
