"""The confirmation link: valid (new ticket, reply into its ticket), expired, reused, forged, and another
contact's link. GET only shows the message; the Confirm button POSTs with CSRF."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine
from flask import Flask
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from tests.integration.senderauth.support import (
    STRANGER_IP,
    Zone,
    compose,
    confirm_path,
    fresh,
    hold_of,
    outbound,
    signed,
)
from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage
from ticketdesk.intake.service import receive
from ticketdesk.intake.store import Envelope
from ticketdesk.ports.clock import utcnow
from ticketdesk.tickets.models import Message, Ticket


def _smtp(app: Flask, raw: bytes, *, frm: str = "bounces@acme.test") -> RawMessage:
    """The intake entry the SMTP server uses, with the connecting IP of a host nobody authorised."""
    outcome = receive(
        app,
        raw,
        Envelope(
            source="smtp",
            mail_from=frm,
            rcpt_to=("support@support.test",),
            peer_ip=STRANGER_IP,
            helo="relay.elsewhere.test",
        ),
    )
    row = db.session.get(RawMessage, outcome.raw_id)
    assert row is not None
    return row


def _link_for(address: str) -> str:
    [mail] = [m for m in outbound("confirm_sender") if m.to_addrs == [address]]
    return confirm_path(mail)


def _csrf(page: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found
    return found.group(1)


def _confirm(client: Any, path: str) -> Any:
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": _csrf(page)})


def test_valid_link_shows_the_message_and_confirm_opens_the_ticket(
    app: Flask, zone: Zone, jana: Any, client: Any, api: Any
) -> None:
    raw = _smtp(app, compose(subject="Mail server down", body="Nothing gets delivered since 9:00.\r\n"))
    path = _link_for("jana@acme.test")
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Mail server down" in html and "Nothing gets delivered" in html
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert hold_of(raw).status == "pending" and fresh(raw).disposition == "held"  # GET confirms nothing

    assert client.post(path, data={}).status_code == 400  # no CSRF token: refused
    assert hold_of(raw).status == "pending"

    done = client.post(path, data={"csrf_token": _csrf(page)})
    assert done.status_code == 200 and "confirmed" in done.get_data(as_text=True)
    raw = fresh(raw)
    assert raw.disposition == "ticket" and raw.ticket_id
    assert hold_of(raw).status == "confirmed"
    number = db.session.get(Ticket, raw.ticket_id).number
    assert f"#{number}" in done.get_data(as_text=True)
    detail = api.get(f"/tickets/{number}").get_json()
    assert detail["messages"][0]["auth"]["verdict"] == "authenticated"
    assert detail["messages"][0]["auth"]["spf"] == "none"  # the checks stay on record
    [event] = [e for e in detail["events"] if e["kind"] == "sender.confirmed"]
    assert event["detail"] == "confirmed by the sender" and event["actor"]["type"] == "client"
    assert [m.to_addrs for m in outbound("ack")] == [["jana@acme.test"]]


def test_confirmed_reply_goes_into_its_ticket(
    app: Flask, zone: Zone, jana: Any, client: Any, api: Any
) -> None:
    zone.dkim()
    first = _smtp(app, signed(compose(subject="Backup failed", message_id="<b1@acme.test>")))
    assert first.disposition == "ticket"
    number = db.session.get(Ticket, first.ticket_id).number
    reply = _smtp(
        app,
        compose(
            subject=f"Re: [TD#{number}] Backup failed",
            body="It failed again tonight.\r\n",
            headers=[("In-Reply-To", "<b1@acme.test>")],
        ),
    )
    assert reply.disposition == "held"
    page = client.get(_link_for("jana@acme.test"))
    assert f"#{number}" in page.get_data(as_text=True)
    assert _confirm(client, _link_for("jana@acme.test")).status_code == 200
    reply = fresh(reply)
    assert reply.disposition == "reply" and reply.ticket_id == first.ticket_id
    texts = db.session.scalars(select(Message.text).where(Message.ticket_id == first.ticket_id)).all()
    assert any("failed again tonight" in t for t in texts)
    events = api.get(f"/tickets/{number}").get_json()["events"]
    assert [e["detail"] for e in events if e["kind"] == "sender.confirmed"] == ["confirmed by the sender"]


def test_reused_link_is_refused(app: Flask, zone: Zone, jana: Any, client: Any) -> None:
    raw = _smtp(app, compose())
    path = _link_for("jana@acme.test")
    page = client.get(path)
    assert client.post(path, data={"csrf_token": _csrf(page)}).status_code == 200
    again = client.post(path, data={"csrf_token": _csrf(page)})
    assert again.status_code == 409 and "only once" in again.get_data(as_text=True)
    assert client.get(path).status_code == 409
    assert db.session.scalar(select(Ticket.id).where(Ticket.id == fresh(raw).ticket_id)) is not None
    assert len(db.session.scalars(select(Ticket)).all()) == 1


def test_expired_link_is_refused_and_releases_nothing(
    app: Flask, zone: Zone, jana: Any, make_contact: Any, client: Any
) -> None:
    raw = _smtp(app, compose())
    path = _link_for("jana@acme.test")
    assert client.get(path).status_code == 200
    make_contact(jana.organization, email="mikko@acme.test")
    with time_machine.travel(utcnow() + timedelta(hours=72, minutes=1), tick=True):
        page = client.get(path)
        assert page.status_code == 409 and "expired" in page.get_data(as_text=True)
        _smtp(app, compose(frm="mikko@acme.test"))  # a fresh page of a valid link, for a valid CSRF token
        token = _csrf(client.get(_link_for("mikko@acme.test")))
        assert client.post(path, data={"csrf_token": token}).status_code == 409
    assert fresh(raw).disposition == "held" and db.session.scalars(select(Ticket)).all() == []


def test_forged_links_are_refused(app: Flask, zone: Zone, jana: Any, client: Any) -> None:
    raw = _smtp(app, compose())
    path = _link_for("jana@acme.test")
    token = path.rsplit("/", 1)[1]
    hold = hold_of(raw)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other_key = URLSafeSerializer("another-secret", salt="sender-confirmation").dumps(
        {"h": hold.id, "n": hold.nonce}
    )
    ours = app.extensions["ticketdesk.settings"].secret_key
    wrong_nonce = URLSafeSerializer(ours, salt="sender-confirmation").dumps({"h": hold.id, "n": "guessed"})
    wrong_salt = URLSafeSerializer(ours, salt="portal-login").dumps({"h": hold.id, "n": hold.nonce})
    for forged in (tampered, other_key, wrong_nonce, wrong_salt, "x", "a" * 300):
        assert client.get(f"/confirm/{forged}").status_code == 404, forged
        assert (
            client.post(f"/confirm/{forged}", data={"csrf_token": _csrf(client.get(path))}).status_code == 404
        )
    assert hold_of(raw).status == "pending" and fresh(raw).disposition == "held"


def test_a_link_releases_only_its_own_hold(
    app: Flask, zone: Zone, jana: Any, make_contact: Any, client: Any
) -> None:
    mikko = make_contact(jana.organization, email="mikko@acme.test", name="Mikko")
    janas = _smtp(app, compose(subject="Jana's request"))
    mikkos = _smtp(app, compose(frm="Mikko <mikko@acme.test>", subject="Mikko's request"))
    jana_link, mikko_link = _link_for("jana@acme.test"), _link_for("mikko@acme.test")
    assert jana_link != mikko_link
    assert "Mikko's request" not in client.get(jana_link).get_data(as_text=True)

    assert _confirm(client, jana_link).status_code == 200
    assert fresh(janas).disposition == "ticket" and fresh(mikkos).disposition == "held"
    assert hold_of(mikkos).status == "pending"
    # Jana's valid token with Mikko's hold id: the nonce belongs to Jana's hold, so it is no link at all
    ours = app.extensions["ticketdesk.settings"].secret_key
    crossed = URLSafeSerializer(ours, salt="sender-confirmation").dumps(
        {"h": hold_of(mikkos).id, "n": hold_of(janas).nonce}
    )
    assert client.get(f"/confirm/{crossed}").status_code == 404
    assert fresh(mikkos).disposition == "held"
    ticket = db.session.get(Ticket, fresh(janas).ticket_id)
    assert ticket.requester_id == jana.id and mikko.id != jana.id
