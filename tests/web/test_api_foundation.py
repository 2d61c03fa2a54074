"""The JSON API foundation: authentication, error format, pagination, organisations, contacts, tickets."""

from __future__ import annotations

from typing import Any

from tests.fixtures.factories import ApiClient


def _error(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_healthz_and_openapi_need_no_token(client: Any) -> None:
    assert client.get("/healthz").get_json()["status"] == "ok"
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/tickets" in doc["paths"] and "post" in doc["paths"]["/tickets"]
    assert "/tickets/{number}/status" in doc["paths"]
    assert "TicketIn" in doc["components"]["schemas"]


def test_authentication_required(client: Any) -> None:
    _error(client.get("/api/v1/tickets"), 401, "unauthorized")
    _error(client.get("/api/v1/tickets", headers={"Authorization": "Bearer nope"}), 401, "invalid_token")
    _error(client.get("/api/v1/tickets", headers={"Authorization": "Basic abc"}), 401)


def test_revoked_or_inactive_agent_token_is_refused(client: Any, make_agent: Any, make_token: Any) -> None:
    from ticketdesk.extensions import db

    agent = make_agent()
    token = make_token(agent)
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    agent.active = False
    db.session.commit()
    _error(client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}), 401)


def test_tokens_are_stored_hashed(api: ApiClient) -> None:
    from sqlalchemy import select

    from ticketdesk.accounts.models import ApiToken
    from ticketdesk.extensions import db

    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert api.token not in stored and all(len(h) == 64 for h in stored)


def test_organizations_and_contacts_crud(api: ApiClient) -> None:
    resp = api.post(
        "/organizations",
        {"name": "ACME s.r.o.", "client_number": "C777", "pin": "1234", "services": ["dedicated-servers"]},
    )
    assert resp.status_code == 201
    org = resp.get_json()
    assert (
        org["name"] == "ACME s.r.o." and org["pin_set"] is True and org["services"] == ["dedicated-servers"]
    )
    assert "pin" not in org and "pin_hash" not in org

    resp = api.post(
        f"/organizations/{org['id']}/contacts",
        {
            "name": "Jana",
            "emails": ["Jana@ACME.example", "jana2@acme.example"],
            "phones": ["601 123 456"],
        },
    )
    assert resp.status_code == 201
    contact = resp.get_json()
    assert contact["emails"] == ["jana@acme.example", "jana2@acme.example"]
    assert (
        contact["phones"] == ["+420601123456"] and contact["technical"] is True and contact["active"] is True
    )

    assert api.get(f"/contacts/{contact['id']}").get_json()["name"] == "Jana"
    resp = api.patch(f"/contacts/{contact['id']}", {"phones": ["+420 777 000 111"], "name": "Jana D."})
    assert resp.get_json()["phones"] == ["+420777000111"]
    assert api.delete(f"/contacts/{contact['id']}").get_json()["active"] is False
    listed = api.get(f"/organizations/{org['id']}/contacts").get_json()
    assert [c["id"] for c in listed["items"]] == [contact["id"]] and listed["next"] is None

    assert api.patch(f"/organizations/{org['id']}", {"pin": None}).get_json()["pin_set"] is False


def test_contact_validation(api: ApiClient, make_org: Any) -> None:
    org = make_org()
    _error(api.post(f"/organizations/{org.id}/contacts", {"name": "X", "emails": ["not-an-address"]}), 422)
    _error(
        api.post(
            f"/organizations/{org.id}/contacts", {"name": "X", "emails": ["x@a.test"], "phones": ["12"]}
        ),
        422,
    )
    api.post(f"/organizations/{org.id}/contacts", {"name": "X", "emails": ["x@a.test"]})
    _error(
        api.post(f"/organizations/{org.id}/contacts", {"name": "Y", "emails": ["X@A.test"]}),
        409,
        "email_taken",
    )
    _error(api.post("/organizations", {"name": "Dup", "client_number": org.client_number}), 409)


def test_bad_input_is_400_or_422_and_writes_nothing(api: ApiClient, make_org: Any) -> None:
    from sqlalchemy import func, select

    from ticketdesk.contacts.models import Organization
    from ticketdesk.extensions import db

    before = db.session.scalar(select(func.count()).select_from(Organization))
    _error(api.post("/organizations", raw=b'{"name": "broken'), 400, "malformed_json")
    _error(api.post("/organizations", raw=b"[1, 2]"), 422)
    _error(api.post("/organizations", {"name": 42, "services": "x"}), 422, "validation_failed")
    _error(api.post("/organizations", {"name": "Ok", "unknown_field": 1}), 422)
    _error(api.post("/organizations", {"name": "Pin", "pin": "12ab"}), 422)
    assert db.session.scalar(select(func.count()).select_from(Organization)) == before


def test_not_found_is_404(api: ApiClient) -> None:
    _error(api.get("/tickets/999999"), 404, "not_found")
    _error(api.get("/organizations/424242"), 404)
    _error(api.get("/contacts/424242"), 404)
    _error(api.get("/no-such-endpoint"), 404)


def test_ticket_create_detail_and_history(api: ApiClient, make_contact: Any) -> None:
    contact = make_contact(email="jana@acme.test")
    resp = api.post(
        "/tickets",
        {
            "requester_email": "JANA@acme.test",
            "subject": "Certificate renewal",
            "text": "Our certificate expires next week.",
            "cc": ["boss@acme.test"],
        },
    )
    assert resp.status_code == 201, resp.get_json()
    ticket = resp.get_json()
    assert ticket["status"] == "queued" and ticket["queue"] == "support"
    assert ticket["requester"] == {"id": contact.id, "name": contact.name, "email": "jana@acme.test"}
    assert ticket["organization"]["id"] == contact.organization_id and ticket["cc"] == ["boss@acme.test"]
    assert ticket["priority"] in {"urgent", "high", "normal", "low"} and ticket["priority_source"] == "auto"
    assert ticket["sla"]["first_response_due"] and ticket["sla"]["resolution_due"]
    assert [m["direction"] for m in ticket["messages"]] == ["in"]
    assert ticket["events"][0]["kind"] == "ticket.created"
    detail = api.get(f"/tickets/{ticket['number']}").get_json()
    assert detail["number"] == ticket["number"] and "allowed_statuses" in detail


def test_ticket_create_validation(api: ApiClient, make_contact: Any) -> None:
    inactive = make_contact(active=False)
    _error(api.post("/tickets", {"subject": "x", "text": "y"}), 422)
    _error(
        api.post("/tickets", {"requester_email": "nobody@x.test", "subject": "x", "text": "y"}),
        422,
        "unknown_contact",
    )
    _error(
        api.post("/tickets", {"requester_id": inactive.id, "subject": "x", "text": "y"}),
        422,
        "not_technical_contact",
    )
    _error(api.post("/tickets", {"requester_id": inactive.id, "subject": "", "text": "y"}), 422)
    contact = make_contact()
    _error(
        api.post("/tickets", {"requester_id": contact.id, "subject": "x", "text": "y", "queue": "nope"}),
        422,
        "unknown_queue",
    )


def test_status_changes_and_errors(api: ApiClient, make_ticket: Any) -> None:
    number = make_ticket().number
    resp = api.post(f"/tickets/{number}/status", {"status": "in_progress"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "in_progress"
    _error(api.post(f"/tickets/{number}/status", {"status": "done"}), 422, "unknown_status")
    _error(api.post(f"/tickets/{number}/status", {"status": "scheduled"}), 422)
    _error(
        api.post(
            f"/tickets/{number}/status", {"status": "scheduled", "scheduled_for": "2020-01-01T00:00:00Z"}
        ),
        422,
    )
    assert api.post(f"/tickets/{number}/status", {"status": "resolved"}).status_code == 200
    assert api.post(f"/tickets/{number}/status", {"status": "closed"}).status_code == 200
    err = _error(api.post(f"/tickets/{number}/status", {"status": "queued"}), 409, "transition_not_allowed")
    assert "closed" in err["message"]
    events = api.get(f"/tickets/{number}").get_json()["events"]
    kinds = [e["kind"] for e in events]
    assert kinds[-3:] == ["status.started", "status.resolved", "status.closed"]
    assert events[-1]["before"] == {"status": "resolved"} and events[-1]["after"] == {"status": "closed"}
    assert events[-1]["actor"]["type"] == "agent"


def test_internal_note_is_recorded(api: ApiClient, make_ticket: Any) -> None:
    number = make_ticket().number
    resp = api.post(
        f"/tickets/{number}/messages", {"kind": "note", "text": "Customer called, waiting on DC."}
    )
    assert resp.status_code == 201 and resp.get_json()["direction"] == "note"
    resp = api.post(f"/tickets/{number}/notes", {"text": "Second note"})
    assert resp.status_code == 201
    detail = api.get(f"/tickets/{number}").get_json()
    assert [m["direction"] for m in detail["messages"]] == ["in", "note", "note"]
    _error(api.post(f"/tickets/{number}/messages", {"kind": "shout", "text": "x"}), 422)
    _error(api.post(f"/tickets/{number}/messages", {"kind": "note", "text": ""}), 422)


def test_list_filters_and_cursor_pagination(api: ApiClient, make_ticket: Any, make_contact: Any) -> None:
    a, b = make_contact(), make_contact()
    numbers = [make_ticket(a).number for _ in range(5)] + [make_ticket(b, queue="datacenter").number]
    api.post(f"/tickets/{numbers[0]}/status", {"status": "in_progress"})
    seen, cursor = [], None
    while True:
        page = api.get("/tickets?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [t["number"] for t in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert seen == sorted(numbers, reverse=True)
    by_org = api.get(f"/tickets?organization={b.organization_id}").get_json()["items"]
    assert [t["number"] for t in by_org] == [numbers[-1]]
    assert [t["number"] for t in api.get("/tickets?queue=datacenter").get_json()["items"]] == [numbers[-1]]
    assert [t["number"] for t in api.get("/tickets?status=in_progress").get_json()["items"]] == [numbers[0]]
    assert len(api.get("/tickets?status=queued,in_progress").get_json()["items"]) == 6
    _error(api.get("/tickets?status=bogus"), 422)
    _error(api.get("/tickets?priority=whenever"), 422)
    _error(api.get("/tickets?cursor=%%%"), 422, "bad_cursor")
    _error(api.get("/tickets?limit=0"), 422)
