"""The staff pages: a new announcement with its preview naming what is missing (nothing sent), the
announcement page with its messages and per-recipient delivery, the next message, and the admin pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.integration.announcements.helpers import World
from tests.web.workspace.helpers import csrf_from, login
from ticketdesk.announcements.models import Announcement, AnnouncementTemplate, ContactGroup
from ticketdesk.extensions import db
from ticketdesk.outbound.models import OutboundMail


def form(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "title": "",
        "groups": [str(world.groups["sms"].id)],
        "status": "scheduled",
        "starts_at": "2026-06-01T22:00",
        "expected_end": "2026-06-02T00:30",
        "channels": ["email", "sms"],
        "public_choice": "1",
        "public": "1",
        **extra,
    }


def test_pages_need_a_signed_in_agent(client: Any, world: World) -> None:
    resp = client.get("/announcements/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_new_maintenance_preview_blocks_and_sends(client: Any, agent: Any, world: World) -> None:
    login(client, agent.email)
    tid = world.templates["maintenance_en"].id
    page = client.get(f"/announcements/new?kind=maintenance&template={tid}").get_data(as_text=True)
    assert 'name="v.what_to_do"' in page and 'name="v.what_to_do.cs"' in page
    assert 'name="v.start"' not in page  # times are the Start / Expected end fields
    token = csrf_from(page)
    url = f"/announcements/new?kind=maintenance&template={tid}"

    preview = client.post(url, data={**form(world), "action": "preview", "csrf_token": token})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="preview-missing"' in html
    assert '<code class="missing">what_to_do</code>' in html
    assert "od 1. 6. 2026 22:00 CEST (20:00 UTC)" in html  # the Czech version, times in the Prague zone

    refused = client.post(url, data={**form(world), "action": "send", "csrf_token": token})
    assert refused.status_code == 422 and "unfilled placeholders: what_to_do" in refused.get_data(
        as_text=True
    )
    assert (
        db.session.scalar(select(Announcement.id)) is None
        and db.session.scalar(select(OutboundMail.id)) is None
    )

    values = {"v.what_to_do": "Nothing to do.", "v.what_to_do.cs": "Nic nedělejte."}
    ok = client.post(url, data={**form(world), **values, "action": "preview", "csrf_token": token})
    assert 'id="preview-ready"' in ok.get_data(as_text=True) and "3 recipient(s)" in ok.get_data(as_text=True)
    sent = client.post(url, data={**form(world), **values, "action": "send", "csrf_token": token})
    assert sent.status_code == 303
    ann = db.session.scalars(select(Announcement)).one()
    assert ann.starts_at.isoformat() == "2026-06-01T20:00:00+00:00" and ann.status == "scheduled"
    assert ann.values == {"what_to_do": {"*": "Nothing to do.", "cs": "Nic nedělejte."}}

    detail = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'id="delivery-table"' in detail
    assert detail.count('data-channel="email"') == 3 and 'data-state="queued"' in detail
    assert "no mobile number" in detail  # Bea has none
    # the next message: in progress, with the values prefilled from the announcement
    assert 'value="Nic nedělejte."' in detail
    token = csrf_from(detail)
    moved = client.post(
        sent.headers["Location"],
        data={
            "status": "in_progress",
            "starts_at": "2026-06-01T22:00",
            "expected_end": "2026-06-02T01:00",
            "v.what_to_do": "Nothing to do.",
            "v.what_to_do.cs": "Nic nedělejte.",
            "action": "send",
            "csrf_token": token,
        },
    )
    assert moved.status_code == 303
    db.session.expire_all()
    ann = db.session.get(Announcement, ann.id)
    assert ann.status == "in_progress" and ann.expected_end.isoformat() == "2026-06-01T23:00:00+00:00"
    assert len(ann.updates) == 2


def test_internal_incident_from_the_page(client: Any, agent: Any, world: World) -> None:
    login(client, agent.email)
    page = client.get("/announcements/new?kind=outage").get_data(as_text=True)
    resp = client.post(
        "/announcements/new?kind=outage",
        data={
            "title": "Payments via O2 failing",
            "status": "investigating",
            "action": "internal",
            "csrf_token": csrf_from(page),
        },
    )
    assert resp.status_code == 303
    index = client.get("/announcements/").get_data(as_text=True)
    assert "Payments via O2 failing" in index and "Internal incidents" in index
    detail = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "nobody has been told yet" in detail and 'value="close"' in detail
    closed = client.post(resp.headers["Location"], data={"action": "close", "csrf_token": csrf_from(detail)})
    assert closed.status_code == 303
    assert db.session.scalars(select(Announcement)).one().status == "resolved"


def test_admin_pages(client: Any, admin: Any, agent: Any, world: World) -> None:
    login(client, admin.email)
    page = client.get("/announcements/templates").get_data(as_text=True)
    assert "Planned maintenance" in page
    resp = client.post(
        "/announcements/templates",
        data={
            "name": "Outage",
            "kind": "outage",
            "language": "pl",
            "subject": "Awaria: {{services}}",
            "body": "Od {{start}} ... {{what_to_do}}",
            "sms_text": "",
            "placeholders": "what_to_do | Co robić | multiline\naffected | Operatorzy | text | optional",
            "csrf_token": csrf_from(page),
        },
    )
    assert resp.status_code == 303
    row = db.session.scalar(select(AnnouncementTemplate).where(AnnouncementTemplate.language == "pl"))
    assert row is not None and row.placeholders[1] == {
        "name": "affected",
        "label": "Operatorzy",
        "kind": "text",
        "required": False,
    }
    edit = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "affected | Operatorzy | text | optional" in edit

    groups = client.get("/announcements/groups").get_data(as_text=True)
    assert "Outage SMS/MPS" in groups and "3 contact(s)" in groups
    made = client.post(
        "/announcements/groups",
        data={
            "name": "Finnish customers",
            "kind": "organization",
            "organization_id": str(world.orgs["gamma"].id),
            "csrf_token": csrf_from(groups),
        },
    )
    assert made.status_code == 303
    group = db.session.scalar(select(ContactGroup).where(ContactGroup.name == "Finnish customers"))
    assert "Carl Gamma" in client.get(f"/announcements/groups/{group.id}").get_data(as_text=True)
    services = client.get("/announcements/services").get_data(as_text=True)
    assert "SMS gateway" in services

    client.post("/logout", data={"csrf_token": csrf_from(services)})
    login(client, agent.email)
    page = client.get("/announcements/templates").get_data(as_text=True)
    assert 'id="template-form"' not in page
    assert client.post("/announcements/templates", data={"csrf_token": csrf_from(page)}).status_code == 403
