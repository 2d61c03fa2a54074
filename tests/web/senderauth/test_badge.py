"""The agents' badge (``templates/senderauth/badge.html``) and the ``auth`` field of the API."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template_string

from tests.integration.senderauth.support import STRANGER_IP, Zone, compose, signed
from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage
from ticketdesk.intake.service import receive
from ticketdesk.intake.store import Envelope

INCLUDE = '{% with auth=a %}{% include "senderauth/badge.html" %}{% endwith %}'


def _badge(app: Flask, auth: Any) -> str:
    with app.test_request_context("/"):
        return render_template_string(INCLUDE, a=auth)


def _real_auth(app: Flask, zone: Zone, raw: bytes) -> dict[str, Any]:
    outcome = receive(
        app,
        raw,
        Envelope(
            source="smtp",
            mail_from="bounces@acme.test",
            rcpt_to=("support@support.test",),
            peer_ip=STRANGER_IP,
            helo="x.test",
        ),
    )
    row = db.session.get(RawMessage, outcome.raw_id)
    assert row is not None and row.auth
    return dict(row.auth)


def test_badge_for_verified_held_confirmed_and_discarded(app: Flask, zone: Zone, jana: Any) -> None:
    zone.dkim()
    verified = _badge(app, _real_auth(app, zone, signed(compose())))
    assert "auth-authenticated" in verified and "Sender verified (DKIM)" in verified
    assert (
        "dkim=pass header.d=acme.test header.s=sel header.a=rsa-sha256" in verified and "aligned" in verified
    )

    held_auth = _real_auth(app, zone, compose())
    held = _badge(app, held_auth)
    assert "auth-held" in held and "awaiting" in held and "spf=none" in held and 'data-verdict="held"' in held

    confirmed = _badge(app, {**held_auth, "verdict": "authenticated", "confirmed": True})
    assert "Confirmed by the sender" in confirmed
    assert "discarded" in _badge(app, {**held_auth, "verdict": "rejected"})
    assert "Accepted by policy" in _badge(
        app, {"dkim": "none", "spf": "none", "dmarc": "none", "verdict": "authenticated", "details": []}
    )
    assert _badge(app, None).strip() == ""


def test_badge_escapes_what_the_message_controls(app: Flask) -> None:
    hostile = {
        "dkim": "fail",
        "spf": "none",
        "dmarc": "none",
        "verdict": "held",
        "reason": "<b>x</b>",
        "details": [
            {
                "method": "dkim",
                "result": "fail",
                "domain": "<script>alert(1)</script>",
                "selector": '"><img src=x onerror=alert(1)>',
                "reason": "<i>bad</i>",
                "aligned": False,
            }
        ],
    }
    html = _badge(app, hostile)
    assert "<script>" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html


def test_api_message_carries_the_results(app: Flask, zone: Zone, jana: Any, api: Any) -> None:
    zone.spf("v=spf1 ip4:127.0.0.2 -all")
    outcome = receive(
        app,
        compose(),
        Envelope(
            source="smtp",
            mail_from="bounces@acme.test",
            rcpt_to=("support@support.test",),
            peer_ip="127.0.0.2",
            helo="mail.acme.test",
        ),
    )
    assert outcome.disposition == "ticket" and outcome.ticket_number
    auth = api.get(f"/tickets/{outcome.ticket_number}").get_json()["messages"][0]["auth"]
    assert {k: auth[k] for k in ("dkim", "spf", "dmarc", "verdict")} == {
        "dkim": "none",
        "spf": "pass",
        "dmarc": "none",
        "verdict": "authenticated",
    }
    assert any(d["method"] == "spf" and d["aligned"] for d in auth["details"])
