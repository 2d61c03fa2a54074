"""The announcements API: 422 naming every unfilled placeholder, preview, updates along the lifecycle,
per-recipient delivery, and the admin's templates, groups and services."""

from __future__ import annotations

from typing import Any

from tests.integration.announcements.helpers import World, outage_values
from ticketdesk.extensions import db
from ticketdesk.outbound.models import OutboundMail

START, END = "2026-06-01T20:00:00Z", "2026-06-01T22:00:00Z"


def test_create_answers_422_naming_every_unfilled_placeholder(api: Any, world: World) -> None:
    resp = api.post(
        "/announcements",
        {
            "kind": "maintenance",
            "groups": [world.groups["sms"].id],
            "template": "Planned maintenance",
            "values": {"impact": "none"},
        },
    )
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "placeholders_unfilled"
    assert error["details"]["missing"] == ["start", "expected_end", "what_to_do"]
    for name in ("start", "expected_end", "what_to_do"):
        assert name in error["message"]
    assert api.get("/announcements").get_json()["items"] == []
    assert db.session.query(OutboundMail).count() == 0

    marker = api.post(
        "/announcements",
        {
            "kind": "maintenance",
            "groups": [world.groups["sms"].id],
            "template": world.templates["maintenance_en"].id,
            "values": {**maintenance_values_iso(), "what_to_do": "call &^"},
        },
    )
    assert marker.status_code == 422
    assert {(i["language"], i["marker"]) for i in marker.get_json()["error"]["details"]["leftovers"]} == {
        ("en", "&^"),
        ("cs", "&^"),
    }


def maintenance_values_iso() -> dict[str, Any]:
    return {"start": START, "expected_end": END, "what_to_do": {"en": "Nothing.", "cs": "Nic."}}


def test_preview_shows_what_is_missing_and_the_texts(api: Any, world: World) -> None:
    body = {"kind": "outage", "groups": [world.groups["subs"].id], "template": "Outage"}
    preview = api.post("/announcements/preview", body).get_json()
    assert preview["ready"] is False and preview["missing"] == ["affected", "what_to_do"]
    assert preview["recipients"] == 3
    assert "{{affected}}" in preview["renderings"]["en"]["body"]
    ready = api.post("/announcements/preview", {**body, "values": outage_values()}).get_json()
    assert ready["ready"] is True and ready["missing"] == [] and ready["status"] == "investigating"
    assert ready["renderings"]["cs"]["subject"] == "Výpadek: Subscriptions (Zjišťujeme příčinu)"
    nobody = api.post(
        "/announcements/preview",
        {"kind": "outage", "groups": [], "template": "Outage", "values": outage_values()},
    ).get_json()
    assert nobody["ready"] is False and "choose at least one contact group" in nobody["problems"]


def test_lifecycle_updates_and_deliveries(api: Any, world: World) -> None:
    created = api.post(
        "/announcements",
        {
            "kind": "maintenance",
            "groups": [world.groups["alfa"].id],
            "template": "Planned maintenance",
            "values": {**maintenance_values_iso(), "services": "Hosting"},
        },
    )
    assert created.status_code == 201, created.get_json()
    ann = created.get_json()
    assert ann["status"] == "scheduled" and ann["announced"] and ann["public"] is False  # one customer only
    assert (
        ann["starts_at"] == "2026-06-01T20:00:00+00:00" and ann["expected_end"] == "2026-06-01T22:00:00+00:00"
    )
    assert ann["deliveries"] == {"email": {"queued": 1}, "sms": {"queued": 1}}
    assert ann["next_statuses"] == ["scheduled", "in_progress", "completed", "cancelled"]
    path = f"/announcements/{ann['id']}"
    bad = api.post(f"{path}/updates", {"status": "resolved"})
    assert bad.status_code == 409 and bad.get_json()["error"]["code"] == "invalid_status"
    moved = api.post(f"{path}/updates", {"status": "in_progress"})
    assert moved.status_code == 201 and moved.get_json()["announcement"]["status"] == "in_progress"
    preview = api.post(f"{path}/preview", {"status": "completed"}).get_json()
    assert preview["ready"] and "Dokončeno" in preview["renderings"]["cs"]["subject"]
    done = api.post(f"{path}/updates", {"status": "completed"})
    assert done.status_code == 201
    detail = api.get(path).get_json()
    assert [u["status"] for u in detail["updates"]] == ["completed", "in_progress", "scheduled"]
    assert detail["completion_sent_at"] is not None and detail["closed"] is True
    assert api.post(f"{path}/updates", {}).status_code == 409
    deliveries = api.get(f"{path}/deliveries").get_json()
    assert len(deliveries["items"]) == 6 and deliveries["counts"]["email"] == {"queued": 3}
    first = deliveries["items"][0]
    assert first["contact"]["name"] == "Alice Nováková" and first["organization"]["name"] == "Alfa s.r.o."
    assert {i["channel"] for i in deliveries["items"]} == {"email", "sms"}
    one = api.get(f"{path}/deliveries?update={detail['updates'][-1]['id']}").get_json()
    assert len(one["items"]) == 2 and one["items"][0]["mail"]["state"] in ("queued", "sent")


def test_internal_incident_and_close(api: Any, world: World) -> None:
    resp = api.post("/announcements", {"kind": "outage", "internal": True, "title": "Checking DB latency"})
    assert resp.status_code == 201
    ann = resp.get_json()
    assert ann["announced"] is False and ann["updates"] == []
    assert [a["id"] for a in api.get("/announcements?state=internal").get_json()["items"]] == [ann["id"]]
    assert (
        api.post("/announcements", {"kind": "outage", "internal": True}).status_code == 422
    )  # needs a title
    closed = api.post(f"/announcements/{ann['id']}/close")
    assert closed.status_code == 200 and closed.get_json()["status"] == "resolved"
    assert api.post(f"/announcements/{ann['id']}/close").status_code == 409


def test_list_filters_and_pagination(api: Any, world: World) -> None:
    for n in range(3):
        api.post("/announcements", {"kind": "outage", "internal": True, "title": f"incident {n}"})
    page = api.get("/announcements?limit=2").get_json()
    assert [a["title"] for a in page["items"]] == ["incident 2", "incident 1"] and page["next"]
    rest = api.get(f"/announcements?limit=2&cursor={page['next']}").get_json()
    assert [a["title"] for a in rest["items"]] == ["incident 0"] and rest["next"] is None
    assert api.get("/announcements?kind=maintenance").get_json()["items"] == []
    assert api.get("/announcements?state=bogus").status_code == 422


def test_catalog_is_for_admins(api: Any, admin_api: Any, world: World, make_contact: Any) -> None:
    template = {
        "name": "DNS outage",
        "kind": "outage",
        "language": "de",
        "subject": "Störung: {{services}}",
        "body": "Seit {{start}} ... {{what_to_do}}",
        "placeholders": [{"name": "what_to_do", "label": "Was zu tun ist", "kind": "multiline"}],
    }
    assert api.post("/announcement-templates", template).status_code == 403
    created = admin_api.post("/announcement-templates", template)
    assert created.status_code == 201
    assert [p["name"] for p in created.get_json()["placeholders"]] == ["what_to_do"]
    assert admin_api.post("/announcement-templates", template).status_code == 409  # same name, kind, language
    bad = admin_api.post("/announcement-templates", {**template, "language": "cs", "placeholders": ["a b"]})
    assert bad.status_code == 422
    patched = admin_api.patch(
        f"/announcement-templates/{created.get_json()['id']}", {"sms_text": "DNS: {{eta}}"}
    )
    assert [p["name"] for p in patched.get_json()["placeholders"]] == ["what_to_do", "eta"]

    service = admin_api.post(
        "/services", {"slug": "dns", "name": "DNS hosting", "organizations": [world.orgs["gamma"].id]}
    )
    assert service.status_code == 201 and service.get_json()["organizations"][0]["name"] == "Gamma Oy"
    group = admin_api.post("/contact-groups", {"name": "DNS", "kind": "service", "service": "dns"})
    assert group.status_code == 201
    reach = api.get(f"/contact-groups/{group.get_json()['id']}/recipients").get_json()["items"]
    assert [c["name"] for c in reach] == ["Carl Gamma"]
    manual = admin_api.post(
        "/contact-groups", {"name": "VIP", "kind": "manual", "members": [world.contacts["bob"].id]}
    ).get_json()
    admin_api.patch(f"/contact-groups/{manual['id']}", {"members": [world.contacts["carl"].id]})
    reach = api.get(f"/contact-groups/{manual['id']}/recipients").get_json()["items"]
    assert [c["name"] for c in reach] == ["Carl Gamma"]
    assert admin_api.post("/contact-groups", {"name": "x", "kind": "service"}).status_code == 422
    assert admin_api.delete(f"/contact-groups/{manual['id']}").status_code == 204
    used = world.groups["sms"].id
    admin_api.post(
        "/announcements",
        {"kind": "outage", "groups": [used], "template": "Outage", "values": outage_values()},
    )
    assert admin_api.delete(f"/contact-groups/{used}").status_code == 409


def test_authentication_and_openapi(client: Any, api: Any, world: World) -> None:
    assert client.get("/api/v1/announcements").status_code == 401
    doc = api.get("/openapi.json").get_json()
    assert "/announcements" in doc["paths"] and "/announcements/{announcement_id}/updates" in doc["paths"]
    assert "AnnouncementIn" in doc["components"]["schemas"]
