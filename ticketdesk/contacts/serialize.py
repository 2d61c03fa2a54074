"""JSON shapes of organisations and contacts (DESIGN.md field names)."""

from __future__ import annotations

from typing import Any

from ticketdesk.contacts.models import Contact, Organization


def organization_dict(org: Organization) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "client_number": org.client_number,
        "pin_set": org.pin_set,
        "services": [s.slug for s in org.services],
        "default_region": org.default_region,
        "language": org.language,
        "sender_policy": org.sender_policy,
        "active": org.active,
    }


def contact_dict(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "organization_id": c.organization_id,
        "name": c.name,
        "emails": [e.address for e in c.emails],
        "phones": [p.e164 for p in c.phones],
        "technical": c.technical,
        "active": c.active,
        "is_admin": c.is_admin,
        "language": c.language,
    }
