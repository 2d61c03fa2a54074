"""A small customer base for announcement tests: services, organisations with technical, partner,
non-technical and removed contacts, the four kinds of contact groups and templates in two languages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ticketdesk.announcements import catalog
from ticketdesk.extensions import db

MAINTENANCE_PLACEHOLDERS = [
    {"name": "start", "label": "Start", "kind": "datetime"},
    {"name": "expected_end", "label": "Expected end", "kind": "datetime"},
    {"name": "what_to_do", "label": "What customers should do", "kind": "multiline"},
    {"name": "impact", "label": "Impact", "required": False},
]
OUTAGE_PLACEHOLDERS = [
    {"name": "affected", "label": "Affected operators"},
    {"name": "what_to_do", "label": "What customers should do", "kind": "multiline"},
]


@dataclass
class World:
    orgs: dict[str, Any]
    contacts: dict[str, Any]
    groups: dict[str, Any]
    services: dict[str, Any]
    templates: dict[str, Any]


def build_world(make_org: Any, make_contact: Any) -> World:
    services = {
        "sms": catalog.create_service(db.session, slug="sms-gateway", name="SMS gateway"),
        "subs": catalog.create_service(db.session, slug="subscriptions", name="Subscriptions"),
    }
    db.session.commit()
    alfa = make_org("Alfa s.r.o.", services=["sms-gateway"], language="cs")
    beta = make_org("Beta GmbH", services=["sms-gateway", "subscriptions"], language="en")
    gamma = make_org("Gamma Oy", services=["subscriptions"], language="fi")
    closed = make_org("Zeta (former customer)", services=["sms-gateway"])
    closed.active = False
    db.session.commit()
    contacts = {
        "alice": make_contact(
            alfa, name="Alice Nováková", email="alice@alfa.test", phones=["+420 777 111 222"]
        ),
        "billing": make_contact(alfa, name="Alfa Billing", email="billing@alfa.test", technical=False),
        "removed": make_contact(alfa, name="Old Admin", email="old@alfa.test", active=False),
        "bob": make_contact(
            beta, name="Bob Builder", email="bob@beta.test", phones=["+49 151 23456789"], language="de"
        ),
        "bea": make_contact(
            beta, name="Bea Partner", email="bea@partner.test", technical=False, partner=True
        ),
        "carl": make_contact(gamma, name="Carl Gamma", email="carl@gamma.test", phones=["+358 40 1234567"]),
        "zed": make_contact(closed, name="Zed", email="zed@zeta.test"),
    }
    groups = {
        "sms": catalog.create_group(
            db.session, name="Outage SMS/MPS", kind="service", service_id=services["sms"].id
        ),
        "subs": catalog.create_group(
            db.session, name="Outage subscriptions", kind="service", service_id=services["subs"].id
        ),
        "alfa": catalog.create_group(
            db.session, name="Alfa only", kind="organization", organization_id=alfa.id
        ),
        "manual": catalog.create_group(
            db.session,
            name="Key partners",
            kind="manual",
            member_ids=[contacts["alice"].id, contacts["bea"].id, contacts["billing"].id],
        ),
        "all": catalog.create_group(db.session, name="Everyone", kind="everyone"),
    }
    templates = {
        "maintenance_en": catalog.save_template(
            db.session,
            None,
            name="Planned maintenance",
            kind="maintenance",
            language="en",
            subject="Planned maintenance: {{services}} ({{status}})",
            body="Dear customer,\n\nwe will carry out maintenance of {{services}} from {{start}} until "
            "{{expected_end}}.\n{{impact}}\nWhat you should do: {{what_to_do}}\n\nStatus: {{status}}",
            sms_text="Maintenance {{services}} {{start}} - {{expected_end}}: {{status}}",
            placeholders=MAINTENANCE_PLACEHOLDERS,
        ),
        "maintenance_cs": catalog.save_template(
            db.session,
            None,
            name="Planned maintenance",
            kind="maintenance",
            language="cs",
            subject="Plánovaná údržba: {{services}} ({{status}})",
            body="Vážený zákazníku,\n\nprovedeme údržbu služby {{services}} od {{start}} do {{expected_end}}.\n"
            "{{impact}}\nCo máte udělat: {{what_to_do}}\n\nStav: {{status}}",
            sms_text="Udrzba {{services}} {{start}} - {{expected_end}}: {{status}}",
            placeholders=MAINTENANCE_PLACEHOLDERS,
        ),
        "outage_en": catalog.save_template(
            db.session,
            None,
            name="Outage",
            kind="outage",
            language="en",
            subject="Outage: {{services}} ({{status}})",
            body="Since {{start}} we have a problem with {{services}} ({{affected}}).\n\n{{what_to_do}}\n\n"
            "Status: {{status}}",
            sms_text="Outage {{services}} since {{start}}: {{status}}. {{status_url}}",
            placeholders=OUTAGE_PLACEHOLDERS,
        ),
        "outage_cs": catalog.save_template(
            db.session,
            None,
            name="Outage",
            kind="outage",
            language="cs",
            subject="Výpadek: {{services}} ({{status}})",
            body="Od {{start}} máme problém se službou {{services}} ({{affected}}).\n\n{{what_to_do}}\n\n"
            "Stav: {{status}}",
            sms_text="Vypadek {{services}} od {{start}}: {{status}}. {{status_url}}",
            placeholders=OUTAGE_PLACEHOLDERS,
        ),
    }
    db.session.commit()
    return World(
        {"alfa": alfa, "beta": beta, "gamma": gamma, "zeta": closed}, contacts, groups, services, templates
    )


def maintenance_values(start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "start": start.isoformat(),
        "expected_end": end.isoformat(),
        "what_to_do": {
            "en": "Nothing; messages are queued and delivered afterwards.",
            "cs": "Nic; zprávy se zařadí do fronty a doručí se potom.",
        },
    }


def outage_values() -> dict[str, Any]:
    return {
        "affected": "T-Mobile CZ, O2 CZ",
        "what_to_do": {"en": "Please retry failed payments later.", "cs": "Neúspěšné platby zkuste později."},
    }
