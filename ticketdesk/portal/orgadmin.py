"""Organisation administration by its admin contacts, on top of ``contacts/service.py``.

An admin contact manages the organisation's contacts (add, edit addresses and phones, remove, restore),
the phone PIN (stored hashed, never shown), and the sender-check policy. Every lookup is scoped to the
admin's own organisation (``NotFound`` otherwise). An admin cannot remove themself or take away their own
admin right, so an organisation never locks itself out of the portal.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ticketdesk.contacts import service as contacts
from ticketdesk.contacts.models import Contact, Organization
from ticketdesk.contacts.service import SENDER_POLICIES
from ticketdesk.errors import Conflict, Forbidden, ValidationFailed

log = logging.getLogger(__name__)
LANGUAGES = ("en", "cs")
_LINES = re.compile(r"[\r\n,;]+")


@dataclass(frozen=True)
class ContactData:
    """What the contact form carries (addresses and phones one per line)."""

    name: str
    emails: str
    phones: str
    language: str | None
    technical: bool = True
    is_admin: bool = False


def split_lines(raw: str) -> list[str]:
    return [part.strip() for part in _LINES.split(raw or "") if part.strip()]


def require_admin(contact: Contact) -> Organization:
    if not contact.is_admin:
        raise Forbidden("only the organisation's admin contacts can do this")
    return contact.organization


def _changes(data: ContactData) -> dict[str, Any]:
    emails = split_lines(data.emails)
    if not emails:
        raise ValidationFailed("a contact needs at least one e-mail address")
    language = data.language if data.language in LANGUAGES else None
    return {
        "name": data.name.strip(),
        "emails": emails,
        "phones": split_lines(data.phones),
        "language": language,
        "technical": data.technical,
        "is_admin": data.is_admin,
    }


def scoped_contact(session: Session, admin: Contact, contact_id: int) -> Contact:
    return contacts.get_contact(session, contact_id, scope_org_id=admin.organization_id)


def add_contact(session: Session, admin: Contact, data: ContactData) -> Contact:
    org = require_admin(admin)
    changes = _changes(data)
    if not changes["name"]:
        raise ValidationFailed("the name must not be empty")
    contact = contacts.create_contact(
        session,
        org,
        name=changes["name"],
        emails=changes["emails"],
        phones=changes["phones"],
        technical=data.technical,
        is_admin=data.is_admin,
        language=changes["language"],
    )
    log.info("portal: contact %s added contact %s to organisation %s", admin.id, contact.id, org.id)
    return contact


def update_contact(
    session: Session, admin: Contact, contact_id: int, data: ContactData, *, now: datetime
) -> Contact:
    require_admin(admin)
    contact = scoped_contact(session, admin, contact_id)
    changes = _changes(data)
    if contact.id == admin.id and not data.is_admin:
        raise Conflict("you cannot take away your own admin right; ask another admin", code="own_admin_right")
    if contact.id == admin.id and not data.technical:
        raise Conflict("you cannot stop being a technical contact yourself", code="own_technical_flag")
    contacts.update_contact(session, contact, changes, now=now)
    log.info("portal: contact %s changed contact %s", admin.id, contact.id)
    return contact


def remove_contact(session: Session, admin: Contact, contact_id: int, *, now: datetime) -> Contact:
    """A removed contact can no longer sign in or write into any ticket (it is kept for the history)."""
    require_admin(admin)
    contact = scoped_contact(session, admin, contact_id)
    if contact.id == admin.id:
        raise Conflict("you cannot remove yourself; ask another admin", code="remove_self")
    contacts.update_contact(session, contact, {"active": False}, now=now)
    log.info("portal: contact %s removed contact %s", admin.id, contact.id)
    return contact


def restore_contact(session: Session, admin: Contact, contact_id: int, *, now: datetime) -> Contact:
    require_admin(admin)
    contact = scoped_contact(session, admin, contact_id)
    contacts.update_contact(session, contact, {"active": True}, now=now)
    log.info("portal: contact %s restored contact %s", admin.id, contact.id)
    return contact


def set_pin(session: Session, admin: Contact, pin: str, repeat: str) -> Organization:
    """Set or change the phone PIN (4–12 digits, hashed; the PIN itself is never stored or shown)."""
    org = require_admin(admin)
    pin, repeat = (pin or "").strip(), (repeat or "").strip()
    if not pin:
        raise ValidationFailed("enter the new PIN")
    if pin != repeat:
        raise ValidationFailed("the two PINs differ")
    contacts.update_organization(session, org, {"pin": pin})
    log.info("portal: contact %s set the phone PIN of organisation %s", admin.id, org.id)
    return org


def remove_pin(session: Session, admin: Contact) -> Organization:
    org = require_admin(admin)
    contacts.update_organization(session, org, {"pin": None})
    log.info("portal: contact %s removed the phone PIN of organisation %s", admin.id, org.id)
    return org


def set_sender_policy(session: Session, admin: Contact, policy: str) -> Organization:
    org = require_admin(admin)
    if policy not in SENDER_POLICIES:
        raise ValidationFailed(f"the policy must be one of {', '.join(SENDER_POLICIES)}")
    contacts.update_organization(session, org, {"sender_policy": policy})
    log.info("portal: contact %s set the sender policy of organisation %s to %s", admin.id, org.id, policy)
    return org
