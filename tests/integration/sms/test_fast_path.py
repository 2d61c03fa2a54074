"""``POST /api/v1/sms/status`` is served in front of Flask (``ticketdesk.api.sms_fastpath``): its answers are
the app's own, byte for byte, and whatever it does not serve itself reaches the app unchanged. Also the
batch writer behind it (``webhooks.receive_many``, SQLAlchemy Core): what the caller's session has loaded
is brought up to date, and a report for an older attempt leaves the notification alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from werkzeug.test import Client

from tests.integration.sms.helpers import fresh, submitted
from ticketdesk.api.sms_fastpath import SmsStatusFastPath
from ticketdesk.extensions import db
from ticketdesk.ports.sms import sign_webhook
from ticketdesk.sms import groupcommit, webhooks
from ticketdesk.sms.models import SmsAttempt, SmsNotification
from ticketdesk.sms.resend import resend_attempt

START = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
URL = "/api/v1/sms/status"


def _fast_path(app: Any) -> SmsStatusFastPath:
    """The fast path among the app's WSGI layers (a live-server test re-binding Socket.IO wraps it again)."""
    layer = app.wsgi_app
    while not isinstance(layer, SmsStatusFastPath):
        layer = layer.wsgi_app
    return layer


def _signed(gateway: Any, payload: Any) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, {
        "Content-Type": "application/json",
        "X-Ticketdesk-Signature": sign_webhook(body, gateway.secret),
    }


def _answer(resp: Any) -> tuple[int, dict[str, str], Any]:
    data = json.loads(resp.get_data()) if resp.get_data() else None
    for item in data.get("items", [data]) if isinstance(data, dict) else []:
        if isinstance(item, dict) and "matched" in item:
            item.pop("id")  # the two paths answer for two different attempts
    return resp.status_code, dict(resp.headers), data


def _both(app: Any, make: Any) -> tuple[Any, Any]:
    """The answer through the fast path (the app as served) and through the app alone, for the request
    ``make(path_label)`` builds."""
    via_fast = app.test_client().post(URL, **make("fast"))
    via_app = Client(_fast_path(app).wsgi_app).post(URL, **make("app"))
    return _answer(via_fast), _answer(via_app)


@pytest.mark.parametrize(
    "case", ["delivered", "batch", "empty batch", "unknown id", "duplicate", "bad signature", "no signature"]
)
def test_the_fast_path_answers_as_the_app_does(app: Any, gateway: Any, case: str) -> None:
    attempts = dict(zip(["fast", "app"], submitted(app, 2, now=START), strict=True))

    def make(label: str) -> dict[str, Any]:
        report = {"id": attempts[label].gateway_id, "status": "delivered", "at": START.isoformat()}
        payload: Any = {
            "delivered": report,
            "duplicate": report,
            "batch": [report, {**report, "status": "submitted"}],
            "empty batch": [],
            "unknown id": {**report, "id": "gw-nobody-knows"},
            "bad signature": report,
            "no signature": report,
        }[case]
        body, headers = _signed(gateway, payload)
        if case == "bad signature":
            headers["X-Ticketdesk-Signature"] = "0" * 64
        if case == "no signature":
            del headers["X-Ticketdesk-Signature"]
        return {"data": body, "headers": headers}

    if case == "duplicate":
        _both(app, make)
    fast, plain = _both(app, make)
    assert fast == plain
    expected = {
        "delivered": 200,
        "duplicate": 200,
        "batch": 200,
        "empty batch": 200,
        "unknown id": 202,
        "bad signature": 403,
        "no signature": 403,
    }[case]
    assert fast[0] == expected
    if case == "duplicate":
        assert fast[2]["duplicate"] is True


@pytest.mark.parametrize("body", [b"{not json", b'{"id": "x", "status": "read"}', b"[1]", b"", b"\xff"])
def test_bodies_that_are_not_reports_get_the_apps_422(app: Any, gateway: Any, body: bytes) -> None:
    fast, plain = _both(
        app, lambda _label: dict(zip(["data", "headers"], _signed(gateway, body), strict=True))
    )
    assert fast == plain and fast[0] == 422


def test_a_body_above_the_limit_gets_the_apps_413(
    app: Any, gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 40)
    body, headers = _signed(gateway, {"id": "gw-" + "x" * 60, "status": "delivered"})
    fast, plain = _both(app, lambda _label: {"data": body, "headers": headers})
    assert fast == plain and fast[0] == 413


def test_an_error_while_applying_gets_the_apps_500(
    app: Any, gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (attempt,) = submitted(app, now=START)

    def broken(*_args: Any, **_kw: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(groupcommit.GroupCommit, "receive", broken)
    body, headers = _signed(gateway, {"id": attempt.gateway_id, "status": "delivered"})
    fast, plain = _both(app, lambda _label: {"data": body, "headers": headers})
    assert fast == plain and fast[0] == 500
    assert fast[2]["error"]["code"] == "internal_error"
    assert fresh(attempt.id).status == "submitted"


def test_good_reports_skip_the_app_and_everything_else_reaches_it(app: Any, gateway: Any) -> None:
    fast = _fast_path(app)
    inner, seen = fast.wsgi_app, []

    def spy(environ: dict[str, Any], start_response: Any) -> Any:
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["wsgi.input"].read()))
        environ["wsgi.input"].seek(0)
        return inner(environ, start_response)

    fast.wsgi_app = spy
    try:
        (attempt,) = submitted(app, now=START)
        body, headers = _signed(gateway, {"id": attempt.gateway_id, "status": "delivered"})
        client = app.test_client()
        assert client.post(URL, data=body, headers=headers).status_code == 200
        assert seen == [] and fresh(attempt.id).status == "delivered"
        forged = {**headers, "X-Ticketdesk-Signature": "f" * 64}
        assert client.post(URL, data=body, headers=forged).status_code == 403
        assert seen == [("POST", URL, body)]  # the app got the body as it was read
        assert client.get(URL).status_code == 405
        assert client.post(URL + "/", data=body, headers=headers).status_code == 404
        assert [s[:2] for s in seen[1:]] == [("GET", URL), ("POST", URL + "/")]
    finally:
        fast.wsgi_app = inner


def test_a_batch_brings_what_the_session_loaded_up_to_date(app: Any) -> None:
    (attempt,) = submitted(app, now=START)
    loaded = db.session.get(SmsAttempt, attempt.id)
    notification = db.session.get(SmsNotification, attempt.notification_id)
    assert loaded is not None and notification is not None and loaded.status == "submitted"
    at = START.replace(second=9)
    report = webhooks.GatewayReport(attempt.gateway_id or "", "delivered", at, operator="O2")
    (outcome,) = webhooks.receive_many(db.session, [report], now=START.replace(second=10))
    assert outcome.applied and outcome.status == "delivered"
    assert (loaded.status, loaded.final_at, loaded.operator) == ("delivered", at, "O2")
    assert notification.status == "delivered"
    db.session.commit()


def test_a_report_for_an_older_attempt_leaves_the_notification_to_the_latest(app: Any) -> None:
    (first,) = submitted(app, now=START)
    db.session.execute(db.update(SmsAttempt).where(SmsAttempt.id == first.id).values(status="unknown"))
    db.session.commit()
    newer = resend_attempt(db.session, db.session.get(SmsAttempt, first.id), now=START, by="test")
    db.session.commit()
    report = webhooks.GatewayReport(first.gateway_id or "", "delivered", START)
    (outcome,) = webhooks.receive_many(db.session, [report], now=START)
    db.session.commit()
    assert outcome.applied and fresh(first.id).status == "delivered"
    notification = db.session.get(SmsNotification, first.notification_id)
    assert notification is not None and notification.status == fresh(newer.id).status == "queued"
