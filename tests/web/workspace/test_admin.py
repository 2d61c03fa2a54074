"""Admin pages: agents, queues and addresses, organisations and contacts, intake log, settings."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.workspace.helpers import login, post_form


@pytest.fixture
def admin_client(client: Any, admin: Any) -> Any:
    from ticketdesk.extensions import limiter

    limiter.reset()
    login(client, admin.email)
    return client


def test_only_admins(client: Any, agent: Any) -> None:
    from ticketdesk.extensions import limiter

    limiter.reset()
    login(client, agent.email)
    for page in (
        "/admin/agents",
        "/admin/queues",
        "/admin/organizations",
        "/admin/intake",
        "/admin/settings",
    ):
        assert client.get(page).status_code == 403, page
    assert 'href="/admin/' not in client.get("/queue").get_data(as_text=True)


def test_every_admin_page_renders(admin_client: Any) -> None:
    for page in (
        "/admin/agents",
        "/admin/queues",
        "/admin/organizations",
        "/admin/intake",
        "/admin/settings",
    ):
        resp = admin_client.get(page)
        assert resp.status_code == 200, page


def test_agents(admin_client: Any, admin: Any, app: Any) -> None:
    from sqlalchemy import select

    from ticketdesk.accounts.models import Agent
    from ticketdesk.extensions import db

    resp = post_form(
        admin_client,
        "/admin/agents",
        "/admin/agents",
        {
            "email": "New.Agent@support.test",
            "name": "Nový Agent",
            "role": "agent",
            "language": "cs",
            "password": "long enough password",
            "queues": ["1"],
        },
    )
    assert resp.status_code == 303
    new = db.session.scalar(select(Agent).where(Agent.email == "new.agent@support.test"))
    assert new is not None and new.language == "cs" and [q.id for q in new.queues] == [1]
    other = app.test_client()
    assert login(other, "new.agent@support.test", "long enough password").status_code == 302
    # duplicate address: refused with the reason
    resp = post_form(
        admin_client,
        "/admin/agents",
        "/admin/agents",
        {"email": "new.agent@support.test", "name": "Again", "role": "agent", "language": "en"},
    )
    assert "exists" in admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    # deactivate the new agent; an admin cannot demote themself
    assert (
        post_form(
            admin_client,
            f"/admin/agents/{new.id}",
            f"/admin/agents/{new.id}",
            {"role": "agent", "queues": []},
        ).status_code
        == 303
    )
    db.session.refresh(new)
    assert new.active is False
    resp = post_form(
        admin_client,
        f"/admin/agents/{admin.id}",
        f"/admin/agents/{admin.id}",
        {"role": "agent", "active": "y"},
    )
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_queues_and_addresses(admin_client: Any) -> None:
    from sqlalchemy import select

    from ticketdesk.extensions import db
    from ticketdesk.tickets.models import Queue, QueueAddress

    assert (
        post_form(
            admin_client,
            "/admin/queues",
            "/admin/queues",
            {"slug": "billing", "name": "Billing", "routing_mode": "none", "load_cap": "5"},
        ).status_code
        == 303
    )
    billing = db.session.scalar(select(Queue).where(Queue.slug == "billing"))
    assert billing is not None and billing.routing_mode == "none"
    post_form(
        admin_client,
        "/admin/queues",
        f"/admin/queues/{billing.id}/addresses",
        {"address": "Billing@Support.test"},
    )
    address = db.session.scalar(select(QueueAddress).where(QueueAddress.address == "billing@support.test"))
    assert address is not None and address.queue_id == billing.id
    configured = db.session.scalar(select(QueueAddress).where(QueueAddress.address == "support@support.test"))
    post_form(admin_client, "/admin/queues", f"/admin/addresses/{configured.id}/delete")
    assert db.session.get(QueueAddress, configured.id) is not None
    post_form(admin_client, "/admin/queues", f"/admin/addresses/{address.id}/delete")
    db.session.expire_all()
    assert db.session.get(QueueAddress, address.id) is None


def test_organisations_and_contacts(admin_client: Any) -> None:
    from sqlalchemy import select

    from ticketdesk.contacts.models import Contact, Organization
    from ticketdesk.extensions import db

    resp = post_form(
        admin_client,
        "/admin/organizations",
        "/admin/organizations",
        {
            "name": "Nordic Oy",
            "client_number": "N100",
            "language": "en",
            "pin": "2468",
            "services": "hosting, dns",
        },
    )
    org = db.session.scalar(select(Organization).where(Organization.client_number == "N100"))
    assert resp.status_code == 303 and org is not None and org.pin_set
    assert {s.slug for s in org.services} == {"hosting", "dns"}
    page = f"/admin/organizations/{org.id}"
    post_form(
        admin_client,
        page,
        f"{page}/contacts",
        {"name": "Mikko", "emails": "mikko@nordic.test", "phones": "+358 40 1234567", "technical": "y"},
    )
    mikko = db.session.scalar(select(Contact).where(Contact.name == "Mikko"))
    assert mikko is not None and mikko.phones[0].e164 == "+358401234567"
    post_form(
        admin_client, page, f"/admin/contacts/{mikko.id}", {"name": "Mikko", "emails": "mikko@nordic.test"}
    )
    db.session.refresh(mikko)
    assert mikko.active is False and mikko.technical is False
    html = admin_client.get(page).get_data(as_text=True)
    assert "Mikko" in html and "mikko@nordic.test" in html
    assert "N100" in admin_client.get("/admin/organizations?q=nordic").get_data(as_text=True)


def test_settings(admin_client: Any) -> None:
    from ticketdesk.admin.store import get_value, reopen_window
    from ticketdesk.extensions import db

    data = {"reopen_days": "7"}
    for p, (first, resolution) in {
        "urgent": (15, 120),
        "high": (60, 480),
        "normal": (240, 1440),
        "low": (480, 4800),
    }.items():
        data[f"{p}_first"], data[f"{p}_resolution"] = str(first), str(resolution)
    data["urgent_247"] = "1"
    assert post_form(admin_client, "/admin/settings", "/admin/settings", data).status_code == 303
    assert reopen_window(db.session).days == 7
    stored = get_value(db.session, "sla.policy")
    assert stored["targets"]["urgent"] == {
        "first_response_minutes": 15,
        "resolution_minutes": 120,
        "around_the_clock": True,
    }
    assert stored["targets"]["low"]["around_the_clock"] is False
    bad = {**data, "high_first": "soon"}
    resp = post_form(admin_client, "/admin/settings", "/admin/settings", bad)
    assert "whole numbers" in admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert get_value(db.session, "sla.policy")["targets"]["high"]["first_response_minutes"] == 60


def test_intake_log_release_and_retry(admin_client: Any, make_org: Any, make_contact: Any, app: Any) -> None:
    from sqlalchemy import select

    from tests.integration.intake.helpers import deliver, mail
    from ticketdesk.contacts.models import ContactEmail
    from ticketdesk.extensions import db
    from ticketdesk.intake.models import RawMessage

    org = make_org(name="ACME", client_number="A777", sender_policy="trust_relay")
    outcome = deliver(app, mail("stranger@acme.test", "Please help", "We are new here."))
    raw = db.session.get(RawMessage, outcome.raw_id)
    assert raw.disposition == "quarantined"
    html = admin_client.get("/admin/intake?disposition=quarantined").get_data(as_text=True)
    assert "stranger@acme.test" in html and "Add sender as contact and release" in html
    resp = post_form(
        admin_client,
        "/admin/intake",
        f"/admin/intake/{raw.id}/release",
        {"client_number": "A777", "name": "New Person"},
    )
    assert resp.status_code == 303
    db.session.expire_all()
    raw = db.session.get(RawMessage, outcome.raw_id)
    assert raw.disposition == "ticket" and raw.ticket_id is not None
    contact = db.session.scalar(
        select(ContactEmail).where(ContactEmail.address == "stranger@acme.test")
    ).contact
    assert contact.organization_id == org.id and contact.name == "New Person"

    make_contact(org, email="known@acme.test")
    second = deliver(app, mail("known@acme.test", "Another", "Text"))
    row = db.session.get(RawMessage, second.raw_id)
    row.status, row.disposition, row.error = "failed", "failed", "simulated crash"
    db.session.commit()
    assert "simulated crash" in admin_client.get("/admin/intake?status=failed").get_data(as_text=True)
    assert post_form(admin_client, "/admin/intake", f"/admin/intake/{row.id}/retry").status_code == 303
    db.session.expire_all()
    assert db.session.get(RawMessage, second.raw_id).status == "done"
    assert "Inbound message" in admin_client.get(f"/admin/intake/{row.id}").get_data(as_text=True)
