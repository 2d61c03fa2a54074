"""The agent's phone pages: call log with filters, the caller card, and its forms without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest

CTI = {"Authorization": "Bearer cti-token"}
PIN = "4711"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def signed_in(client: Any, agent: Any) -> Any:
    token = _CSRF.search(client.get("/login").get_data(as_text=True))
    assert token, "no CSRF token on the login page"
    resp = client.post(
        "/login",
        data={"email": agent.email, "password": "correct horse battery", "csrf_token": token.group(1)},
    )
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:300]
    return client


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match
    return match.group(1)


def ring(client: Any, number: str, call_id: str, direction: str = "in") -> int:
    frm, to = (number, "+420222333444") if direction == "in" else ("+420222333444", number)
    resp = client.post(
        "/api/v1/cti/events",
        json={"event": "newCall", "callId": call_id, "from": frm, "to": to, "direction": direction},
        headers=CTI,
    )
    assert resp.status_code == 200
    return resp.get_json()["call"]["id"]


@pytest.fixture
def acme(make_org: Any, make_contact: Any) -> tuple[Any, Any]:
    org = make_org("ACME s.r.o.", client_number="C1001", pin=PIN, default_region="CZ")
    return org, make_contact(org, name="Jana Nováková", phones=["+420 777 123 456"])


def test_pages_need_an_agent(client: Any, acme: Any) -> None:
    call_id = ring(client, "+420777123456", "p-0")
    assert client.get("/phone/calls").status_code in (302, 303)
    assert client.get(f"/phone/calls/{call_id}/card").status_code == 401


def test_call_log_page_and_filters(client: Any, agent: Any, acme: tuple[Any, Any], make_org: Any) -> None:
    org, _ = acme
    ring(client, "+420777123456", "p-1")
    ring(client, "+420608000000", "p-2")
    ring(client, "+420777123456", "p-3", direction="out")
    signed_in(client, agent)
    html = client.get("/phone/calls").get_data(as_text=True)
    assert html.count("data-call-row=") == 3 and "Jana Nováková" in html and "unknown caller" in html
    assert 'href="/phone/calls/' in html
    unknown = client.get("/phone/calls?matched=no").get_data(as_text=True)
    assert unknown.count("data-call-row=") == 1 and "608" in unknown
    outgoing = client.get("/phone/calls?direction=out").get_data(as_text=True)
    assert outgoing.count("data-call-row=") == 1
    by_org = client.get(f"/phone/calls?org={org.id}&direction=in").get_data(as_text=True)
    assert by_org.count("data-call-row=") == 1
    assert client.get("/phone/calls?number=608000").get_data(as_text=True).count("data-call-row=") == 1
    assert client.get("/phone/calls?since=2999-01-01").get_data(as_text=True).count("data-call-row=") == 0
    assert client.get("/phone/calls?since=garbage").status_code == 200  # a warning, not an error page


def test_card_shows_the_caller_and_what_to_ask(client: Any, agent: Any, acme: tuple[Any, Any]) -> None:
    known = ring(client, "+420777123456", "p-4")
    stranger = ring(client, "+420608000000", "p-5")
    signed_in(client, agent)
    card = client.get(f"/phone/calls/{known}/card").get_data(as_text=True)
    assert "Jana Nováková" in card and "ACME s.r.o." in card and "PIN required" in card
    assert 'name="pin"' in card and "Open a ticket" not in card  # nothing is discussed before the PIN
    card = client.get(f"/phone/calls/{stranger}/card").get_data(as_text=True)
    assert "unknown caller: ask for the client number" in card and 'name="client_number"' in card
    assert client.get("/phone/calls/99999/card").status_code == 404


def test_forms_without_javascript(client: Any, agent: Any, acme: tuple[Any, Any], make_ticket: Any) -> None:
    org, jana = acme
    older = make_ticket(jana, subject="Backup question")
    call_id = ring(client, "+420777123456", "p-6")
    signed_in(client, agent)
    page = client.get(f"/phone/calls/{call_id}").get_data(as_text=True)
    token = csrf_of(page)
    wrong = client.post(
        f"/phone/calls/{call_id}/verify", data={"pin": "0000", "csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Not verified" in wrong and "4 attempts left" in wrong
    right = client.post(
        f"/phone/calls/{call_id}/verify", data={"pin": PIN, "csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert (
        "Caller verified" in right and "Backup question" in right and "Open a ticket for the caller" in right
    )
    attached = client.post(
        f"/phone/calls/{call_id}/attach",
        data={"ticket": older.number, "csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"Call attached to ticket #{older.number}" in attached
    resp = client.post(
        f"/phone/calls/{call_id}/ticket",
        data={"subject": "New thing", "text": "Please help", "queue": "support", "csrf_token": token},
    )
    assert resp.status_code in (302, 303) and "/tickets/" in resp.headers["Location"]
    page = client.get(f"/phone/calls/{call_id}").get_data(as_text=True)
    assert "pin.check" in page and "wrong_pin" in page and "ticket.opened" in page
    # the forms are CSRF-protected
    assert client.post(f"/phone/calls/{call_id}/verify", data={"pin": PIN}).status_code == 400
