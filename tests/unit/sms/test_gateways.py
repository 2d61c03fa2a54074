from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.smsgateway import (
    TWILIO_SID,
    LocalSmsGateway,
    accept_without_id,
    fail,
    refuse,
    timeout,
)
from ticketdesk.ports.sms import (
    GatewayError,
    HttpJsonGateway,
    LogGateway,
    LookupUnsupported,
    SendResult,
    SmsGateway,
    SmsOut,
    TwilioGateway,
    gateway_from_url,
    parse_twilio_callback,
    verify_twilio_signature,
    verify_webhook,
)
from ticketdesk.sms.states import apply_action, apply_report


def msg(attempt_id: int = 1, to: str = "+420777123456", callback: str | None = None) -> SmsOut:
    return SmsOut(
        attempt_id, to, "Výpadek serveru: odpovězte prosím na e-mail.", callback, f"key-{attempt_id}"
    )


class CallbackSink:
    """A local receiver for delivery reports (stands in for ticketdesk's webhook endpoint)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sink.posts.append((self.path, dict(self.headers.items()), body))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/sms/status"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[CallbackSink]:
    s = CallbackSink()
    yield s
    s.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- generic HTTP JSON gateway ----------------------------------------------------------------


def test_accept_sends_the_documented_json(sms_gateway: LocalSmsGateway) -> None:
    gw = HttpJsonGateway(sms_gateway.url, timeout=5)
    assert isinstance(gw, SmsGateway)
    result = gw.send(msg(7, callback="http://127.0.0.1:1/api/v1/sms/status"))
    assert result.kind == "accepted" and result.action == "submit_ok"
    (rec,) = sms_gateway.received
    assert rec.payload == {
        "id": 7,
        "to": "+420777123456",
        "text": "Výpadek serveru: odpovězte prosím na e-mail.",
        "callback_url": "http://127.0.0.1:1/api/v1/sms/status",
    }
    assert rec.idempotency_key == "key-7"
    assert result.gateway_id == rec.gateway_id and result.gateway_id in sms_gateway.messages


def test_refusal_is_permanent_with_reason(sms_gateway: LocalSmsGateway) -> None:
    sms_gateway.plan(3, refuse(422, "number is not mobile"))
    result = HttpJsonGateway(sms_gateway.url, timeout=5).send(msg(3))
    assert result == SendResult("refused", None, "HTTP 422: number is not mobile", 422)
    assert apply_action("queued", result.action).new_state == "failed"


@pytest.mark.parametrize("status", [429, 408])
def test_rate_limit_is_not_a_refusal(sms_gateway: LocalSmsGateway, status: int) -> None:
    sms_gateway.plan_next(refuse(status, "slow down"))
    assert HttpJsonGateway(sms_gateway.url, timeout=5).send(msg()).kind == "unknown"


def test_server_error_is_unknown_then_reconciled_as_missing(sms_gateway: LocalSmsGateway) -> None:
    gw = HttpJsonGateway(sms_gateway.url, timeout=5)
    sms_gateway.plan(5, fail(503))
    result = gw.send(msg(5))
    assert (result.kind, result.http_status) == ("unknown", 503)
    assert "upstream unavailable" in result.reason
    state = apply_action("queued", result.action).new_state
    assert state == "unknown"
    assert gw.lookup(5) is None  # the gateway never got it
    assert apply_action(state, "reconcile_missing").new_state == "queued"
    assert gw.send(msg(5)).kind == "accepted"  # resent under the same key
    assert sms_gateway.lookups == ["5"]


def test_server_error_after_keeping_the_message_is_found_by_reconciliation(
    sms_gateway: LocalSmsGateway,
) -> None:
    gw = HttpJsonGateway(sms_gateway.url, timeout=5)
    sms_gateway.plan_next(fail(500, keep=True))
    assert gw.send(msg(6)).kind == "unknown"
    found = gw.lookup(6)
    assert found is not None and found.status == "submitted"
    assert found.gateway_id == sms_gateway.find(6).gateway_id
    # a retry with the same idempotency key is not a second message
    again = gw.send(msg(6))
    assert again.gateway_id == found.gateway_id and len(sms_gateway.messages) == 1
    assert sms_gateway.received[-1].duplicate


def test_timeout_is_unknown_and_reconcilable(sms_gateway: LocalSmsGateway) -> None:
    sms_gateway.plan(8, timeout(delay=3.0))
    gw = HttpJsonGateway(sms_gateway.url, timeout=0.3)
    start = time.monotonic()
    result = gw.send(msg(8))
    assert time.monotonic() - start < 2.0
    assert result.kind == "unknown" and "0.3" in result.reason
    sms_gateway.set_status(8, "delivered")
    found = gw.lookup(8)
    assert found is not None and found.status == "delivered"
    assert apply_report("unknown", found.status).new_state == "delivered"


def test_connection_refused_is_unknown() -> None:
    result = HttpJsonGateway(f"http://127.0.0.1:{free_port()}/sms", timeout=2).send(msg())
    assert result.kind == "unknown" and "connection error" in result.reason


def test_2xx_without_id_is_unknown(sms_gateway: LocalSmsGateway) -> None:
    sms_gateway.set_default(accept_without_id())
    gw = HttpJsonGateway(sms_gateway.url, timeout=5)
    assert gw.send(msg(9)).kind == "unknown"
    found = gw.lookup(9)
    assert found is not None and found.gateway_id and found.gateway_id.startswith("gw-")


def test_lookup_reports_failure_detail_and_errors(sms_gateway: LocalSmsGateway) -> None:
    gw = HttpJsonGateway(sms_gateway.url + "?account=demo", timeout=5)
    gw.send(msg(10))
    sms_gateway.set_status(10, "expired", "validity period over")
    found = gw.lookup(10)
    assert found is not None and (found.status, found.detail) == ("expired", "validity period over")
    assert gw.lookup("no/such id") is None
    assert sms_gateway.lookups[-1] == "no/such id"
    sms_gateway.stop()
    with pytest.raises(GatewayError):
        gw.lookup(10)


def test_delivery_reports_are_signed_and_verifiable(sms_gateway: LocalSmsGateway, sink: CallbackSink) -> None:
    gw = HttpJsonGateway(sms_gateway.url, timeout=5)
    gw.send(msg(11, callback=sink.url))
    # out of order and duplicated, as real gateways do
    for status in ("delivered", "submitted", "delivered"):
        assert sms_gateway.report(11, status).status_code == 204
    sms_gateway.report(11, "delivered", signature="0" * 64)
    state = "submitted"
    for path, headers, body in sink.posts[:3]:
        assert path == "/api/v1/sms/status"
        assert verify_webhook(body, headers["X-Ticketdesk-Signature"], sms_gateway.secret)
        report = json.loads(body)
        assert report["id"] == sms_gateway.find(11).gateway_id
        state = apply_report(state, report["status"]).new_state
    assert state == "delivered"
    _, headers, body = sink.posts[3]
    assert not verify_webhook(body, headers["X-Ticketdesk-Signature"], sms_gateway.secret)


# -- log gateway --------------------------------------------------------------------------------


def test_log_gateway_marks_messages_not_really_sent(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "sms.log"
    gw = LogGateway(path)
    assert isinstance(gw, SmsGateway)
    assert gw.lookup(1) is None  # no file yet
    result = gw.send(msg(1))
    assert result.kind == "accepted" and result.gateway_id and result.gateway_id.startswith("log-")
    content = path.read_text(encoding="utf-8")
    assert "NOT REALLY SENT" in content and "Výpadek serveru" in content and "+420777123456" in content
    assert gw.send(msg(1)).gateway_id == result.gateway_id  # same idempotency key, same id
    found = gw.lookup(1)
    assert found is not None and (found.status, found.gateway_id) == ("submitted", result.gateway_id)
    assert gw.lookup(2) is None


def test_log_gateway_unwritable_is_unknown(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert LogGateway(blocker / "sms.log").send(msg()).kind == "unknown"


# -- Twilio -------------------------------------------------------------------------------------


def test_twilio_send_lookup_and_status_mapping(sms_gateway: LocalSmsGateway, sink: CallbackSink) -> None:
    gw = gateway_from_url(sms_gateway.twilio_url, log_path="unused")
    assert isinstance(gw, TwilioGateway) and gw.base_url == sms_gateway.base_url
    result = gw.send(msg(1, callback=sink.url))
    assert result.kind == "accepted" and result.gateway_id and result.gateway_id.startswith("SM")
    rec = sms_gateway.received[0]
    assert rec.protocol == "twilio"
    assert rec.payload == {
        "To": "+420777123456",
        "From": "+4791234567",
        "Body": "Výpadek serveru: odpovězte prosím na e-mail.",
        "StatusCallback": sink.url,
    }
    found = gw.lookup(1, result.gateway_id)
    assert found is not None and found.status == "submitted"  # Twilio "queued"
    sms_gateway.set_status(result.gateway_id, "undelivered", "30003 Unreachable destination handset")
    found = gw.lookup(1, result.gateway_id)
    assert found is not None and (found.status, found.detail) == (
        "failed",
        "30003 Unreachable destination handset",
    )
    assert gw.lookup(1, "SM" + "f" * 32) is None
    with pytest.raises(LookupUnsupported):
        gw.lookup(1)

    assert sms_gateway.twilio_callback(result.gateway_id, "delivered").status_code == 204
    path, headers, body = sink.posts[0]
    form = dict(pair.split("=", 1) for pair in body.decode().split("&"))
    form = {k: v.replace("%2B", "+") for k, v in form.items()}
    assert verify_twilio_signature(sink.url, form, headers["X-Twilio-Signature"], sms_gateway.twilio_token)
    report = parse_twilio_callback(form)
    assert (report.gateway_id, report.status) == (result.gateway_id, "delivered")


def test_twilio_refusals_and_bad_credentials(sms_gateway: LocalSmsGateway) -> None:
    sms_gateway.plan_next(refuse(400, "The 'To' number is not a valid phone number."))
    gw = TwilioGateway(TWILIO_SID, sms_gateway.twilio_token, "+4791234567", sms_gateway.base_url, 5)
    result = gw.send(msg())
    assert result.kind == "refused" and "21211" in result.reason
    sms_gateway.plan_next(fail(503))
    assert gw.send(msg(2)).kind == "unknown"
    wrong = TwilioGateway(TWILIO_SID, "wrong", "+4791234567", sms_gateway.base_url, 5)
    result = wrong.send(msg(3))
    assert (result.kind, result.http_status) == ("refused", 401)
    assert "Authenticate" in result.reason


@pytest.mark.parametrize(
    ("status", "code", "ours"),
    [
        ("queued", None, "submitted"),
        ("sent", None, "submitted"),
        ("delivered", None, "delivered"),
        ("read", None, "delivered"),
        ("undelivered", "30005", "failed"),
        ("failed", "30008", "failed"),
        ("undelivered", "21610", "stopped"),
        ("canceled", None, "stopped"),
        ("received", None, None),
    ],
)
def test_twilio_callback_mapping(status: str, code: str | None, ours: str | None) -> None:
    form = {"MessageSid": "SM1", "MessageStatus": status}
    if code:
        form["ErrorCode"] = code
    report = parse_twilio_callback(form)
    assert report.status == ours and report.twilio_status == status
    assert report.error == (code or "")


# -- configuration ------------------------------------------------------------------------------


def test_gateway_from_url_forms(tmp_path: Path) -> None:
    default = tmp_path / "instance" / "sms.log"
    for value in (None, "", "log", " log "):
        gw = gateway_from_url(value, log_path=default)
        assert isinstance(gw, LogGateway) and gw.path == default
    gw = gateway_from_url(f"log:{tmp_path}/other.log", log_path=default)
    assert isinstance(gw, LogGateway) and gw.path == tmp_path / "other.log"
    http = gateway_from_url("https://sms.example.net/api/send", log_path=default, timeout=3)
    assert isinstance(http, HttpJsonGateway) and http.timeout == 3
    tw = gateway_from_url(f"twilio://{TWILIO_SID}:s%40cret@?from=+420777123456", log_path=default)
    assert isinstance(tw, TwilioGateway)
    assert (tw.auth_token, tw.from_number, tw.base_url) == (
        "s@cret",
        "+420777123456",
        "https://api.twilio.com",
    )
    assert (
        gateway_from_url(f"twilio://{TWILIO_SID}:t@api.twilio.com?from=Ticketdesk", log_path=default).name
        == "twilio"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://sms.example.net", "not understood"),
        ("smtp", "not understood"),
        ("http://", "http"),
        (f"twilio://{TWILIO_SID}:supersecret@api.twilio.com", "from="),
        (f"twilio://{TWILIO_SID}:supersecret@api.twilio.com?from=123", "from="),
        ("twilio://someone:supersecret@api.twilio.com?from=+420777123456", "ACCOUNT_SID"),
        (f"twilio://{TWILIO_SID}@api.twilio.com?from=+420777123456", "ACCOUNT_SID"),
    ],
)
def test_bad_gateway_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        gateway_from_url(url, log_path="x.log")
    assert "supersecret" not in str(info.value)
