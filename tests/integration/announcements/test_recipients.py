"""Recipients come from the groups: technical and opted-in partner contacts, active, each once."""

from __future__ import annotations

from typing import Any

from tests.integration.announcements.helpers import World
from ticketdesk.announcements import catalog
from ticketdesk.announcements.queries import announcements_for_organization
from ticketdesk.announcements.recipients import contacts_of, recipients_of, sms_numbers
from ticketdesk.contacts.service import update_contact
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow


def names(contacts: list[Any]) -> list[str]:
    return [c.name for c in contacts]


def test_each_kind_of_group(world: World) -> None:
    g = world.groups
    assert names(contacts_of(db.session, [g["sms"]])) == ["Alice Nováková", "Bob Builder", "Bea Partner"]
    assert names(contacts_of(db.session, [g["subs"]])) == ["Bob Builder", "Bea Partner", "Carl Gamma"]
    assert names(contacts_of(db.session, [g["alfa"]])) == ["Alice Nováková"]
    # hand-picked: the non-technical billing contact is still not told
    assert names(contacts_of(db.session, [g["manual"]])) == ["Alice Nováková", "Bea Partner"]
    everyone = names(contacts_of(db.session, [g["all"]]))
    assert everyone == ["Alice Nováková", "Bob Builder", "Bea Partner", "Carl Gamma"]
    assert "Zed" not in everyone and "Old Admin" not in everyone and "Alfa Billing" not in everyone


def test_overlapping_groups_give_each_contact_once(world: World) -> None:
    g = world.groups
    found = contacts_of(db.session, [g["sms"], g["subs"], g["alfa"], g["manual"], g["all"], g["sms"]])
    assert len(found) == len({c.id for c in found}) == 4


def test_languages_and_one_sms_per_number(world: World) -> None:
    c = world.contacts
    # Carl shares Bob's mobile number (a team phone): one SMS for the two
    update_contact(db.session, c["carl"], {"phones": ["+49 151 23456789"]}, now=utcnow())
    db.session.commit()
    found = recipients_of(db.session, [world.groups["all"]], languages=["en", "cs"], default_language="en")
    assert {r.contact.name: r.language for r in found} == {
        "Alice Nováková": "cs",
        "Bob Builder": "en",
        "Bea Partner": "en",
        "Carl Gamma": "en",
    }
    numbers = sms_numbers(found)
    assert numbers == {c["alice"].id: "+420777111222", c["bob"].id: "+4915123456789"}


def test_contact_removed_or_group_changed_later_is_respected(world: World) -> None:
    c, g = world.contacts, world.groups
    update_contact(db.session, c["bob"], {"active": False}, now=utcnow())
    catalog.set_members(db.session, g["manual"], [c["carl"].id])
    db.session.commit()
    assert names(contacts_of(db.session, [g["sms"], g["manual"]])) == [
        "Alice Nováková",
        "Bea Partner",
        "Carl Gamma",
    ]


def test_portal_sees_only_announcements_that_reach_the_organisation(world: World) -> None:
    from tests.integration.announcements.helpers import outage_values
    from ticketdesk.announcements import service

    now = utcnow()

    def announce(groups: list[Any]) -> Any:
        values = (
            outage_values() if groups[0].kind == "service" else {**outage_values(), "services": "Payments"}
        )
        return service.create_announcement(
            db.session,
            kind="outage",
            groups=groups,
            template=world.templates["outage_en"],
            values=values,
            now=now,
        )

    sms = announce([world.groups["sms"]])
    subs = announce([world.groups["subs"]])
    alfa = announce([world.groups["alfa"]])
    manual = announce([world.groups["manual"]])
    internal = service.create_announcement(
        db.session,
        kind="outage",
        groups=[world.groups["all"]],
        template=None,
        title="Looking into it",
        internal=True,
        now=now,
    )
    db.session.commit()
    seen = {
        o: [a["id"] for a in announcements_for_organization(db.session, world.orgs[o].id)]
        for o in ("alfa", "beta", "gamma")
    }
    assert sorted(seen["alfa"]) == sorted([sms.id, alfa.id, manual.id])
    assert sorted(seen["beta"]) == sorted(
        [sms.id, subs.id, manual.id]
    )  # Bea (partner) is in the manual group
    assert seen["gamma"] == [subs.id]
    assert internal.id not in seen["alfa"] + seen["beta"] + seen["gamma"]
    (item,) = [
        a for a in announcements_for_organization(db.session, world.orgs["alfa"].id) if a["id"] == alfa.id
    ]
    assert item["messages"][0]["subject"].startswith("Výpadek")  # in the organisation's language
    assert item["status_label"] == "Zjišťujeme příčinu"
