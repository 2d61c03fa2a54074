"""The incoming-call popup in a real browser: the caller shown, a wrong PIN refused, the right one verifies,
a ticket opened for the caller (channel phone)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.web.phone.live import live_server

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def new_call(url: str, call_id: str, number: str) -> dict[str, Any]:
    resp = requests.post(
        f"{url}/api/v1/cti/events",
        headers={"Authorization": "Bearer cti-token"},
        timeout=10,
        json={
            "event": "newCall",
            "callId": call_id,
            "from": number,
            "to": "+420222333444",
            "direction": "in",
            "user": "Petra",
        },
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["call"]


def test_popup_pin_check_and_ticket(
    app: Any, browser: Any, agent: Any, make_org: Any, make_contact: Any, make_ticket: Any
) -> None:
    from sqlalchemy import select

    from ticketdesk.extensions import db
    from ticketdesk.phone.models import PinAttempt
    from ticketdesk.tickets.models import Ticket

    org = make_org("ACME s.r.o.", client_number="C1001", pin="4711", default_region="CZ")
    jana = make_contact(org, name="Jana Nováková", phones=["+420 777 123 456"])
    older = make_ticket(jana, subject="Backup failed last night")
    email, jana_id, older_subject = agent.email, jana.id, older.subject
    db.session.rollback()  # SQLite: hold no transaction (a write lock) while the server thread writes
    with live_server(app) as url:
        page = browser.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{url}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(lambda u: "/login" not in u)
        page.goto(f"{url}/phone/calls")
        page.wait_for_selector("#phone-popup[data-live='1']", state="attached")

        # an unknown number first
        new_call(url, "b-0", "+420 608 000 000")
        page.wait_for_selector("#phone-popup:not([hidden]) .phone-status-unknown")
        assert page.inner_text("#phone-popup .phone-status") == "unknown caller: ask for the client number"

        # the customer's number: recognised, but the PIN comes first
        new_call(url, "b-1", "00420777123456")
        page.wait_for_selector("#phone-popup .phone-status-pin_required")
        assert "Jana Nováková" in page.inner_text("#phone-popup .phone-contact")
        assert "ACME s.r.o." in page.inner_text("#phone-popup .phone-organization")
        assert page.inner_text("#phone-popup .phone-status") == "PIN required"
        assert page.locator("#phone-popup .phone-ticket").count() == 0

        page.fill("#phone-popup input[name=pin]", "1234")
        page.click("#phone-popup .phone-verify button[type=submit]")
        page.wait_for_selector("#phone-popup .phone-result.bad")
        assert "4 attempts left" in page.inner_text("#phone-popup .phone-result")
        assert page.locator("#phone-popup .phone-status-pin_required").count() == 1

        page.fill("#phone-popup input[name=pin]", "4711")
        page.click("#phone-popup .phone-verify button[type=submit]")
        page.wait_for_selector("#phone-popup .phone-status-verified")
        assert page.inner_text("#phone-popup .phone-status") == "caller verified by PIN"
        assert older_subject in page.inner_text("#phone-popup .phone-tickets")

        page.click("#phone-popup .phone-new summary")
        page.fill("#phone-popup .phone-ticket input[name=subject]", "Mail server rejects our messages")
        page.fill("#phone-popup .phone-ticket textarea[name=text]", "Since 9:00, every message bounces.")
        page.click("#phone-popup .phone-ticket button[type=submit]")
        page.wait_for_url("**/tickets/*")
        number = int(page.url.rstrip("/").rsplit("/", 1)[1])
        page.close()

    db.session.expire_all()
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket is not None and ticket.channel == "phone" and ticket.requester_id == jana_id
    outcomes = db.session.scalars(select(PinAttempt.outcome).order_by(PinAttempt.id)).all()
    assert outcomes == ["wrong_pin", "ok"]
