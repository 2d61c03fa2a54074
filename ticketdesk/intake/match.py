"""Who wrote the message and which ticket it belongs to (Message-IDs, the signed plus address, the subject tag)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, defaultload, joinedload, lazyload

from ticketdesk.contacts.models import Contact, ContactEmail, Organization
from ticketdesk.intake.parse import ParsedMail
from ticketdesk.intake.policy import Sender, Thread
from ticketdesk.intake.threading_keys import find_ticket_number_in_subject, parse_plus_address, reference_ids
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.tickets.models import Message, Queue, Ticket


@dataclass
class Match:
    from_addr: str | None
    from_name: str
    contact: Contact | None
    sender: Sender
    ticket: Ticket | None
    thread: Thread
    reference: str | None = None  # the unknown reference (Message-ID or subject tag) of an earlier system
    via: str = ""  # how the ticket was found: references | plus_address | subject_tag


# The contact with its organisation and addresses (what intake reads of it) in one statement; phones and
# the organisation's services load only if something asks for them (they used to cost three statements
# for every message).
_CONTACTS = (
    select(ContactEmail.address, Contact)
    .join(Contact, Contact.id == ContactEmail.contact_id)
    .where(ContactEmail.address.in_(bindparam("addresses", expanding=True)))
    .options(
        joinedload(Contact.emails),
        lazyload(Contact.phones),
        defaultload(Contact.organization).lazyload(Organization.services),
    )
)


# A ticket with what intake reads of it (organisation, requester, queue in one joined SELECT); the rest (its
# CC list, services, phones, the requester's addresses, queue addresses, agents) loads only if asked for
# (the CC list when the sender is neither the requester nor a technical contact of the organisation, or
# when the reply adds people in copy).
_TICKET = (
    lazyload(Ticket.cc),
    defaultload(Ticket.organization).lazyload(Organization.services),
    defaultload(Ticket.requester).lazyload(Contact.phones),
    defaultload(Ticket.requester).lazyload(Contact.emails),
    defaultload(Ticket.requester).defaultload(Contact.organization).lazyload(Organization.services),
    defaultload(Ticket.queue).lazyload(Queue.addresses),
    lazyload(Ticket.claimed_by),
    lazyload(Ticket.assignee),
)


def _contacts_by_address(session: Session, addresses: list[str]) -> dict[str, Contact]:
    if not addresses:
        return {}
    rows = session.execute(_CONTACTS, {"addresses": addresses}).unique()
    return {address: contact for address, contact in rows}


def identify_sender(session: Session, parsed: ParsedMail) -> tuple[str | None, str, Contact | None, Sender]:
    addresses = [addr.lower() for _, addr in parsed.from_addrs if addr and "@" in addr]
    if not addresses:
        return None, "", None, Sender.NONE
    known = _contacts_by_address(session, addresses)
    for name, addr in parsed.from_addrs:
        contact = known.get((addr or "").lower())
        if contact is not None:
            if not contact.active:
                return addr.lower(), name, contact, Sender.INACTIVE
            kind = Sender.CONTACT if contact.technical else Sender.NON_TECHNICAL
            return addr.lower(), name, contact, kind
    name, addr = parsed.from_addrs[0]
    return addr.lower(), name, None, Sender.STRANGER


def _ticket_by_references(session: Session, refs: list[str]) -> Ticket | None:
    if not refs:
        return None
    found: dict[str, int] = {}
    for mid, ticket_id in session.execute(
        select(Message.message_id_header, Message.ticket_id).where(Message.message_id_header.in_(refs))
    ):
        found.setdefault(mid, ticket_id)
    for mid, ticket_id in session.execute(
        select(OutboundMail.message_id_header, OutboundMail.ticket_id).where(
            OutboundMail.message_id_header.in_(refs), OutboundMail.ticket_id.is_not(None)
        )
    ):
        found.setdefault(mid, ticket_id)
    for ref in refs:  # newest reference first
        if ref in found:
            return session.get(Ticket, found[ref], options=_TICKET)
    return None


def _ticket_by_number(session: Session, number: int | None) -> Ticket | None:
    if number is None:
        return None
    return session.scalar(select(Ticket).where(Ticket.number == number).options(*_TICKET))


def belongs(ticket: Ticket, address: str | None, contact: Contact | None) -> bool:
    """The requester, a CC participant, or a technical contact of the ticket's organisation."""
    if contact is not None and contact.active:
        if ticket.requester_id == contact.id:
            return True
        if contact.technical and contact.organization_id == ticket.organization_id:
            return True
    return address is not None and any(c.email == address for c in ticket.cc)


def find_thread(
    session: Session, parsed: ParsedMail, recipients: list[str], *, secret: str, tag_prefix: str
) -> tuple[Ticket | None, str, str | None]:
    """(ticket, how it was found, unknown reference)."""
    refs = reference_ids(parsed)
    ticket = _ticket_by_references(session, refs)
    if ticket is not None:
        return ticket, "references", None
    for address in recipients:
        ticket = _ticket_by_number(session, parse_plus_address(address, secret))
        if ticket is not None:
            return ticket, "plus_address", None
    number = find_ticket_number_in_subject(parsed.subject, tag_prefix)
    ticket = _ticket_by_number(session, number)
    if ticket is not None:
        return ticket, "subject_tag", None
    if number is not None:
        return None, "", f"[{tag_prefix}#{number}]"
    if refs:
        return None, "", refs[0]
    return None, "", None


def match(
    session: Session, parsed: ParsedMail, recipients: list[str], *, secret: str, tag_prefix: str
) -> Match:
    address, name, contact, sender = identify_sender(session, parsed)
    ticket, via, reference = find_thread(session, parsed, recipients, secret=secret, tag_prefix=tag_prefix)
    if ticket is not None:
        thread = Thread.TICKET if belongs(ticket, address, contact) else Thread.FOREIGN
        if sender is Sender.INACTIVE:
            thread = Thread.FOREIGN
    else:
        thread = Thread.UNKNOWN_REFERENCE if reference else Thread.NONE
    return Match(
        address, name, contact, sender, ticket if thread is Thread.TICKET else None, thread, reference, via
    )
