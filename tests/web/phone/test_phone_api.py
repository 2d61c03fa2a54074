"""The phone API contract: call events (JSON and sipgate.io), lookup, verification, tickets from calls."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.fixtures.factories import ApiClient

CTI = {"Authorization": "Bearer cti-token"}  # TICKETDESK_CTI_TOKEN in the test settings
PIN = "4711"


@pytest.fixture
def acme(make_org: Any, make_contact: Any) -> tuple[Any, Any]:
    org = make_org("ACME s.r.o.", client_number="C1001", pin=PIN, default_region="CZ")
    return org, make_contact(org, name="Jana Nováková", phones=["+420 777 123 456"])


def new_call(client: Any, number: str, call_id: str = "c-1", **extra: Any) -> Any:
    payload = {
        "event": "newCall",
        "callId": call_id,
        "from": number,
        "to": "+420222333444",
        "direction": "in",
        "user": "Petra",
    } | extra
    return client.post("/api/v1/cti/events", json=payload, headers=CTI)


def test_new_call_answer_has_the_designed_shape(client: Any, acme: tuple[Any, Any]) -> None:
    org, jana = acme
    resp = new_call(client, "00420 777 123 456")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    call = resp.get_json()["call"]
    assert {"id", "caller", "pin_required", "verified"} <= set(call)
    assert call["caller"]["contact"]["id"] == jana.id and call["caller"]["contact"]["phones"] == [
        "+420777123456"
    ]
    assert call["caller"]["organization"] == {**call["caller"]["organization"], "id": org.id, "pin_set": True}
    assert call["pin_required"] is True and call["verified"] is False
    assert call["status_text"] == "PIN required"


def test_unknown_caller(client: Any, acme: tuple[Any, Any]) -> None:
    call = new_call(client, "+420 608 999 999").get_json()["call"]
    assert call["caller"] == {"contact": None, "organization": None}
    assert call["pin_required"] is False and call["verified"] is False
    assert call["status_text"] == "unknown caller: ask for the client number"
    withheld = new_call(client, "anonymous", call_id="c-2").get_json()["call"]
    assert withheld["caller"]["contact"] is None and withheld["from"] == "anonymous"


def test_sipgate_form_posts(client: Any, acme: tuple[Any, Any]) -> None:
    _, jana = acme
    basic = base64.b64encode(b"sipgate:cti-token").decode()
    form = (
        "event=newCall&from=420777123456&to=4922112345678&direction=in&callId=SG1"
        "&user%5B%5D=Alice&user%5B%5D=Bob&userId%5B%5D=w0&userId%5B%5D=w1"
    )
    resp = client.post(
        "/api/v1/cti/events",
        data=form,
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Basic {basic}"},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    call = resp.get_json()["call"]
    assert call["caller"]["contact"]["id"] == jana.id and call["user"] == "Alice, Bob"
    for form in (
        "event=answer&callId=SG1&user=Alice&from=420777123456&to=4922112345678&direction=in",
        "event=hangup&cause=normalClearing&callId=SG1&from=420777123456&to=4922112345678&direction=in",
    ):
        assert (
            client.post(
                "/api/v1/cti/events", data=form, content_type="application/x-www-form-urlencoded", headers=CTI
            ).status_code
            == 200
        )
    api_call = client.get(f"/api/v1/calls/{call['id']}", headers=CTI)
    assert api_call.status_code == 401  # the PBX secret reads nothing: the call log is for agents


def test_sipgate_xml_reply_asks_for_answer_and_hangup(client: Any, acme: tuple[Any, Any]) -> None:
    basic = base64.b64encode(b"pbx:cti-token").decode()
    resp = client.post(
        "/api/v1/cti/events?reply=xml",
        data={
            "event": "newCall",
            "from": "420777123456",
            "to": "4922112345678",
            "direction": "in",
            "callId": "SG2",
            "user[]": "Alice",
        },
        headers={"Authorization": f"Basic {basic}"},
    )
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    text = resp.get_data(as_text=True)
    assert '<Response onAnswer="http://pbx:cti-token@127.0.0.1:5000/api/v1/cti/events?reply=xml"' in text
    assert 'onHangup="http://pbx:cti-token@127.0.0.1:5000/api/v1/cti/events?reply=xml"' in text


def test_every_event_lands_in_the_call_log(client: Any, api: ApiClient, acme: tuple[Any, Any]) -> None:
    call_id = new_call(client, "+420777123456", call_id="log-1").get_json()["call"]["id"]
    new_call(client, "+420777123456", call_id="log-1")  # a PBX retry
    client.post(
        "/api/v1/cti/events", json={"event": "answer", "callId": "log-1", "user": "Petra"}, headers=CTI
    )
    client.post("/api/v1/cti/events", json={"event": "hangup", "callId": "log-1"}, headers=CTI)
    detail = api.get(f"/calls/{call_id}").get_json()
    assert [e["event"] for e in detail["events"]] == ["newCall", "newCall", "answer", "hangup"]
    assert detail["state"] == "ended" and detail["answered_at"] and detail["ended_at"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": "Basic " + base64.b64encode(b"x:wrong").decode()}, 401),
    ],
)
def test_cti_needs_a_token(client: Any, headers: dict[str, str], status: int) -> None:
    resp = client.post(
        "/api/v1/cti/events", json={"event": "newCall", "callId": "x", "from": "1"}, headers=headers
    )
    assert resp.status_code == status and resp.get_json()["error"]["code"] in (
        "unauthorized",
        "invalid_token",
    )


def test_agent_token_may_post_events(api: ApiClient, acme: tuple[Any, Any]) -> None:
    resp = api.post(
        "/cti/events", {"event": "newCall", "callId": "a-1", "from": "777123456", "to": "222333444"}
    )
    assert resp.status_code == 200 and resp.get_json()["call"]["caller"]["contact"] is not None


@pytest.mark.parametrize(
    "payload",
    [
        {"event": "ring", "callId": "x"},
        {"event": "newCall"},
        {"event": "newCall", "callId": "x", "direction": "up"},
        {"event": "newCall", "callId": "x", "from": {"a": 1}},
    ],
)
def test_bad_events_are_422(client: Any, payload: dict[str, Any]) -> None:
    resp = client.post("/api/v1/cti/events", json=payload, headers=CTI)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "bad_event"


def test_lookup_for_a_pbx(client: Any, acme: tuple[Any, Any]) -> None:
    org, jana = acme
    for number in ("+420777123456", "00420777123456", "777 123 456", "420777123456"):
        resp = client.get("/api/v1/phone/lookup", query_string={"number": number}, headers=CTI)
        body = resp.get_json()
        assert resp.status_code == 200 and body["pin_required"] is True, number
        assert [(m["contact"]["id"], m["organization"]["id"]) for m in body["matches"]] == [(jana.id, org.id)]
    nobody = client.get("/api/v1/phone/lookup?number=%2B420608000000", headers=CTI).get_json()
    assert nobody["matches"] == [] and nobody["pin_required"] is False
    assert client.get("/api/v1/phone/lookup?number=777123456").status_code == 401
    assert client.get("/api/v1/phone/lookup", headers=CTI).status_code == 422


def test_verify_endpoint_statuses_and_lockout(client: Any, api: ApiClient, acme: tuple[Any, Any]) -> None:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        call_id = new_call(client, "+420777123456").get_json()["call"]["id"]
        for left in (4, 3, 2, 1, 0):
            resp = api.post(f"/calls/{call_id}/verify", {"pin": "0000"})
            assert resp.status_code == 403 and resp.get_json()["verified"] is False
            assert resp.get_json()["attempts_left"] == left
        locked = api.post(f"/calls/{call_id}/verify", {"pin": PIN})
        assert locked.status_code == 423 and locked.get_json()["verified"] is False
        assert (
            locked.get_json()["locked_until"] == "2026-03-02T09:15:00Z"
            and locked.headers["Retry-After"] == "900"
        )
        clock.shift(timedelta(minutes=15))
        ok = api.post(f"/calls/{call_id}/verify", {"pin": PIN})
        assert ok.status_code == 200 and ok.get_json()["verified"] is True
    attempts = api.get(f"/calls/{call_id}").get_json()["pin_attempts"]
    assert [a["outcome"] for a in attempts] == ["wrong_pin"] * 5 + ["locked", "ok"]


def test_verify_input_errors(api: ApiClient, client: Any, acme: tuple[Any, Any]) -> None:
    call_id = new_call(client, "+420608000000").get_json()["call"]["id"]
    assert api.post(f"/calls/{call_id}/verify", {}).status_code == 422
    assert (
        api.post(f"/calls/{call_id}/verify", {"pin": PIN}).get_json()["error"]["code"]
        == "client_number_required"
    )
    assert api.post(f"/calls/{call_id}/verify", {"pin": PIN, "x": 1}).status_code == 422
    resp = api.post(f"/calls/{call_id}/verify", {"client_number": "C1001", "pin": PIN})
    assert (
        resp.status_code == 200
        and resp.get_json()["call"]["caller"]["organization"]["client_number"] == "C1001"
    )
    assert api.post("/calls/999999/verify", {"pin": PIN}).status_code == 404


def test_ivr_pin_check_has_the_same_limits(client: Any, acme: tuple[Any, Any]) -> None:
    new_call(client, "+420777123456", call_id="ivr-1")
    for _ in range(5):
        resp = client.post("/api/v1/phone/ivr/verify", json={"callId": "ivr-1", "pin": "1111"}, headers=CTI)
        assert resp.status_code == 403
    resp = client.post("/api/v1/phone/ivr/verify", json={"callId": "ivr-1", "pin": PIN}, headers=CTI)
    assert resp.status_code == 423
    # a call the IVR reports first is registered; the organisation is still locked (its lock is shared)
    resp = client.post(
        "/api/v1/phone/ivr/verify", json={"callId": "ivr-2", "from": "+420777123456", "pin": PIN}, headers=CTI
    )
    assert resp.status_code == 423


def test_sipgate_dtmf_is_a_pin_check(client: Any, acme: tuple[Any, Any]) -> None:
    form = {
        "event": "newCall",
        "from": "420777123456",
        "to": "4922112345678",
        "direction": "in",
        "callId": "D1",
    }
    client.post("/api/v1/cti/events", data=form, headers=CTI)
    wrong = client.post(
        "/api/v1/cti/events", data={"event": "dtmf", "dtmf": "1234", "callId": "D1"}, headers=CTI
    )
    assert wrong.status_code == 403 and wrong.get_json()["attempts_left"] == 4
    right = client.post(
        "/api/v1/cti/events", data={"event": "dtmf", "dtmf": PIN, "callId": "D1"}, headers=CTI
    )
    assert right.status_code == 200 and right.get_json()["verified"] is True


def test_open_ticket_and_attach_from_a_call(
    client: Any, api: ApiClient, acme: tuple[Any, Any], make_ticket: Any
) -> None:
    org, jana = acme
    call_id = new_call(client, "+420777123456").get_json()["call"]["id"]
    blocked = api.post(f"/calls/{call_id}/ticket", {"subject": "Server down", "text": "Since 9:00"})
    assert blocked.status_code == 409 and blocked.get_json()["error"]["code"] == "verification_required"
    assert api.post(f"/calls/{call_id}/verify", {"pin": PIN}).status_code == 200
    resp = api.post(
        f"/calls/{call_id}/ticket", {"subject": "Server down", "text": "Since 9:00", "queue": "support"}
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    ticket = resp.get_json()["ticket"]
    assert ticket["channel"] == "phone" and ticket["requester"]["id"] == jana.id
    detail = api.get(f"/tickets/{ticket['number']}").get_json()
    linked = [e for e in detail["events"] if e["kind"] == "call.linked"]
    assert linked and linked[0]["after"]["verified"] is True
    assert detail["messages"][0]["channel"] == "phone"

    older = make_ticket(jana, subject="Backup question")
    second = new_call(client, "+420777123456", call_id="c-2").get_json()["call"]["id"]
    assert api.post(f"/calls/{second}/verify", {"pin": PIN}).status_code == 200
    popup = api.get(f"/calls/{second}").get_json()
    assert {t["number"] for t in popup["open_tickets"]} == {older.number, ticket["number"]}
    resp = api.post(f"/calls/{second}/attach", {"ticket": older.number})
    assert resp.status_code == 200 and resp.get_json()["call"]["ticket"] == older.number
    assert api.post(f"/calls/{second}/attach", {"ticket": 1}).status_code == 404


def test_call_list_filters(client: Any, api: ApiClient, acme: tuple[Any, Any]) -> None:
    org, _ = acme
    with time_machine.travel(datetime(2026, 3, 1, 8, 0, tzinfo=UTC), tick=False):
        new_call(client, "+420777123456", call_id="f-1")
    with time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False):
        known = new_call(client, "+420777123456", call_id="f-2").get_json()["call"]["id"]
        new_call(client, "+420608000000", call_id="f-3")
        client.post(
            "/api/v1/cti/events",
            json={
                "event": "newCall",
                "callId": "f-4",
                "from": "+420222333444",
                "to": "+420777123456",
                "direction": "out",
            },
            headers=CTI,
        )
        api.post(f"/calls/{known}/verify", {"pin": PIN})

    def ids(query: str) -> list[str]:
        resp = api.get(f"/calls?{query}")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return [c["call_id"] for c in resp.get_json()["items"]]

    assert ids("") == ["f-4", "f-3", "f-2", "f-1"]
    assert ids("direction=out") == ["f-4"]
    assert ids("verified=true") == ["f-2"]
    assert ids("matched=false") == ["f-3"]
    assert ids(f"organization={org.id}&direction=in") == ["f-2", "f-1"]
    assert ids("number=608000") == ["f-3"]
    assert ids("since=2026-03-02T00:00:00Z&direction=in") == ["f-3", "f-2"]
    assert ids("until=2026-03-02T00:00:00Z") == ["f-1"]
    first = api.get("/calls?limit=3").get_json()
    assert len(first["items"]) == 3 and first["next"]
    assert [c["call_id"] for c in api.get(f"/calls?limit=3&cursor={first['next']}").get_json()["items"]] == [
        "f-1"
    ]
    assert api.get("/calls?since=yesterday").status_code == 422
    assert api.get("/calls?direction=sideways").status_code == 422


def test_openapi_lists_the_phone_endpoints(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/cti/events", "/phone/lookup", "/phone/ivr/verify", "/calls/{call_id}/verify"} <= set(paths)
