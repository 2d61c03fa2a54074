"""Who an announcement reaches: the contacts of its groups, each once.

A group is one of

* ``service``       the organisations subscribed to a service (``organization_services``);
* ``organization``  one organisation;
* ``manual``        contacts picked by hand (``contact_group_members``);
* ``everyone``      every organisation.

Of those, only *technical* contacts and opted-in *partner* contacts are told, and only while the
contact and its organisation are active. A contact in several groups (or several times through one)
is one recipient; two contacts sharing a mobile number get one SMS (``sms_numbers``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from ticketdesk.announcements.models import ContactGroup, group_members
from ticketdesk.contacts.models import Contact, Organization, organization_services

GROUP_KINDS = ("service", "organization", "manual", "everyone")


@dataclass(frozen=True)
class Recipient:
    contact: Contact
    email: str | None
    mobile: str | None  # E.164 of a number that can receive SMS, or None
    language: str

    @property
    def organization_id(self) -> int:
        return self.contact.organization_id


def _condition(group: ContactGroup) -> ColumnElement[bool]:
    if group.kind == "everyone":
        return Contact.id.is_not(None)
    if group.kind == "service" and group.service_id is not None:
        subscribed = select(organization_services.c.organization_id).where(
            organization_services.c.service_id == group.service_id
        )
        return Contact.organization_id.in_(subscribed)
    if group.kind == "organization" and group.organization_id is not None:
        return Contact.organization_id == group.organization_id
    if group.kind == "manual":
        members = select(group_members.c.contact_id).where(group_members.c.group_id == group.id)
        return Contact.id.in_(members)
    return false()


def contacts_of(session: Session, groups: Iterable[ContactGroup]) -> list[Contact]:
    """Active technical (or opted-in partner) contacts of active organisations in ``groups``, each once,
    ordered by organisation name and contact."""
    conditions = [_condition(g) for g in groups]
    if not conditions:
        return []
    query = (
        select(Contact)
        .join(Organization, Organization.id == Contact.organization_id)
        .where(
            or_(*conditions),
            Contact.active.is_(True),
            Contact.removed_at.is_(None),
            or_(Contact.technical.is_(True), Contact.partner.is_(True)),
            Organization.active.is_(True),
        )
        .order_by(Organization.name, Organization.id, Contact.id)
    )
    return list(dict.fromkeys(session.scalars(query)))


def pick_language(contact: Contact, available: Iterable[str], default: str) -> str:
    """The contact's language, else its organisation's, else ``default``, among ``available``."""
    options = list(available)
    for candidate in (contact.language, contact.organization.language, default):
        code = (candidate or "")[:2].lower()
        code = "nb" if code in ("no", "nn") else code
        if code in options:
            return code
    return options[0] if options else "en"


def recipients_of(
    session: Session, groups: Iterable[ContactGroup], *, languages: Iterable[str], default_language: str
) -> list[Recipient]:
    from ticketdesk.sms.service import mobile_number

    langs = list(languages)
    return [
        Recipient(
            contact,
            contact.primary_email,
            mobile_number(contact) if contact.phones else None,
            pick_language(contact, langs, default_language),
        )
        for contact in contacts_of(session, groups)
    ]


def sms_numbers(recipients: Iterable[Recipient]) -> dict[int, str]:
    """contact id → number for SMS, each number once (the first contact having it)."""
    seen: set[str] = set()
    result: dict[int, str] = {}
    for item in recipients:
        if item.mobile and item.contact.notify_sms and item.mobile not in seen:
            seen.add(item.mobile)
            result[item.contact.id] = item.mobile
    return result


def organization_condition(org_id: int, service_ids: list[int]) -> ColumnElement[bool]:
    """Groups that reach organisation ``org_id`` (subscribed to ``service_ids``)."""
    members_in_org = (
        select(group_members.c.group_id)
        .join(Contact, Contact.id == group_members.c.contact_id)
        .where(Contact.organization_id == org_id)
    )
    return or_(
        ContactGroup.kind == "everyone",
        (ContactGroup.kind == "organization") & (ContactGroup.organization_id == org_id),
        (ContactGroup.kind == "service") & ContactGroup.service_id.in_(service_ids or [-1]),
        (ContactGroup.kind == "manual") & ContactGroup.id.in_(members_in_org),
    )
