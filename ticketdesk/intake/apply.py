"""Carry out the policy decision: open or append, quarantine, hold, answer, record bounces."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ticketdesk.admin.store import app_settings, reopen_window
from ticketdesk.db.blobs import store_blob
from ticketdesk.db.rows import insert_loaded
from ticketdesk.intake.match import Match
from ticketdesk.intake.models import AutoReplyLog, RawMessage
from ticketdesk.intake.parse import ParsedMail
from ticketdesk.intake.policy import Decision, Outcome
from ticketdesk.intake.quotes import split_quoted
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.outbound.service import queue_template
from ticketdesk.tickets import service
from ticketdesk.tickets.effects import is_support_address
from ticketdesk.tickets.history import ActorRef, record
from ticketdesk.tickets.models import Attachment, Message, Queue, Ticket
from ticketdesk.tickets.queues import default_queue, queue_by_slug, queue_for_address

# Automatic answers per address: (how many, in what period)
ANSWER_LIMITS = {
    "not_contact": (1, timedelta(days=1)),
    "open_new": (3, timedelta(hours=1)),
    "ack": (10, timedelta(hours=1)),
}


_ANSWERS_SENT = (
    select(func.count())
    .select_from(AutoReplyLog)
    .where(
        AutoReplyLog.address == bindparam("address"),
        AutoReplyLog.kind == bindparam("kind"),
        AutoReplyLog.sent_at > bindparam("since", type_=AutoReplyLog.sent_at.type),
    )
)


def may_send_automatic(session: Session, address: str, kind: str, *, now: datetime) -> bool:
    """Per-address rate limit on automatic answers; records the answer when allowed."""
    limit, period = ANSWER_LIMITS.get(kind, (5, timedelta(hours=1)))
    sent = session.scalar(_ANSWERS_SENT, {"address": address, "kind": kind, "since": now - period})
    if (sent or 0) >= limit:
        return False
    insert_loaded(session, AutoReplyLog(address=address, kind=kind, sent_at=now))
    return True


def message_data(parsed: ParsedMail, raw: RawMessage, match: Match, auth: dict | None) -> service.NewMessage:
    new_text, quoted = split_quoted(parsed.text or "", parsed.language)
    return service.NewMessage(
        text=new_text if new_text.strip() else (parsed.text or ""),
        quoted_text=quoted or None,
        html=parsed.html,
        direction="in",
        channel="email",
        subject=parsed.subject,
        from_addr=match.from_addr or "",
        from_name=match.from_name or "",
        to_addrs=[a for _, a in parsed.to],
        cc_addrs=[a for _, a in parsed.cc],
        message_id_header=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references or None,
        raw_message_id=raw.id,
        auth=auth,
    )


def store_attachments(session: Session, msg: Message, parsed: ParsedMail) -> None:
    for item in parsed.attachments:
        digest = None if item.too_large else store_blob(session, item.data)
        msg.attachments.append(
            Attachment(
                blob_sha256=digest,
                filename=item.filename,
                content_type=item.content_type,
                size=item.size,
                content_id=item.content_id,
                inline=item.inline,
                too_large=item.too_large,
            )
        )


def new_cc(parsed: ParsedMail, ticket_requester: str | None, sender: str | None) -> list[str]:
    people = [a.lower() for _, a in [*parsed.to, *parsed.cc] if a and "@" in a]
    return [
        a for a in dict.fromkeys(people) if a not in (ticket_requester, sender) and not is_support_address(a)
    ]


def _queue_for(session: Session, raw: RawMessage, parsed: ParsedMail) -> Queue:
    if raw.queue_slug:
        return queue_by_slug(session, raw.queue_slug)
    for address in [*raw.envelope_to, *[a for _, a in parsed.to], *[a for _, a in parsed.cc]]:
        queue = queue_for_address(session, address)
        if queue is not None:
            return queue
    return default_queue(session)


def open_ticket(
    session: Session,
    raw: RawMessage,
    parsed: ParsedMail,
    match: Match,
    decision: Decision,
    auth: dict | None,
    *,
    now: datetime,
    acknowledge: bool,
) -> Ticket:
    contact = match.contact
    assert contact is not None
    data = message_data(parsed, raw, match, auth)
    if decision.legacy and not data.quoted_text and parsed.text:
        data.quoted_text = parsed.text
    previous = match.ticket.id if match.ticket is not None and match.ticket.status == "closed" else None
    ticket, msg = service.create_ticket(
        session,
        previous_ticket_id=previous,
        organization=contact.organization,
        requester=contact,
        queue=_queue_for(session, raw, parsed),
        subject=parsed.subject,
        message=data,
        actor=ActorRef.client(contact),
        now=now,
        cc=new_cc(parsed, contact.primary_email, match.from_addr),
        legacy_reference=match.reference,
        acknowledge=acknowledge and may_send_automatic(session, match.from_addr or "", "ack", now=now),
    )
    store_attachments(session, msg, parsed)
    if decision.legacy:
        record(
            session,
            ticket,
            ActorRef.system("intake"),
            "ticket.legacy_reference",
            now=now,
            after={"reference": match.reference},
            detail="a reply to a ticket this system does not know (an earlier system); the quoted context is kept",
        )
    return ticket


def append_reply(
    session: Session, raw: RawMessage, parsed: ParsedMail, match: Match, auth: dict | None, *, now: datetime
) -> Ticket:
    assert match.ticket is not None
    ticket = service.lock(session, match.ticket)
    actor = (
        ActorRef.client(match.contact) if match.contact else ActorRef("client", None, match.from_addr or "")
    )
    msg = service.add_client_message(
        session, ticket, match.contact, message_data(parsed, raw, match, auth), now=now, actor=actor
    )
    store_attachments(session, msg, parsed)
    others = new_cc(parsed, None, match.from_addr)
    if not others:  # nobody else in To/Cc: the requester's address is not needed (no query)
        return ticket
    requester = ticket.requester.primary_email if ticket.requester else None
    for address in others:
        if address != requester and all(c.email != address for c in ticket.cc):
            service.add_cc(session, ticket, address, actor, now=now)
    return ticket


def answer(
    session: Session,
    kind: str,
    match: Match,
    parsed: ParsedMail,
    *,
    now: datetime,
    ticket: Ticket | None = None,
) -> None:
    address = match.from_addr
    if not address or is_support_address(address) or not may_send_automatic(session, address, kind, now=now):
        return
    settings = app_settings()
    consulting = next(
        (a for a, q in settings.support_addresses.items() if q == "consulting"), settings.mail_from
    )
    language = (match.contact.language if match.contact else None) or parsed.language
    if kind == "not_contact":
        queue_template(
            session,
            kind="not_contact",
            to=[address],
            language=language,
            now=now,
            auto_submitted="auto-replied",
            subject=f"Re: {parsed.subject}".strip(),
            original_subject=parsed.subject,
            address=address,
            consulting_address=consulting,
        )
    elif kind == "open_new" and ticket is not None:
        queue_template(
            session,
            kind="open_new",
            to=[address],
            language=language,
            now=now,
            ticket=ticket,
            auto_submitted="auto-replied",
            support_address=ticket.queue.addresses[0].address
            if ticket.queue.addresses
            else settings.mail_from,
            new_ticket_url=f"{settings.public_url}/portal/tickets/new?previous={ticket.number}",
        )


def record_bounce(session: Session, parsed: ParsedMail) -> str:
    dsn = parsed.dsn
    original = dsn.original_message_id if dsn else None
    mail = (
        session.scalar(select(OutboundMail).where(OutboundMail.message_id_header == original))
        if original
        else None
    )
    if mail is None:
        return "delivery report for a message we do not know"
    failed = dsn.failed if dsn else []
    detail = (
        "; ".join(f"{r.recipient}: {r.status or ''} {r.diagnostic or ''}".strip() for r in failed)
        or "bounced"
    )
    if failed:
        mail.state, mail.bounce_detail = "bounced", detail[:2000]
    return f"delivery report for outgoing mail #{mail.id}: {detail[:200]}"


def carry_out(
    session: Session,
    raw: RawMessage,
    parsed: ParsedMail,
    match: Match,
    decision: Decision,
    auth: dict | None,
    *,
    now: datetime,
    may_answer: bool,
) -> Ticket | None:
    """Apply ``decision``; returns the ticket the message went to (if any)."""
    if decision.outcome is Outcome.BOUNCE:
        raw.disposition_detail = record_bounce(session, parsed)
        return None
    if decision.outcome is Outcome.NEW_TICKET:
        return open_ticket(session, raw, parsed, match, decision, auth, now=now, acknowledge=may_answer)
    if decision.outcome is Outcome.APPEND:
        return append_reply(session, raw, parsed, match, auth, now=now)
    if decision.outcome is Outcome.HOLD:
        from ticketdesk.senderauth.holds import create_hold

        create_hold(
            session, raw, match=match, decision=decision, auth=auth, now=now, send=decision.answer is not None
        )
        return None
    if decision.outcome is Outcome.CLOSED:
        if decision.answer:
            answer(session, "open_new", match, parsed, now=now, ticket=match.ticket)
        return match.ticket
    if decision.outcome is Outcome.QUARANTINE and decision.answer:
        answer(session, "not_contact", match, parsed, now=now)
    return None


def within_window(session: Session, ticket: Ticket | None, now: datetime) -> bool:
    if ticket is None or ticket.resolved_at is None:
        return False
    return now - ticket.resolved_at < reopen_window(session)
