"""Caller ID in any form → the technical contact who owns the number, for customers in five countries."""

from __future__ import annotations

from typing import Any

import pytest

from ticketdesk.extensions import db
from ticketdesk.phone import queries

# country -> (the organisation's region, the contact's number as entered, the forms a PBX may deliver)
FORMS: dict[str, tuple[str, str, list[str]]] = {
    "cs": (
        "CZ",
        "+420 777 123 456",
        [
            "+420777123456",
            "+420 777 123 456",
            "00420777123456",
            "00420 777 123 456",
            "777 123 456",
            "777123456",
            "420777123456",
            "(+420) 777-123-456",
            "tel:+420-777-123-456",
            "sip:+420777123456@pbx.example.cz;user=phone",
        ],
    ),
    "fi": (
        "FI",
        "040 123 4567",
        [
            "+358401234567",
            "+358 40 123 4567",
            "+358 (0)40 123 4567",
            "00358401234567",
            "040 123 4567",
            "0401234567",
            "040-1234567",
            "358401234567",
        ],
    ),
    "de": (
        "DE",
        "0171 1234567",
        [
            "+491711234567",
            "+49 171 1234567",
            "+49 (0)171 1234567",
            "00491711234567",
            "0171 1234567",
            "0171/1234567",
            "(0171) 123 45 67",
            "491711234567",
        ],
    ),
    "pl": (
        "PL",
        "600 123 456",
        [
            "+48600123456",
            "+48 600 123 456",
            "0048600123456",
            "600 123 456",
            "600-123-456",
            "48600123456",
        ],
    ),
    "no": (
        "NO",
        "412 34 567",
        [
            "+4741234567",
            "+47 412 34 567",
            "004741234567",
            "412 34 567",
            "41 23 45 67",
            "4741234567",
        ],
    ),
}
CASES = [(lang, form) for lang, (_, _, forms) in FORMS.items() for form in forms]


@pytest.fixture
def customers(make_org: Any, make_contact: Any) -> dict[str, Any]:
    found = {}
    for lang, (region, stored, _) in FORMS.items():
        org = make_org(f"Customer {lang}", default_region=region)
        found[lang] = make_contact(org, name=f"Contact {lang}", phones=[stored])
    return found


@pytest.mark.parametrize(("lang", "form"), CASES)
def test_every_form_matches_the_contact(customers: dict[str, Any], lang: str, form: str) -> None:
    found = queries.match_number(db.session, form, called=None, default_region="CZ")
    assert [c.contact_id for c in found.candidates] == [customers[lang].id], form
    assert found.organization_id == customers[lang].organization_id


SIPGATE = [
    (lang, form)
    for lang, form in CASES
    if form.isdigit() and form.startswith(("420", "358", "49", "48", "47"))
]


@pytest.mark.parametrize(("lang", "form"), SIPGATE)
def test_sipgate_bare_international_digits(customers: dict[str, Any], lang: str, form: str) -> None:
    """sipgate.io writes every number as international digits without the plus."""
    found = queries.match_number(
        db.session, form, called="4921112345", default_region="CZ", digits_are_international=True
    )
    assert [c.contact_id for c in found.candidates] == [customers[lang].id]


def test_national_form_is_read_in_the_line_region_first(make_org: Any, make_contact: Any) -> None:
    """A national caller ID is national for the PBX: the called line tells the country."""
    hamburg = make_contact(make_org("Hamburg GmbH", default_region="DE"), phones=["+49 40 1234567"])
    helsinki = make_contact(make_org("Helsinki Oy", default_region="FI"), phones=["+358 40 1234567"])
    # "040 1234567" is Hamburg on a German line and a Finnish mobile on a Finnish one
    found = queries.match_number(db.session, "040 1234567", called="+49 30 1234567", default_region="CZ")
    assert [c.contact_id for c in found.candidates] == [hamburg.id]
    found = queries.match_number(db.session, "040 1234567", called="+358 9 1234 5678", default_region="CZ")
    assert [c.contact_id for c in found.candidates] == [helsinki.id]
    found = queries.match_number(
        db.session, "040 1234567", called="4930123456", default_region="CZ", digits_are_international=True
    )
    assert [c.contact_id for c in found.candidates] == [hamburg.id]


def test_a_national_reading_only_matches_organisations_of_that_region(
    make_org: Any, make_contact: Any
) -> None:
    """National '040 1234567' read as German only matches German customers, not a Czech one who happens
    to have a Hamburg number; read as Finnish it matches the Finnish customer."""
    make_contact(make_org("Praha s.r.o.", default_region="CZ"), phones=["+49 40 1234567"])
    fi = make_contact(make_org("Helsinki Oy", default_region="FI"), phones=["+358 40 1234567"])
    found = queries.match_number(db.session, "040 1234567", called=None, default_region="CZ")
    assert [c.contact_id for c in found.candidates] == [fi.id]


def test_configured_default_region_reads_national_forms(make_org: Any, make_contact: Any) -> None:
    contact = make_contact(make_org("Poznań sp. z o.o.", default_region="CZ"), phones=["+48 600 123 456"])
    assert (
        queries.match_number(db.session, "600 123 456", called=None, default_region="PL").contact_id
        == contact.id
    )
    assert (
        queries.match_number(db.session, "600 123 456", called=None, default_region="CZ").contact_id is None
    )


def test_only_active_technical_contacts_match(make_org: Any, make_contact: Any) -> None:
    from ticketdesk.contacts.service import update_contact
    from ticketdesk.ports.clock import utcnow

    org = make_org(default_region="CZ")
    gone = make_contact(org, phones=["+420 777 000 111"])
    make_contact(org, phones=["+420 777 000 222"], technical=False)
    update_contact(db.session, gone, {"active": False}, now=utcnow())
    db.session.commit()
    assert (
        queries.match_number(db.session, "+420777000111", called=None, default_region="CZ").candidates == []
    )
    assert (
        queries.match_number(db.session, "+420777000222", called=None, default_region="CZ").candidates == []
    )


def test_shared_number_lists_every_contact(make_org: Any, make_contact: Any) -> None:
    org_a, org_b = make_org("A", default_region="CZ"), make_org("B", default_region="CZ")
    a = make_contact(org_a, phones=["+420 222 111 000"])
    b = make_contact(org_b, phones=["+420 222 111 000"])
    found = queries.match_number(db.session, "222 111 000", called=None, default_region="CZ")
    assert {c.contact_id for c in found.candidates} == {a.id, b.id}
    assert found.organization_id is None and found.contact_id is None


@pytest.mark.parametrize("raw", ["anonymous", "", "unknown", "+", "12", "not a number"])
def test_withheld_or_garbage_matches_nobody(customers: dict[str, Any], raw: str) -> None:
    found = queries.match_number(db.session, raw, called=None, default_region="CZ")
    assert found.candidates == []
