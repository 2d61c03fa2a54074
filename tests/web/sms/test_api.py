"""The SMS part of the JSON API: attempts listed per ticket exactly as DESIGN.md says, scoping for portal
users, sending and resending, admin approval and pause, the STOP list, stats, alerts and OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from ticketdesk.extensions import db
from ticketdesk.sms import service
from ticketdesk.sms.models import SmsAttempt
from ticketdesk.tickets import service as tickets

START = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
DESIGN_KEYS = {"id", "notification_id", "to", "text", "segments", "status", "gateway_id", "history"}


def _ticket_with_sms(make_contact: Any, make_ticket: Any, agent: Any, phone: str = "+420777123456") -> Any:
    contact = make_contact(phones=[phone])
    ticket = make_ticket(contact)
    tickets.add_agent_message(
        db.session, ticket, agent, kind="reply", text="Please act.", now=START, requires_action=True
    )
    db.session.commit()
    return ticket


def test_list_by_ticket_has_the_design_shape(
    api: Any, make_contact: Any, make_ticket: Any, agent: Any
) -> None:
    ticket = _ticket_with_sms(make_contact, make_ticket, agent)
    _ticket_with_sms(make_contact, make_ticket, agent, phone="+420777999888")
    resp = api.get(f"/sms?ticket={ticket.number}")
    assert resp.status_code == 200
    data = resp.get_json()
    assert set(data) == {"items", "next"} and data["next"] is None
    (item,) = data["items"]
    assert DESIGN_KEYS <= set(item)
    assert item["to"] == "+420777123456" and item["status"] == "queued" and item["segments"] == 1
    assert (
        item["gateway_id"] is None and item["ticket"] == ticket.number and item["kind"] == "requires_action"
    )
    (entry,) = item["history"]
    assert {"status", "at", "detail"} <= set(entry) and entry["status"] == "queued"
    assert api.get("/sms?ticket=999999").status_code == 404
    one = api.get(f"/sms/{item['id']}").get_json()
    assert one["id"] == item["id"] and one["history"] == item["history"]


def test_cursor_pagination(api: Any) -> None:
    for i in range(3):
        service.queue_sms(db.session, to=f"+42077712300{i}", text=f"n{i}", kind="manual", now=START)
    db.session.commit()
    first = api.get("/sms?limit=2").get_json()
    assert [i["text"] for i in first["items"]] == ["n2", "n1"] and first["next"]
    second = api.get(f"/sms?limit=2&cursor={first['next']}").get_json()
    assert [i["text"] for i in second["items"]] == ["n0"] and second["next"] is None
    assert api.get("/sms?status=queued&since=2026-11-03T09:00:00Z").get_json()["items"]
    assert api.get("/sms?since=yesterday").status_code == 422


def test_portal_contact_sees_only_its_organisations_sms(
    client: Any, make_contact: Any, make_ticket: Any, agent: Any, make_agent: Any
) -> None:
    mine = _ticket_with_sms(make_contact, make_ticket, agent)
    theirs = _ticket_with_sms(make_contact, make_ticket, agent, phone="+420777999888")
    on_call = make_agent(on_call=True, phone_e164="+420603111222")
    service.notify_on_call(db.session, text=None, now=START, ticket=mine)
    db.session.commit()
    from ticketdesk.accounts.sessions import new_session_data
    from ticketdesk.ports.clock import utcnow

    with client.session_transaction() as sess:
        sess.update(new_session_data(mine.requester, utcnow()))
    listed = client.get("/api/v1/sms").get_json()["items"]
    assert [i["to"] for i in listed] == ["+420777123456"], "neither other organisations nor the on-call agent"
    assert client.get(f"/api/v1/sms?ticket={theirs.number}").status_code == 404
    other_id = db.session.scalar(db.select(SmsAttempt.id).where(SmsAttempt.to_e164 == "+420777999888"))
    assert client.get(f"/api/v1/sms/{other_id}").status_code == 404
    assert client.post("/api/v1/sms", json={"to": "+420777123456", "text": "x"}).status_code in (400, 403)
    assert on_call.id


def test_requires_authentication(client: Any) -> None:
    assert client.get("/api/v1/sms").status_code == 401


def test_send_and_resend(api: Any, app: Any) -> None:
    resp = api.post("/sms", {"to": "777 123 456", "text": "Hello from support"})
    assert resp.status_code == 201
    sent = resp.get_json()
    assert sent["to"] == "+420777123456" and sent["kind"] == "manual"
    assert api.post("/sms", {"to": "12", "text": "x"}).get_json()["error"]["code"] == "invalid_number"
    assert api.post("/sms", {"text": "x"}).status_code == 422
    assert api.post(f"/sms/{sent['id']}/resend", {}).status_code == 409
    db.session.execute(update(SmsAttempt).where(SmsAttempt.id == sent["id"]).values(status="failed"))
    db.session.commit()
    again = api.post(f"/sms/{sent['id']}/resend", {"text": "Second try"})
    assert again.status_code == 201
    body = again.get_json()
    assert body["resend_of_id"] == sent["id"] and body["notification_id"] == sent["notification_id"]
    assert body["text"] == "Second try"


def test_admin_actions_need_an_admin(api: Any, admin_api: Any) -> None:
    held = service.queue_sms(
        db.session, to="+420777123456", text="see http://evil.example/x", kind="manual", now=START
    ).attempts[-1]
    db.session.commit()
    assert held.status == "awaiting_approval"
    assert api.post(f"/sms/{held.id}/approve").status_code == 403
    resp = admin_api.post(f"/sms/{held.id}/approve")
    assert resp.status_code == 200 and resp.get_json()["status"] == "queued"
    assert admin_api.post(f"/sms/{held.id}/approve").status_code == 409
    assert api.post(f"/sms/{held.id}/cancel").get_json()["status"] == "stopped"
    paused = admin_api.post("/sms/pause", {}).get_json()
    assert paused == {"paused": True, "organization_id": None, "held": 0}
    created = api.post("/sms", {"to": "+420777123457", "text": "while paused"}).get_json()
    assert created["status"] == "paused" and created["allowed_actions"] == ["cancel", "resume"]
    assert admin_api.post("/sms/resume", {}).get_json()["released"] == 1
    assert api.post("/sms/pause", {}).status_code == 403


def test_bulk_resend_endpoint(admin_api: Any, api: Any) -> None:
    sent = api.post("/sms", {"to": "+420777123456", "text": "x"}).get_json()
    db.session.execute(update(SmsAttempt).where(SmsAttempt.id == sent["id"]).values(status="unknown"))
    db.session.commit()
    now = datetime.now(UTC)
    window = {
        "since": (now - timedelta(hours=1)).isoformat(),
        "until": (now + timedelta(hours=1)).isoformat(),
    }
    assert api.post("/sms/resend", window).status_code == 403
    dry = admin_api.post("/sms/resend", {**window, "dry_run": True}).get_json()
    assert dry["would_resend"] == [sent["id"]] and dry["resent"] == []
    done = admin_api.post("/sms/resend", {**window, "text": "Updated text"}).get_json()
    assert [r["resend_of_id"] for r in done["resent"]] == [sent["id"]]
    assert (
        admin_api.post(
            "/sms/resend", {"since": "2026-11-03T10:00:00", "until": "2026-11-04T10:00:00"}
        ).status_code
        == 422
    )


def test_stop_list_stats_alerts_and_openapi(api: Any, admin_api: Any) -> None:
    added = admin_api.post("/sms/stop-list", {"number": "777 123 456"})
    assert added.status_code == 201 and added.get_json()["number"] == "+420777123456"
    assert [i["number"] for i in api.get("/sms/stop-list").get_json()["items"]] == ["+420777123456"]
    assert api.post("/sms", {"to": "+420777123456", "text": "x"}).get_json()["status"] == "stopped"
    assert admin_api.delete("/sms/stop-list/+420777123456").status_code == 204
    assert admin_api.delete("/sms/stop-list/+420777123456").status_code == 404
    stats = api.get("/sms/stats?group=country&bucket=hour&days=2").get_json()
    assert stats["group"] == "country" and isinstance(stats["items"], list)
    assert api.get("/sms/stats?group=planet").status_code == 422
    assert api.get("/sms/alerts").get_json() == {"alerts": [], "awaiting_approval": 0, "paused": 0}
    paths = api.get("/openapi.json").get_json()["paths"]
    assert {"/sms", "/sms/status", "/sms/inbound", "/sms/{attempt_id}/resend", "/sms/resend"} <= set(paths)
