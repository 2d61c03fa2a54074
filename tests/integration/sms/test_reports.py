"""Delivery reports through the signed webhook: stored append-only, duplicates once, out-of-order never
backwards, bad signatures change nothing, reports for ids we do not know yet are matched later,
Twilio's signed callbacks, and the report deadline with a late report that still settles."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import time_machine

from tests.integration.sms.helpers import count, fresh, history, pending_jobs, submitted
from ticketdesk.extensions import db
from ticketdesk.jobs.runner import run_once
from ticketdesk.sms import service
from ticketdesk.sms.models import SmsAttempt, SmsReport

START = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def _post(client: Any, gateway: Any, attempt: SmsAttempt, status: str, **kw: Any) -> Any:
    body, headers = gateway.build_report(attempt.gateway_id, status, **kw)
    return client.post("/api/v1/sms/status", data=body, headers=headers)


def test_delivered_report_settles_the_sms(app: Any, client: Any, gateway: Any) -> None:
    (attempt,) = submitted(app, now=START)
    at = datetime(2026, 11, 3, 10, 0, 7, tzinfo=UTC)
    resp = _post(client, gateway, attempt, "delivered", at=at)
    assert resp.status_code == 200 and resp.get_json()["status"] == "delivered"
    got = fresh(attempt.id)
    assert got.status == "delivered" and got.final_at == at
    assert history(attempt.id)[-1] == ("delivered", True, "gateway")


def test_bad_or_missing_signature_is_403_and_changes_nothing(app: Any, client: Any, gateway: Any) -> None:
    (attempt,) = submitted(app, now=START)
    before = count(SmsReport)
    body, headers = gateway.build_report(attempt.gateway_id, "delivered")
    bad = client.post(
        "/api/v1/sms/status", data=body, headers={**headers, "X-Ticketdesk-Signature": "0" * 64}
    )
    assert bad.status_code == 403 and bad.get_json()["error"]["code"] == "bad_signature"
    missing = client.post("/api/v1/sms/status", data=body, headers={"Content-Type": "application/json"})
    assert missing.status_code == 403
    tampered = client.post("/api/v1/sms/status", data=body.replace(b"delivered", b"failed"), headers=headers)
    assert tampered.status_code == 403
    assert fresh(attempt.id).status == "submitted" and count(SmsReport) == before


def test_same_report_twice_is_recorded_once(app: Any, client: Any, gateway: Any) -> None:
    (attempt,) = submitted(app, now=START)
    at = START + timedelta(seconds=5)
    first = _post(client, gateway, attempt, "failed", error="absent subscriber", at=at)
    second = _post(client, gateway, attempt, "failed", error="absent subscriber", at=at)
    assert first.get_json()["applied"] is True
    assert second.status_code == 200 and second.get_json()["duplicate"] is True
    assert [h for h in history(attempt.id) if h[2] == "gateway"] == [("failed", True, "gateway")]
    assert fresh(attempt.id).error == "absent subscriber"


def test_out_of_order_reports_never_move_backwards(app: Any, client: Any, gateway: Any) -> None:
    (attempt,) = submitted(app, now=START)
    _post(client, gateway, attempt, "delivered", at=START + timedelta(seconds=20))
    late = _post(client, gateway, attempt, "submitted", at=START + timedelta(seconds=2))
    cover = _post(client, gateway, attempt, "no_coverage", at=START + timedelta(seconds=10))
    assert late.get_json()["applied"] is False and cover.get_json()["applied"] is False
    assert fresh(attempt.id).status == "delivered"
    assert [h for h in history(attempt.id) if h[2] == "gateway"] == [
        ("delivered", True, "gateway"),
        ("submitted", False, "gateway"),
        ("no_coverage", False, "gateway"),
    ]


def test_delivered_outranks_an_earlier_failure_but_not_a_later_one(
    app: Any, client: Any, gateway: Any
) -> None:
    first, second = submitted(app, 2, now=START)
    _post(client, gateway, first, "failed", error="temporary")
    _post(client, gateway, first, "delivered")
    assert fresh(first.id).status == "delivered"
    _post(client, gateway, second, "delivered")
    _post(client, gateway, second, "failed", error="late noise")
    assert fresh(second.id).status == "delivered"


def test_no_coverage_then_expired(app: Any, client: Any, gateway: Any) -> None:
    (attempt,) = submitted(app, now=START)
    at = START + timedelta(minutes=1)
    _post(client, gateway, attempt, "no_coverage", at=at)
    got = fresh(attempt.id)
    assert got.status == "no_coverage" and got.report_deadline == at + timedelta(days=7)
    _post(client, gateway, attempt, "expired", error="validity period over")
    got = fresh(attempt.id)
    assert got.status == "failed" and "expired" in (got.error or "")
    last = db.session.scalars(
        db.select(SmsReport).where(SmsReport.attempt_id == attempt.id).order_by(SmsReport.id.desc())
    ).first()
    assert last.gateway_status == "expired" and last.status == "failed"


def test_batch_of_reports_and_invalid_report(app: Any, client: Any, gateway: Any) -> None:
    a, b = submitted(app, 2, now=START)
    payload = json.dumps(
        [
            {"id": a.gateway_id, "status": "delivered", "at": "2026-11-03T10:00:09Z"},
            {"id": b.gateway_id, "status": "failed", "error": "unknown subscriber", "operator": "O2"},
        ]
    )
    from ticketdesk.ports.sms import sign_webhook

    headers = {
        "X-Ticketdesk-Signature": sign_webhook(payload.encode(), gateway.secret),
        "Content-Type": "application/json",
    }
    resp = client.post("/api/v1/sms/status", data=payload, headers=headers)
    assert resp.status_code == 200 and [i["status"] for i in resp.get_json()["items"]] == [
        "delivered",
        "failed",
    ]
    assert fresh(b.id).operator == "O2"
    bad = json.dumps({"id": a.gateway_id, "status": "read"})
    resp = client.post(
        "/api/v1/sms/status",
        data=bad,
        headers={"X-Ticketdesk-Signature": sign_webhook(bad.encode(), gateway.secret)},
    )
    assert resp.status_code == 422


def test_report_for_an_unknown_id_is_kept_and_matched_later(app: Any, client: Any, gateway: Any) -> None:
    with time_machine.travel(START, tick=False) as clock:
        attempt = service.queue_sms(
            db.session, to="+420777000111", text="x", kind="manual", now=START
        ).attempts[-1]
        db.session.commit()
        body, headers = gateway.build_report("gw-not-yet-known", "delivered", at=START)
        resp = client.post("/api/v1/sms/status", data=body, headers=headers)
        assert resp.status_code == 202 and pending_jobs("sms.report_unmatched") == 1
        db.session.execute(
            db.update(SmsAttempt)
            .where(SmsAttempt.id == attempt.id)
            .values(gateway_id="gw-not-yet-known", status="submitted")
        )  # as the worker records it
        db.session.commit()
        clock.shift(timedelta(seconds=1))
        run_once(app)
    assert fresh(attempt.id).status == "delivered"


def test_report_deadline_makes_unknown_and_a_late_report_still_settles(
    app: Any, client: Any, gateway: Any
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        (attempt,) = submitted(app, now=START)
        clock.shift(timedelta(minutes=59))
        run_once(app)
        assert fresh(attempt.id).status == "submitted"
        clock.shift(timedelta(minutes=2))
        run_once(app)
        assert fresh(attempt.id).status == "unknown"
        clock.shift(timedelta(minutes=1))
        run_once(app)  # reconciliation asks the gateway: it still says submitted, nothing changes
        assert fresh(attempt.id).status == "unknown" and gateway.lookups
        resp = _post(client, gateway, attempt, "delivered", at=START + timedelta(minutes=70))
    assert resp.get_json()["applied"] is True
    assert fresh(attempt.id).status == "delivered"


# --- Twilio: signed status callbacks over real HTTP -------------------------------------------------


def test_twilio_status_callback_checked_with_its_signature(app: Any, gateway: Any, live_url: str) -> None:
    from tests.fixtures.smsgateway import TWILIO_SID
    from ticketdesk.ports.sms import TwilioGateway

    app.extensions["ticketdesk.ports"].sms = TwilioGateway(
        TWILIO_SID, gateway.twilio_token, "+4791234567", base_url=gateway.base_url, timeout=1.0
    )
    notification = service.queue_sms(
        db.session, to="+420777123456", text="Twilio test", kind="manual", now=START
    )
    db.session.commit()
    run_once(app)
    attempt = fresh(notification.attempts[-1].id)
    callback = f"{live_url}/api/v1/sms/twilio/status"
    sent = gateway.twilio_callback(attempt.gateway_id, "sent", callback_url=callback)
    assert sent.status_code == 200 and fresh(attempt.id).status == "submitted"
    delivered = gateway.twilio_callback(
        attempt.gateway_id, "undelivered", error_code="30003", callback_url=callback
    )
    assert delivered.status_code == 200
    got = fresh(attempt.id)
    assert got.status == "failed" and "30003" in (got.error or "")
    forged = requests.post(
        callback,
        data={"MessageSid": attempt.gateway_id, "MessageStatus": "delivered"},
        headers={"X-Twilio-Signature": "AAAA"},
        timeout=5,
    )
    assert forged.status_code == 403 and fresh(attempt.id).status == "failed"


def test_twilio_opt_out_error_stops_the_sms(app: Any, gateway: Any, live_url: str) -> None:
    from tests.fixtures.smsgateway import TWILIO_SID
    from ticketdesk.ports.sms import TwilioGateway

    app.extensions["ticketdesk.ports"].sms = TwilioGateway(
        TWILIO_SID, gateway.twilio_token, "+4791234567", base_url=gateway.base_url, timeout=1.0
    )
    notification = service.queue_sms(
        db.session, to="+420777123456", text="Twilio test", kind="manual", now=START
    )
    db.session.commit()
    run_once(app)
    attempt = fresh(notification.attempts[-1].id)
    resp = gateway.twilio_callback(
        attempt.gateway_id, "failed", error_code="21610", callback_url=f"{live_url}/api/v1/sms/twilio/status"
    )
    assert resp.status_code == 200 and fresh(attempt.id).status == "stopped"


def test_generic_report_posted_by_the_gateway_over_http(app: Any, gateway: Any, live_url: str) -> None:
    (attempt,) = submitted(app, now=START)
    resp = gateway.report(attempt.gateway_id, "delivered", callback_url=f"{live_url}/api/v1/sms/status")
    assert resp.status_code == 200 and fresh(attempt.id).status == "delivered"
    forged = gateway.report(
        attempt.gateway_id, "failed", callback_url=f"{live_url}/api/v1/sms/status", signature="f" * 64
    )
    assert forged.status_code == 403 and fresh(attempt.id).status == "delivered"


def test_status_changes_are_published_to_agents_after_commit(
    app: Any, client: Any, gateway: Any, agent: Any, make_token: Any
) -> None:
    from ticketdesk.extensions import socketio

    (attempt,) = submitted(app, now=START)
    sio = socketio.test_client(app, auth={"token": make_token(agent)})
    assert sio.emit("join", {"room": "agents"}, callback=True)["ok"] is True
    sio.get_received()
    body, headers = gateway.build_report(attempt.gateway_id, "delivered")
    client.post("/api/v1/sms/status", data=body, headers=headers)
    events = [e["args"][0] for e in sio.get_received() if e["name"] == "sms.status"]
    assert [(e["id"], e["status"], e["previous"]) for e in events] == [(attempt.id, "delivered", "submitted")]
    client.post("/api/v1/sms/status", data=body, headers=headers)  # a duplicate is not news
    assert [e for e in sio.get_received() if e["name"] == "sms.status"] == []
    sio.disconnect()


def test_log_gateway_marks_its_sms_as_not_really_sent(app: Any, tmp_path: Any) -> None:
    from ticketdesk.ports.sms import LogGateway

    ports = app.extensions["ticketdesk.ports"]
    previous, ports.sms = ports.sms, LogGateway(tmp_path / "sms.log")
    try:
        attempt = service.queue_sms(
            db.session, to="+420777123456", text="demo", kind="manual", now=START
        ).attempts[-1]
        db.session.commit()
        run_once(app)
    finally:
        ports.sms = previous
    got = fresh(attempt.id)
    assert got.status == "submitted" and got.gateway == "log"
    assert "NOT REALLY SENT" in (tmp_path / "sms.log").read_text()
    last = db.session.scalars(
        db.select(SmsReport.detail).where(SmsReport.attempt_id == attempt.id).order_by(SmsReport.id.desc())
    ).first()
    assert "NOT REALLY SENT" in last
