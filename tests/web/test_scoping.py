"""A contact signed in to the portal sees only their own organisation (404 for anything else)."""

from __future__ import annotations

from typing import Any


def _as_contact(client: Any, contact: Any) -> None:
    from ticketdesk.accounts.sessions import new_session_data
    from ticketdesk.ports.clock import utcnow

    with client.session_transaction() as session:
        session.update(new_session_data(contact, utcnow()))


def test_contact_reads_only_their_organisation(client: Any, make_contact: Any, make_ticket: Any) -> None:
    mine, other = make_contact(), make_contact()
    colleague = make_contact(mine.organization)
    my_ticket, their_ticket = make_ticket(mine), make_ticket(other)
    _as_contact(client, mine)

    orgs = client.get("/api/v1/organizations").get_json()["items"]
    assert [o["id"] for o in orgs] == [mine.organization_id]
    assert client.get(f"/api/v1/organizations/{other.organization_id}").status_code == 404
    assert client.get(f"/api/v1/organizations/{other.organization_id}/contacts").status_code == 404
    assert client.get(f"/api/v1/contacts/{other.id}").status_code == 404
    assert client.get(f"/api/v1/contacts/{colleague.id}").status_code == 200

    tickets = client.get("/api/v1/tickets").get_json()["items"]
    assert [t["number"] for t in tickets] == [my_ticket.number]
    assert client.get(f"/api/v1/tickets?organization={other.organization_id}").get_json()["items"] == []
    assert client.get(f"/api/v1/tickets/{their_ticket.number}").status_code == 404
    assert client.get(f"/api/v1/tickets/{my_ticket.number}").status_code == 200


def test_contact_cannot_change_another_organisation(client: Any, make_contact: Any, make_ticket: Any) -> None:
    mine, other = make_contact(is_admin=True), make_contact()
    their_ticket = make_ticket(other)
    _as_contact(client, mine)
    token = _csrf(client)
    headers = {"X-CSRFToken": token}
    assert (
        client.patch(f"/api/v1/contacts/{other.id}", json={"name": "pwned"}, headers=headers).status_code
        == 404
    )
    assert client.delete(f"/api/v1/contacts/{other.id}", headers=headers).status_code == 404
    resp = client.post(
        f"/api/v1/tickets/{their_ticket.number}/messages", json={"text": "hi"}, headers=headers
    )
    assert resp.status_code == 404
    assert (
        client.post(
            f"/api/v1/organizations/{other.organization_id}/contacts",
            json={"name": "x", "emails": ["x@evil.test"]},
            headers=headers,
        ).status_code
        == 404
    )


def test_session_writes_need_csrf(client: Any, make_contact: Any, make_ticket: Any) -> None:
    mine = make_contact()
    ticket = make_ticket(mine)
    _as_contact(client, mine)
    resp = client.post(f"/api/v1/tickets/{ticket.number}/messages", json={"text": "hi"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "csrf_failed"


def _csrf(client: Any) -> str:
    return client.get("/api/v1/me").get_json()["csrf_token"]
