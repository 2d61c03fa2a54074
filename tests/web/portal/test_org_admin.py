"""Organisation administration in the portal: contacts (add, edit addresses and phones, remove, restore),
the phone PIN (set, change, remove; hashed, never shown), the sender-check policy, the SMS sent to the
organisation's contacts with their delivery state, and what a non-admin contact may not do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.web.portal.helpers import csrf, post, sign_in, with_csrf


def _org(org_id: int) -> Any:
    from ticketdesk.contacts.models import Organization
    from ticketdesk.extensions import db

    db.session.expire_all()
    return db.session.get(Organization, org_id)


def _contact(contact_id: int) -> Any:
    from ticketdesk.contacts.models import Contact
    from ticketdesk.extensions import db

    db.session.expire_all()
    return db.session.get(Contact, contact_id)


ORG = "/portal/organization"


def test_non_admins_see_the_contacts_but_change_nothing(app: Any, client: Any, two_orgs: Any) -> None:
    alpha, _ = two_orgs
    sign_in(client, alpha.member)
    html = client.get(ORG).get_data(as_text=True)
    assert alpha.admin.name in html and "+420777100200" in html
    assert 'id="pin-form"' not in html and 'id="add-contact-form"' not in html
    token = csrf(client, ORG)
    attempts = [
        (f"{ORG}/contacts", {"new-name": "X", "new-emails": "x@alpha.test"}),
        (f"{ORG}/contacts/{alpha.admin.id}", {"name": "X", "emails": "x@alpha.test"}),
        (f"{ORG}/contacts/{alpha.admin.id}/remove", {}),
        (f"{ORG}/contacts/{alpha.admin.id}/restore", {}),
        (f"{ORG}/pin", {"pin-pin": "1234", "pin-repeat": "1234"}),
        (f"{ORG}/pin/remove", {}),
        (f"{ORG}/sender-policy", {"policy-policy": "trust_relay"}),
    ]
    for url, data in attempts:
        assert client.post(url, data=with_csrf(data, token)).status_code == 403, url
    assert client.get(f"{ORG}/sms").status_code == 403
    assert client.get(f"{ORG}/contacts/{alpha.admin.id}").status_code == 403
    org = _org(alpha.org.id)
    assert org.pin_hash is None and org.sender_policy == "default"


def test_admin_adds_edits_removes_and_restores_contacts(app: Any, client: Any, two_orgs: Any) -> None:
    alpha, beta = two_orgs
    sign_in(client, alpha.admin)
    added = post(
        client,
        f"{ORG}/contacts",
        {
            "new-name": "Lucie Dvořáková",
            "new-emails": "Lucie@Alpha.test\nlucie.d@alpha.test",
            "new-phones": "777 123 456\n+49 (0)171 1234567",
            "new-language": "cs",
            "new-technical": "y",
        },
        page=ORG,
    )
    assert added.status_code == 302
    from ticketdesk.contacts.service import find_contact_by_email
    from ticketdesk.extensions import db

    lucie = find_contact_by_email(db.session, "lucie@alpha.test")
    assert lucie.organization_id == alpha.org.id and lucie.language == "cs" and not lucie.is_admin
    assert [e.address for e in lucie.emails] == ["lucie@alpha.test", "lucie.d@alpha.test"]
    assert [p.e164 for p in lucie.phones] == ["+420777123456", "+491711234567"]

    bad_phone = post(
        client,
        f"{ORG}/contacts",
        {"new-name": "Bad", "new-emails": "bad@alpha.test", "new-phones": "call me maybe"},
        page=ORG,
    )
    assert bad_phone.status_code == 422 and "is not a valid phone number" in bad_phone.get_data(as_text=True)
    taken = post(
        client, f"{ORG}/contacts", {"new-name": "Thief", "new-emails": beta.member.primary_email}, page=ORG
    )
    assert taken.status_code == 409 and "already registered" in taken.get_data(as_text=True)
    assert beta.org.name not in taken.get_data(as_text=True)

    page = f"{ORG}/contacts/{lucie.id}"
    edit = client.get(page).get_data(as_text=True)
    assert "lucie.d@alpha.test" in edit and "+491711234567" in edit
    saved = post(
        client,
        page,
        {
            "name": "Lucie D.",
            "emails": "lucie@alpha.test",
            "phones": "+420 602 111 222",
            "language": "en",
            "technical": "y",
            "is_admin": "y",
        },
        page=page,
    )
    assert saved.status_code == 302
    lucie = _contact(lucie.id)
    assert (lucie.name, lucie.is_admin, lucie.language) == ("Lucie D.", True, "en")
    assert [e.address for e in lucie.emails] == ["lucie@alpha.test"] and [p.e164 for p in lucie.phones] == [
        "+420602111222"
    ]

    assert post(client, f"{page}/remove", page=ORG).status_code == 302
    assert _contact(lucie.id).active is False
    html = client.get(ORG).get_data(as_text=True)
    assert "Removed contacts" in html
    assert post(client, f"{page}/restore", page=ORG).status_code == 302
    assert _contact(lucie.id).active is True


def test_admin_cannot_lock_themself_out(app: Any, client: Any, two_orgs: Any) -> None:
    alpha, _ = two_orgs
    sign_in(client, alpha.admin)
    me = f"{ORG}/contacts/{alpha.admin.id}"
    removed = post(client, f"{me}/remove", page=ORG)
    assert removed.status_code == 409 and "cannot remove yourself" in removed.get_data(as_text=True)
    demoted = post(
        client, me, {"name": alpha.admin.name, "emails": alpha.admin.primary_email, "technical": "y"}, page=me
    )
    assert demoted.status_code == 409 and "own admin right" in demoted.get_data(as_text=True)
    admin = _contact(alpha.admin.id)
    assert admin.active and admin.is_admin


def test_pin_is_set_changed_and_removed_but_never_shown(app: Any, client: Any, two_orgs: Any) -> None:
    from ticketdesk.accounts.service import verify_secret

    alpha, _ = two_orgs
    sign_in(client, alpha.admin)
    differ = post(client, f"{ORG}/pin", {"pin-pin": "4711", "pin-repeat": "4712"}, page=ORG)
    assert differ.status_code == 422 and "The two PINs differ." in differ.get_data(as_text=True)
    letters = post(client, f"{ORG}/pin", {"pin-pin": "12ab", "pin-repeat": "12ab"}, page=ORG)
    assert letters.status_code == 422 and "4 to 12 digits" in letters.get_data(as_text=True)
    assert _org(alpha.org.id).pin_hash is None

    assert post(client, f"{ORG}/pin", {"pin-pin": "4711", "pin-repeat": "4711"}, page=ORG).status_code == 302
    org = _org(alpha.org.id)
    assert org.pin_hash and "4711" not in org.pin_hash and verify_secret(org.pin_hash, "4711")
    html = client.get(ORG).get_data(as_text=True)
    assert "4711" not in html and 'id="pin-state">set<' in html and "Change PIN" in html

    assert (
        post(client, f"{ORG}/pin", {"pin-pin": "90210", "pin-repeat": "90210"}, page=ORG).status_code == 302
    )
    org = _org(alpha.org.id)
    assert verify_secret(org.pin_hash, "90210") and not verify_secret(org.pin_hash, "4711")
    assert post(client, f"{ORG}/pin/remove", page=ORG).status_code == 302
    assert _org(alpha.org.id).pin_hash is None


def test_sender_policy(app: Any, client: Any, two_orgs: Any) -> None:
    alpha, _ = two_orgs
    sign_in(client, alpha.admin)
    html = client.get(ORG).get_data(as_text=True)
    assert "Always confirm" in html and "No checks (trusted relay)" in html
    assert (
        post(client, f"{ORG}/sender-policy", {"policy-policy": "always_confirm"}, page=ORG).status_code == 302
    )
    assert _org(alpha.org.id).sender_policy == "always_confirm"
    assert post(client, f"{ORG}/sender-policy", {"policy-policy": "open_door"}, page=ORG).status_code == 422
    assert _org(alpha.org.id).sender_policy == "always_confirm"


def test_sms_to_the_organisations_contacts_with_delivery_state(app: Any, client: Any, two_orgs: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.sms.models import SmsAttempt
    from ticketdesk.sms.service import move, queue_sms

    alpha, beta = two_orgs
    now = utcnow()
    mine = queue_sms(
        db.session,
        to=alpha.admin.phones[0].e164,
        text="Ticket needs your action",
        now=now,
        kind="requires_action",
        contact=alpha.admin,
        organization=alpha.org,
        ticket=alpha.ticket,
    )
    queue_sms(
        db.session,
        to=beta.admin.phones[0].e164,
        text="Beta SMS secret",
        now=now,
        kind="requires_action",
        contact=beta.admin,
        organization=beta.org,
    )
    attempt = db.session.get(SmsAttempt, mine.attempts[0].id)
    move(db.session, attempt, "submitted", now=now, detail="accepted by the gateway")
    move(db.session, attempt, "delivered", now=now, detail="handset confirmed", source="gateway")
    db.session.commit()

    sign_in(client, alpha.admin)
    html = client.get(f"{ORG}/sms").get_data(as_text=True)
    assert "Ticket needs your action" in html and "Beta SMS secret" not in html
    assert 'data-status="delivered"' in html and "handset confirmed" in html
    assert alpha.admin.name in html and f"#{alpha.ticket.number}" in html
    rows = db.session.scalars(select(SmsAttempt)).all()
    assert len(rows) == 2
