"""The cross-organisation matrix: a contact of organisation A (an admin, the strongest portal role) can
neither read nor change anything of organisation B, through every portal route, the JSON API, attachment
downloads and Socket.IO rooms. Anything of B is a 404 (never 403), exactly like a number that does not
exist, so numbers and ids reveal nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.web.portal.helpers import csrf, sign_in, with_csrf


@dataclass
class World:
    alpha: Any
    beta: Any
    beta_attachment: Any
    beta_sms_id: int
    beta_removed: Any
    snapshot: dict[str, Any]


def _snapshot(beta: Any) -> dict[str, Any]:
    """Everything of organisation B that a write could touch."""
    from ticketdesk.contacts.models import Contact, ContactEmail, Organization
    from ticketdesk.extensions import db
    from ticketdesk.tickets.models import Message, Ticket, TicketCC, TicketEvent

    db.session.expire_all()
    org = db.session.get(Organization, beta.org.id)
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.organization_id == org.id).order_by(Ticket.id)
    ).all()
    ids = [t.id for t in tickets]
    contacts = db.session.scalars(
        select(Contact).where(Contact.organization_id == org.id).order_by(Contact.id)
    ).all()
    return {
        "org": (org.name, org.pin_hash, org.sender_policy, org.active),
        "tickets": [(t.number, t.status, t.claimed_by_id, t.subject, t.version) for t in tickets],
        "messages": db.session.scalar(select(func.count(Message.id)).where(Message.ticket_id.in_(ids))),
        "events": db.session.scalar(select(func.count(TicketEvent.id)).where(TicketEvent.ticket_id.in_(ids))),
        "cc": sorted(db.session.scalars(select(TicketCC.email).where(TicketCC.ticket_id.in_(ids)))),
        "contacts": [(c.name, c.active, c.is_admin, c.technical, c.language) for c in contacts],
        "emails": sorted(
            db.session.scalars(
                select(ContactEmail.address).join(Contact).where(Contact.organization_id == org.id)
            )
        ),
        "all_tickets": db.session.scalar(select(func.count(Ticket.id))),
        "all_contacts": db.session.scalar(select(func.count(Contact.id))),
    }


@pytest.fixture
def world(app: Any, two_orgs: Any, agent: Any, make_contact: Any) -> World:
    from ticketdesk.contacts.service import deactivate
    from ticketdesk.extensions import db
    from ticketdesk.portal import actions
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.sms.service import queue_sms
    from ticketdesk.tickets import service
    from ticketdesk.tickets.history import ActorRef
    from ticketdesk.tickets.models import Attachment

    alpha, beta = two_orgs
    now = utcnow()
    ticket = service.get_for_update(db.session, beta.ticket.number)
    service.add_cc(db.session, ticket, "cc@beta.test", ActorRef.client(beta.member), now=now)
    service.claim(db.session, beta.ticket.number, agent, now=now)
    second = actions.open_ticket(
        db.session,
        beta.member,
        queue="support",
        subject="Beta invoice secret",
        text="Beta private text",
        cc=[],
        now=now,
        max_bytes=10_000,
        uploads=[actions.Upload("beta-secret.txt", "text/plain", b"beta secret bytes")],
    )
    service.change_status(db.session, second, "resolved", ActorRef.agent(agent), now=now)
    sms = queue_sms(
        db.session,
        to=beta.admin.phones[0].e164,
        text="Beta SMS secret",
        kind="requires_action",
        now=now,
        contact=beta.admin,
        organization=beta.org,
    )
    removed = make_contact(beta.org, name="Beta removed person")
    deactivate(removed, now=now)
    db.session.commit()
    attachment = db.session.scalars(select(Attachment)).one()
    return World(alpha, beta, attachment, sms.attempts[0].id, removed, _snapshot(beta))


def _forms_for(world: World) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    """Every portal route that names something of B, with the request that targets B."""
    b = world.beta
    n, c = b.ticket.number, b.member.id
    return {
        ("portal.ticket", "GET"): (f"/portal/tickets/{n}", {}),
        ("portal.reply", "POST"): (f"/portal/tickets/{n}/reply", {"text": "sneaky reply"}),
        ("portal.add_cc", "POST"): (f"/portal/tickets/{n}/cc", {"email": "spy@alpha.test"}),
        ("portal.remove_cc", "POST"): (f"/portal/tickets/{n}/cc/remove", {"email": "cc@beta.test"}),
        ("portal.confirm", "POST"): (f"/portal/tickets/{n}/confirm", {}),
        ("portal.refuse_claim", "POST"): (f"/portal/tickets/{n}/refuse-claim", {}),
        ("portal.new_ticket", "GET"): (f"/portal/tickets/new?previous={n}", {}),
        ("portal.new_ticket", "POST"): (
            f"/portal/tickets/new?previous={n}",
            {"queue": "support", "subject": "follow-up", "text": "linked to B?"},
        ),
        ("portal.edit_contact", "GET"): (f"/portal/organization/contacts/{c}", {}),
        ("portal.edit_contact", "POST"): (
            f"/portal/organization/contacts/{c}",
            {"name": "Hijacked", "emails": "hijack@alpha.test", "technical": "y", "is_admin": "y"},
        ),
        ("portal.remove_contact", "POST"): (f"/portal/organization/contacts/{c}/remove", {}),
        ("portal.restore_contact", "POST"): (
            f"/portal/organization/contacts/{world.beta_removed.id}/restore",
            {},
        ),
    }


# Routes with no id of another organisation in them: what they show or change is the caller's own.
OWN_SCOPE = {
    ("portal.index", "GET"),
    ("portal.tickets", "GET"),
    ("portal.organization", "GET"),
    ("portal.sms", "GET"),
    ("portal.account", "GET"),
    ("portal.save_account", "POST"),
    ("portal.set_password", "POST"),
    ("portal.remove_password", "POST"),
    ("portal.add_contact", "POST"),
    ("portal.set_pin", "POST"),
    ("portal.remove_pin", "POST"),
    ("portal.sender_policy", "POST"),
}
# Before sign-in, or authorised by their own signed token (the claim-refusal link is mailed to B's people).
PUBLIC = {
    ("portal.login", "GET"),
    ("portal.login", "POST"),
    ("portal.password_login", "POST"),
    ("portal.link", "GET"),
    ("portal.link", "POST"),
    ("portal.logout", "POST"),
    ("portal.claim", "GET"),
    ("portal.claim", "POST"),
}


def _portal_routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("portal."):
            found |= {(rule.endpoint, m) for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
    return found


def test_every_portal_route_is_in_the_matrix(app: Any, world: World) -> None:
    covered = set(_forms_for(world)) | OWN_SCOPE | PUBLIC
    assert _portal_routes(app) - covered == set(), "classify the new portal route in this matrix"


def test_another_organisations_things_are_404_on_every_portal_route(
    app: Any, client: Any, world: World
) -> None:
    sign_in(client, world.alpha.admin)
    token = csrf(client, "/portal/tickets")
    for (endpoint, method), (url, data) in _forms_for(world).items():
        if method == "GET":
            resp = client.get(url)
        else:
            resp = client.post(url, data={**data, "csrf_token": token})
        assert resp.status_code == 404, (endpoint, method, resp.status_code)
        html = resp.get_data(as_text=True)
        for secret in ("Beta Oy", "Server of Beta", "cc@beta.test", world.beta.member.name):
            assert secret not in html, (endpoint, secret)
    assert _snapshot(world.beta) == world.snapshot


def test_a_foreign_number_looks_exactly_like_a_missing_one(app: Any, client: Any, world: World) -> None:
    sign_in(client, world.alpha.member)
    foreign = world.beta.ticket.number
    missing = 999_999
    a = client.get(f"/portal/tickets/{foreign}")
    b = client.get(f"/portal/tickets/{missing}")
    assert a.status_code == b.status_code == 404
    assert a.get_data(as_text=True).replace(str(foreign), "N") == b.get_data(as_text=True).replace(
        str(missing), "N"
    )
    api_a = client.get(f"/api/v1/tickets/{foreign}").get_json()
    api_b = client.get(f"/api/v1/tickets/{missing}").get_json()
    assert api_a["error"]["code"] == api_b["error"]["code"] == "not_found"


def test_own_scope_pages_show_nothing_of_the_other_organisation(app: Any, client: Any, world: World) -> None:
    sign_in(client, world.alpha.admin)
    pages = [
        "/portal/tickets",
        "/portal/tickets?view=all",
        f"/portal/tickets?view=all&q={world.beta.ticket.number}",
        "/portal/tickets?view=all&q=Beta",
        "/portal/organization",
        "/portal/organization/sms",
        "/portal/account",
        "/portal/tickets/new",
    ]
    for page in pages:
        resp = client.get(page)
        assert resp.status_code == 200, page
        html = resp.get_data(as_text=True)
        for secret in (
            "Beta Oy",
            "Server of Beta",
            "Beta invoice",
            "Beta SMS secret",
            "cc@beta.test",
            world.beta.member.name,
            world.beta.member.primary_email,
            "+358401234567",
        ):
            assert secret not in html, (page, secret)
    assert "Server of Alpha" in client.get("/portal/tickets").get_data(as_text=True)


def test_own_scope_writes_change_only_the_own_organisation(app: Any, client: Any, world: World) -> None:
    from ticketdesk.contacts.models import Organization
    from ticketdesk.extensions import db

    sign_in(client, world.alpha.admin)
    token = csrf(client, "/portal/organization")
    posts = [
        (
            "/portal/organization/contacts",
            {"new-name": "New Alpha person", "new-emails": "new@alpha.test", "new-technical": "y"},
        ),
        ("/portal/organization/pin", {"pin-pin": "2468", "pin-repeat": "2468"}),
        ("/portal/organization/sender-policy", {"policy-policy": "always_confirm"}),
        ("/portal/account", {"language": "cs"}),
    ]
    for url, data in posts:
        assert client.post(url, data=with_csrf(data, token)).status_code == 302, url
    assert client.post("/portal/organization/pin/remove", data={"csrf_token": token}).status_code == 302
    alpha = db.session.get(Organization, world.alpha.org.id)
    db.session.refresh(alpha)
    assert alpha.sender_policy == "always_confirm" and alpha.pin_hash is None
    snapshot = _snapshot(world.beta)
    assert snapshot["org"] == world.snapshot["org"] and snapshot["contacts"] == world.snapshot["contacts"]


def _api_csrf(client: Any) -> dict[str, str]:
    return {"X-CSRFToken": client.get("/api/v1/me").get_json()["csrf_token"]}


def test_the_json_api_answers_404_for_the_other_organisation(app: Any, client: Any, world: World) -> None:
    sign_in(client, world.alpha.admin)
    h = _api_csrf(client)
    b = world.beta
    n, org, person = b.ticket.number, b.org.id, b.member.id
    reads = [
        f"/api/v1/tickets/{n}",
        f"/api/v1/organizations/{org}",
        f"/api/v1/organizations/{org}/contacts",
        f"/api/v1/contacts/{person}",
        f"/api/v1/sms?ticket={n}",
        f"/api/v1/sms/{world.beta_sms_id}",
    ]
    for url in reads:
        assert client.get(url).status_code == 404, url
    writes = [
        ("post", f"/api/v1/tickets/{n}/messages", {"text": "sneaky"}),
        ("post", f"/api/v1/tickets/{n}/status", {"status": "closed"}),
        ("delete", f"/api/v1/tickets/{n}/claim", None),
        ("post", f"/api/v1/tickets/{n}/cc", {"email": "spy@alpha.test"}),
        ("delete", f"/api/v1/tickets/{n}/cc/cc@beta.test", None),
        ("patch", f"/api/v1/organizations/{org}", {"sender_policy": "trust_relay", "pin": "1111"}),
        ("post", f"/api/v1/organizations/{org}/contacts", {"name": "x", "emails": ["x@alpha.test"]}),
        ("patch", f"/api/v1/contacts/{person}", {"name": "pwned"}),
        ("delete", f"/api/v1/contacts/{person}", None),
    ]
    for method, url, body in writes:
        resp = (
            getattr(client, method)(url, json=body, headers=h)
            if body is not None
            else getattr(client, method)(url, headers=h)
        )
        assert resp.status_code == 404, (method, url, resp.status_code)
    # staff-only endpoints refuse a contact whatever the number (403 for any number reveals nothing)
    for url, body in (
        (f"/api/v1/tickets/{n}/notes", {"text": "x"}),
        (f"/api/v1/tickets/{n}/claim", {}),
        (f"/api/v1/tickets/{n}/priority", {"priority": "low"}),
    ):
        assert client.post(url, json=body, headers=h).status_code in (403, 404), url
    assert _snapshot(b) == world.snapshot


def test_the_api_lists_only_the_own_organisation(app: Any, client: Any, world: World) -> None:
    sign_in(client, world.alpha.member)
    b = world.beta
    tickets = client.get("/api/v1/tickets").get_json()["items"]
    assert tickets and {t["organization"]["id"] for t in tickets} == {world.alpha.org.id}
    assert client.get(f"/api/v1/tickets?organization={b.org.id}").get_json()["items"] == []
    assert [o["id"] for o in client.get("/api/v1/organizations").get_json()["items"]] == [world.alpha.org.id]
    people = client.get("/api/v1/contacts").get_json()["items"]
    assert {p["organization_id"] for p in people} == {world.alpha.org.id}
    assert client.get(f"/api/v1/contacts?email={b.member.primary_email}").get_json()["items"] == []
    assert client.get("/api/v1/sms").get_json()["items"] == []


def test_every_api_route_with_an_id_refuses_the_other_organisation(
    app: Any, client: Any, world: World
) -> None:
    """A sweep over the whole API: with B's numbers and ids, no route answers a contact of A with 2xx."""
    sign_in(client, world.alpha.admin)
    h = _api_csrf(client)
    b = world.beta
    values = {
        "number": str(b.ticket.number),
        "org_id": str(b.org.id),
        "contact_id": str(b.member.id),
        "attempt_id": str(world.beta_sms_id),
        "email": "cc@beta.test",
        "attachment_id": str(world.beta_attachment.id),
        "sha256": world.beta_attachment.blob_sha256,
    }
    probed = 0
    for rule in app.url_map.iter_rules():
        if not rule.arguments or not (
            rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("attachments.")
        ):
            continue
        url = re.sub(r"<(?:[a-z]+:)?([a-z_0-9]+)>", lambda m: values.get(m.group(1), "1"), rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            kwargs: dict[str, Any] = {"headers": h}
            if method in ("POST", "PATCH", "PUT"):
                kwargs["json"] = {}
            resp = client.open(url, method=method, **kwargs)
            probed += 1
            assert not 200 <= resp.status_code < 300, (method, url, resp.status_code)
            if resp.status_code == 404 or resp.is_json is False:
                continue
            assert "Beta" not in resp.get_data(as_text=True), (method, url)
    assert probed > 10
    assert _snapshot(b) == world.snapshot


def test_attachments_of_the_other_organisation_are_404(app: Any, client: Any, world: World) -> None:
    att = world.beta_attachment
    sign_in(client, world.beta.member)
    own = client.get(f"/tickets/{_ticket_of(att)}/attachments/{att.id}")
    assert own.status_code == 200 and own.data == b"beta secret bytes"
    sign_in(client, world.alpha.admin)
    assert client.get(f"/tickets/{_ticket_of(att)}/attachments/{att.id}").status_code == 404
    assert client.get(f"/attachments/{att.blob_sha256}").status_code == 404


def _ticket_of(att: Any) -> int:
    from ticketdesk.extensions import db
    from ticketdesk.tickets.models import Message, Ticket

    return int(
        db.session.scalar(
            select(Ticket.number)
            .join(Message, Message.ticket_id == Ticket.id)
            .where(Message.id == att.message_id)
        )
    )


def test_socketio_rooms_of_the_other_organisation_are_refused(app: Any, client: Any, world: World) -> None:
    from ticketdesk.extensions import socketio

    sign_in(client, world.alpha.member)
    sio = socketio.test_client(app, flask_test_client=client)
    try:
        assert sio.is_connected()
        for room in (
            f"org:{world.beta.org.id}",
            f"portal-ticket:{world.beta.ticket.number}",
            "agents",
            "queue:support",
            f"ticket:{world.alpha.ticket.number}",
        ):
            assert sio.emit("join", {"room": room}, callback=True)["ok"] is False, room
        for room in (f"org:{world.alpha.org.id}", f"portal-ticket:{world.alpha.ticket.number}"):
            assert sio.emit("join", {"room": room}, callback=True)["ok"] is True, room
    finally:
        sio.disconnect()
