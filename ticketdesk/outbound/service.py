"""Queue outgoing mail in the caller's transaction; the worker delivers it (``outbound/jobs.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ticketdesk.admin.store import app_settings
from ticketdesk.db.blobs import store_blob
from ticketdesk.db.rows import insert_loaded
from ticketdesk.jobs.queue import enqueue
from ticketdesk.outbound import compose
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.outbound.templates import pick_language, render
from ticketdesk.tickets.models import Message, Ticket

STATUS_LABELS = {
    "en": {
        "queued": "queued",
        "in_progress": "in progress",
        "waiting_for_client": "waiting for your reply",
        "resolved": "resolved",
        "scheduled": "scheduled",
        "closed": "closed",
    },
    "cs": {
        "queued": "ve frontě",
        "in_progress": "řeší se",
        "waiting_for_client": "čeká na Vaši odpověď",
        "resolved": "vyřešeno",
        "scheduled": "naplánováno",
        "closed": "uzavřeno",
    },
}


def status_label(status: str, language: str) -> str:
    return STATUS_LABELS.get(language, STATUS_LABELS["en"]).get(status, status)


def queue_address(ticket: Ticket | None) -> str:
    """The address mail about ``ticket`` comes from: its queue's first support address."""
    session = object_session(ticket) if ticket is not None else None
    if ticket is not None and session is not None:
        from ticketdesk.tickets.queues import first_address

        return first_address(session, ticket.queue_id) or app_settings().mail_from
    if ticket is not None and ticket.queue.addresses:  # not in a session (a preview)
        return ticket.queue.addresses[0].address
    return app_settings().mail_from


def reply_address(ticket: Ticket) -> str:
    """The forgery-proof plus address (support+t1234.<mac>@domain) that threads replies to this ticket."""
    from ticketdesk.intake.threading_keys import plus_address

    local, _, domain = queue_address(ticket).partition("@")
    return plus_address(local, domain, ticket.number or 0, app_settings().secret_key)


def thread_headers(session: Session, ticket: Ticket) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for a mail about ``ticket``: the thread's Message-IDs, oldest first."""
    ids = [
        mid
        for mid in session.scalars(
            select(Message.message_id_header)
            .where(Message.ticket_id == ticket.id, Message.message_id_header.is_not(None))
            .order_by(Message.id)
        )
        if mid
    ]
    return (ids[-1] if ids else None), ids[-10:]


def queue_mail(
    session: Session,
    *,
    kind: str,
    to: list[str],
    subject: str,
    text: str,
    now: datetime,
    ticket: Ticket | None = None,
    cc: list[str] | None = None,
    message: Message | None = None,
    auto_submitted: str | None = "auto-generated",
    language: str = "en",
    from_name: str = "Support",
    message_id: str | None = None,
    thread: tuple[str | None, list[str]] | None = None,
) -> OutboundMail | None:
    """Build and queue one mail (sent by the worker). ``thread``: (In-Reply-To, References) when the
    caller knows them (a new ticket's first answer), else they are read from the ticket's messages."""
    settings = app_settings()
    to = [a for a in dict.fromkeys(a.strip().lower() for a in to if a and "@" in a)]
    cc = [a for a in dict.fromkeys(a.strip().lower() for a in cc or [] if a and "@" in a) if a not in to]
    if not to and not cc:
        return None
    in_reply_to, references = (None, [])
    if thread is not None:
        in_reply_to, references = thread
    elif ticket is not None and ticket.id is not None:
        in_reply_to, references = thread_headers(session, ticket)
    mid = message_id or compose.new_message_id(settings.mail_domain, f"td{ticket.number}" if ticket else "td")
    sender = queue_address(ticket)
    out = compose.Outgoing(
        mail_from=sender,
        to=to,
        cc=cc,
        subject=compose.tagged_subject(subject, settings.subject_tag, ticket.number if ticket else None),
        text=text,
        from_name=from_name,
        reply_to=reply_address(ticket) if ticket is not None and ticket.number else None,
        in_reply_to=in_reply_to,
        references=references,
        auto_submitted=auto_submitted,
        language=language,
    )
    raw = compose.build(out, message_id=mid, now=now)
    mail = OutboundMail(
        kind=kind,
        ticket_id=ticket.id if ticket else None,
        message_id=message.id if message else None,
        mail_from=sender,
        to_addrs=to,
        cc_addrs=cc,
        subject=out.subject,
        message_id_header=mid,
        blob_sha256=store_blob(session, raw),
        created_at=now,
    )
    insert_loaded(session, mail)  # its id goes into the job: written now rather than by a flush
    enqueue(session, "mail.send", {"id": mail.id}, run_at=now)
    return mail


def queue_template(
    session: Session,
    *,
    kind: str,
    to: list[str],
    language: str | None,
    now: datetime,
    ticket: Ticket | None = None,
    cc: list[str] | None = None,
    auto_submitted: str | None = "auto-generated",
    message: Message | None = None,
    from_name: str = "Support",
    thread: tuple[str | None, list[str]] | None = None,
    **context: Any,
) -> OutboundMail | None:
    lang = pick_language(language, app_settings().default_language)
    settings = app_settings()
    base: dict[str, Any] = {"tag": settings.subject_tag, "portal_url": f"{settings.public_url}/portal/"}
    if ticket is not None:
        base.update(
            number=ticket.number,
            ticket_subject=ticket.subject,
            status=ticket.status,
            status_label=status_label(ticket.status, lang),
            portal_url=f"{settings.public_url}/portal/tickets/{ticket.number}",
        )
    base.setdefault("subject", ticket.subject if ticket else "")
    subject, body = render(kind, lang, **{**base, **context})
    return queue_mail(
        session,
        kind=kind,
        to=to,
        cc=cc,
        subject=subject,
        text=body,
        now=now,
        ticket=ticket,
        message=message,
        auto_submitted=auto_submitted,
        language=lang,
        from_name=from_name,
        thread=thread,
    )
