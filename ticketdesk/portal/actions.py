"""What a customer does to tickets in the portal, on top of ``tickets/service.py``.

Every function takes the signed-in contact and finds the ticket inside the contact's organisation
(``NotFound`` otherwise, so another organisation's numbers are never revealed), then locks it and calls
the ticket service, which records the event, queues the mail and publishes the live events after the
caller's commit.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ticketdesk.accounts.service import normalize_email
from ticketdesk.contacts.models import Contact
from ticketdesk.db.blobs import store_blob
from ticketdesk.errors import Conflict, NotFound, ValidationFailed
from ticketdesk.tickets import queries, service
from ticketdesk.tickets.effects import is_support_address, read_refuse_claim_token
from ticketdesk.tickets.history import ActorRef
from ticketdesk.tickets.models import Attachment, Message, Ticket
from ticketdesk.tickets.queues import queue_by_slug
from ticketdesk.tickets.states import Status

MAX_FILES = 10
_ADDRESS_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class Upload:
    """A file the customer attached (already read; the view caps the request size)."""

    filename: str
    content_type: str
    data: bytes


def clean_filename(name: str) -> str:
    """The last path component, without control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) < 10 else name[:200]
    return name or "attachment"


def _store_uploads(session: Session, msg: Message, uploads: list[Upload], *, max_bytes: int) -> None:
    if len(uploads) > MAX_FILES:
        raise ValidationFailed(f"at most {MAX_FILES} files per message")
    for up in uploads:
        too_large = len(up.data) > max_bytes
        ctype = (up.content_type or "").split(";")[0].strip().lower()
        if not ctype or ctype == "application/octet-stream":
            ctype = mimetypes.guess_type(up.filename)[0] or "application/octet-stream"
        msg.attachments.append(
            Attachment(
                blob_sha256=None if too_large else store_blob(session, up.data),
                filename=clean_filename(up.filename),
                content_type=ctype[:200],
                size=len(up.data),
                inline=False,
                too_large=too_large,
            )
        )
    session.flush()


def parse_addresses(raw: str) -> list[str]:
    """Addresses typed by a person (comma, semicolon, space or line separated), checked and lower-cased."""
    result = []
    for part in _ADDRESS_SPLIT.split(raw or ""):
        if not part:
            continue
        try:
            address = normalize_email(part.strip("<>"))
        except ValidationFailed:
            raise ValidationFailed(f"{part!r} is not an e-mail address") from None
        if is_support_address(address):
            raise ValidationFailed(f"{address} is one of our support addresses and cannot be in copy")
        result.append(address)
    return list(dict.fromkeys(result))


def visible_ticket(session: Session, contact: Contact, number: int) -> Ticket:
    return queries.get_ticket(session, number, org_scope=contact.organization_id)


def _locked(session: Session, contact: Contact, number: int) -> Ticket:
    """Lock first, then check the scope on the fresh row (NotFound alike for absent and foreign)."""
    ticket = service.get_for_update(session, number)
    if ticket.organization_id != contact.organization_id:
        raise NotFound(f"ticket {number} not found")
    return ticket


def _message(contact: Contact, text: str, subject: str = "") -> service.NewMessage:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("the message must not be empty")
    return service.NewMessage(
        text=text,
        direction="in",
        channel="portal",
        subject=subject,
        from_addr=contact.primary_email or "",
        from_name=contact.name,
    )


def open_ticket(
    session: Session,
    contact: Contact,
    *,
    queue: str,
    subject: str,
    text: str,
    cc: list[str],
    uploads: list[Upload],
    now: datetime,
    max_bytes: int,
    previous: int | None = None,
) -> Ticket:
    """A new ticket from the portal (channel ``portal``); ``previous`` links the ticket it continues."""
    previous_ticket = visible_ticket(session, contact, previous) if previous is not None else None
    subject = (subject or "").strip()
    if not subject:
        raise ValidationFailed("the subject must not be empty")
    ticket, first = service.create_ticket(
        session,
        organization=contact.organization,
        requester=contact,
        queue=queue_by_slug(session, queue),
        subject=subject,
        message=_message(contact, text, subject),
        actor=ActorRef.client(contact),
        now=now,
        cc=[a for a in cc if a not in {e.address for e in contact.emails}],
        previous_ticket_id=previous_ticket.id if previous_ticket else None,
    )
    _store_uploads(session, first, uploads, max_bytes=max_bytes)
    return ticket


def reply(
    session: Session,
    contact: Contact,
    number: int,
    *,
    text: str,
    uploads: list[Upload],
    now: datetime,
    max_bytes: int,
) -> Message:
    """Append the customer's message; a waiting or (within the window) resolved ticket goes back to work.

    Raises ``ReopenWindowPassed`` for a closed ticket or one resolved before the reopen window.
    """
    ticket = _locked(session, contact, number)
    msg = service.add_client_message(
        session, ticket, contact, _message(contact, text, ticket.subject), now=now
    )
    _store_uploads(session, msg, uploads, max_bytes=max_bytes)
    return msg


def add_cc(session: Session, contact: Contact, number: int, raw: str, *, now: datetime) -> list[str]:
    addresses = parse_addresses(raw)
    if not addresses:
        raise ValidationFailed("enter an e-mail address")
    ticket = _locked(session, contact, number)
    for address in addresses:
        service.add_cc(session, ticket, address, ActorRef.client(contact), now=now)
    return addresses


def remove_cc(session: Session, contact: Contact, number: int, address: str, *, now: datetime) -> None:
    ticket = _locked(session, contact, number)
    service.remove_cc(session, ticket, address, ActorRef.client(contact), now=now)


def confirm(session: Session, contact: Contact, number: int, *, now: datetime) -> Ticket:
    """ "It is solved": a resolved ticket is closed, one waiting for the customer becomes resolved."""
    ticket = _locked(session, contact, number)
    targets = {Status.RESOLVED: Status.CLOSED, Status.WAITING_FOR_CLIENT: Status.RESOLVED}
    target = targets.get(Status(ticket.status))
    if target is None:
        raise Conflict(f"a {ticket.status} ticket has no resolution to confirm", code="nothing_to_confirm")
    return service.change_status(
        session,
        ticket,
        target,
        ActorRef.client(contact),
        now=now,
        detail="confirmed by the client in the portal",
    )


def refuse_claim(session: Session, contact: Contact, number: int, *, now: datetime) -> Ticket:
    """Refuse single-agent handling: the claim is released and the ticket goes back to the shared queue."""
    ticket = _locked(session, contact, number)
    return service.release(
        session, ticket, ActorRef.client(contact), now=now, reason="refused single-agent handling"
    )


# --- the refusal link mailed when an agent claims a ticket -----------------------------------------


def _claim_data(token: str) -> dict[str, Any]:
    data = read_refuse_claim_token(token) if token and len(token) <= 500 else None
    if not isinstance(data, dict) or not isinstance(data.get("n"), int):
        raise NotFound("this link is not valid")
    return data


def _same_claim(ticket: Ticket, data: dict[str, Any]) -> bool:
    current = ticket.claimed_at.isoformat() if ticket.claimed_at else None
    return (
        ticket.claimed_by_id is not None
        and ticket.claimed_by_id == data.get("a")
        and current == data.get("t")
    )


def claim_from_token(session: Session, token: str) -> tuple[Ticket, bool]:
    """(ticket, still_claimed) for a refusal link; NotFound for a forged or unknown link.

    The link names one claim (agent and time): once that claim has ended, the link is spent.
    """
    data = _claim_data(token)
    ticket = queries.get_ticket(session, data["n"], org_scope=None)
    return ticket, _same_claim(ticket, data)


def refuse_claim_by_token(session: Session, token: str, contact: Contact | None, *, now: datetime) -> Ticket:
    """Refuse through the mailed link (whoever received the mail: requester or a person in copy)."""
    data = _claim_data(token)
    ticket = service.get_for_update(session, data["n"])
    if not _same_claim(ticket, data):
        raise Conflict("this claim has already ended", code="claim_ended")
    if contact is not None and contact.organization_id == ticket.organization_id:
        actor = ActorRef.client(contact)
    else:
        actor = ActorRef("client", None, "claim e-mail link")
    return service.release(session, ticket, actor, now=now, reason="refused single-agent handling")
