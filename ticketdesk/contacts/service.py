"""Writes to organisations and contacts: addresses lower-cased and unique, phones normalised to E.164."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketdesk.accounts.service import hash_secret, normalize_email
from ticketdesk.admin.store import app_settings
from ticketdesk.contacts.models import Contact, ContactEmail, ContactPhone, Organization, Service
from ticketdesk.errors import Conflict, NotFound, ValidationFailed
from ticketdesk.phone.numbers import normalize_or_raise

SENDER_POLICIES = ("default", "always_confirm", "trust_relay")


def get_organization(session: Session, org_id: int, *, scope_org_id: int | None = None) -> Organization:
    org = session.get(Organization, org_id)
    if org is None or (scope_org_id is not None and org.id != scope_org_id):
        raise NotFound(f"organization {org_id} not found")
    return org


def get_contact(session: Session, contact_id: int, *, scope_org_id: int | None = None) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or (scope_org_id is not None and contact.organization_id != scope_org_id):
        raise NotFound(f"contact {contact_id} not found")
    return contact


def _services(session: Session, slugs: list[str]) -> list[Service]:
    result = []
    for slug in dict.fromkeys(s.strip().lower() for s in slugs if s and s.strip()):
        service = session.scalar(select(Service).where(Service.slug == slug))
        if service is None:
            service = Service(slug=slug, name=slug.replace("-", " ").title())
            session.add(service)
        result.append(service)
    return result


def _validate_pin(pin: str) -> str:
    pin = (pin or "").strip()
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise ValidationFailed("the PIN must be 4 to 12 digits")
    return pin


def create_organization(
    session: Session,
    *,
    name: str,
    client_number: str | None = None,
    pin: str | None = None,
    services: list[str] | None = None,
    default_region: str | None = None,
    language: str = "en",
    sender_policy: str = "default",
) -> Organization:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("name must not be empty")
    client_number = (client_number or "").strip() or f"C{secrets.randbelow(900000) + 100000}"
    if session.scalar(select(Organization.id).where(Organization.client_number == client_number)) is not None:
        raise Conflict(f"client number {client_number} is taken", code="client_number_taken")
    if sender_policy not in SENDER_POLICIES:
        raise ValidationFailed(f"sender_policy must be one of {', '.join(SENDER_POLICIES)}")
    org = Organization(
        name=name,
        client_number=client_number,
        default_region=(default_region or app_settings().default_region).upper(),
        language=language or "en",
        sender_policy=sender_policy,
        pin_hash=hash_secret(_validate_pin(pin)) if pin else None,
    )
    org.services = _services(session, services or [])
    session.add(org)
    session.flush()
    return org


def update_organization(session: Session, org: Organization, changes: dict[str, Any]) -> Organization:
    if "name" in changes:
        if not (changes["name"] or "").strip():
            raise ValidationFailed("name must not be empty")
        org.name = changes["name"].strip()
    if "client_number" in changes and changes["client_number"] != org.client_number:
        taken = session.scalar(
            select(Organization.id).where(Organization.client_number == changes["client_number"])
        )
        if taken is not None:
            raise Conflict(f"client number {changes['client_number']} is taken", code="client_number_taken")
        org.client_number = changes["client_number"]
    if "pin" in changes:
        org.pin_hash = hash_secret(_validate_pin(changes["pin"])) if changes["pin"] else None
    if "services" in changes:
        org.services = _services(session, changes["services"] or [])
    if "sender_policy" in changes:
        if changes["sender_policy"] not in SENDER_POLICIES:
            raise ValidationFailed(f"sender_policy must be one of {', '.join(SENDER_POLICIES)}")
        org.sender_policy = changes["sender_policy"]
    for key in ("default_region", "language", "timezone", "active", "sms_daily_threshold", "quiet_hours"):
        if key in changes:
            setattr(org, key, changes[key])
    session.flush()
    return org


def _set_emails(session: Session, contact: Contact, emails: list[str]) -> None:
    cleaned = list(dict.fromkeys(normalize_email(e) for e in emails))
    if not cleaned:
        raise ValidationFailed("a contact needs at least one e-mail address")
    taken = session.scalars(
        select(ContactEmail).where(
            ContactEmail.address.in_(cleaned), ContactEmail.contact_id != (contact.id or -1)
        )
    ).all()
    if taken:
        raise Conflict(f"{taken[0].address} belongs to another contact", code="email_taken")
    existing = {e.address: e for e in contact.emails}
    contact.emails = [existing.get(a) or ContactEmail(address=a) for a in cleaned]
    for index, item in enumerate(contact.emails):
        item.primary = index == 0


def _set_phones(contact: Contact, phones: list[str], region: str) -> None:
    cleaned = []
    for raw in phones:
        try:
            cleaned.append(normalize_or_raise(raw, region))
        except ValueError as err:
            raise ValidationFailed(str(err)) from None
    existing = {p.e164: p for p in contact.phones}
    contact.phones = [existing.get(n) or ContactPhone(e164=n) for n in dict.fromkeys(cleaned)]


def create_contact(
    session: Session,
    org: Organization,
    *,
    name: str,
    emails: list[str],
    phones: list[str] | None = None,
    technical: bool = True,
    active: bool = True,
    is_admin: bool = False,
    language: str | None = None,
    partner: bool = False,
) -> Contact:
    contact = Contact(
        organization=org,
        name=(name or "").strip() or emails[0] if emails else "",
        technical=technical,
        active=active,
        is_admin=is_admin,
        language=language,
        partner=partner,
    )
    session.add(contact)
    _set_emails(session, contact, emails or [])
    _set_phones(contact, phones or [], org.default_region)
    session.flush()
    return contact


def update_contact(session: Session, contact: Contact, changes: dict[str, Any], *, now: datetime) -> Contact:
    if "emails" in changes:
        _set_emails(session, contact, changes["emails"] or [])
    if "phones" in changes:
        _set_phones(contact, changes["phones"] or [], contact.organization.default_region)
    if "name" in changes:
        contact.name = (changes["name"] or "").strip() or contact.name
    for key in ("technical", "is_admin", "language", "partner", "notify_sms"):
        if key in changes:
            setattr(contact, key, changes[key])
    if "active" in changes:
        (reactivate if changes["active"] else deactivate)(contact, now=now)
    session.flush()
    return contact


def deactivate(contact: Contact, *, now: datetime) -> None:
    """A removed contact can no longer write into any ticket (intake checks ``active``)."""
    contact.active, contact.removed_at = False, now


def reactivate(contact: Contact, *, now: datetime) -> None:
    contact.active, contact.removed_at = True, None


def find_contact_by_email(session: Session, address: str) -> Contact | None:
    """The contact owning ``address`` (any state); case-insensitive."""
    row = session.scalar(select(ContactEmail).where(ContactEmail.address == func.lower(address.strip())))
    return row.contact if row is not None else None
