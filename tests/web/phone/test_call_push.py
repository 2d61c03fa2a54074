"""An agent's Socket.IO client receives ``call.incoming`` when the PBX reports a call."""

from __future__ import annotations

import queue
from typing import Any

import pytest
import requests
import socketio

from tests.web.phone.live import live_server


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_agent_socket_receives_the_popup_event(
    app: Any, agent: Any, make_token: Any, make_org: Any, make_contact: Any, transport: str
) -> None:
    org = make_org("ACME s.r.o.", client_number="C1001", pin="4711", default_region="CZ")
    jana = make_contact(org, name="Jana Nováková", phones=["+420 777 123 456"])
    token = make_token(agent)
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    with live_server(app) as url:
        sio = socketio.Client(reconnection=False)
        sio.on("call.incoming", lambda data: received.put(data))
        sio.connect(url, auth={"token": token}, transports=[transport], wait_timeout=10)
        try:
            assert sio.call("join", {"room": "agents"}, timeout=10)["ok"] is True
            resp = requests.post(
                f"{url}/api/v1/cti/events",
                timeout=10,
                headers={"Authorization": "Bearer cti-token"},
                json={
                    "event": "newCall",
                    "callId": "push-1",
                    "from": "00420777123456",
                    "to": "+420222333444",
                    "direction": "in",
                },
            )
            assert resp.status_code == 200
            data = received.get(timeout=10)
        finally:
            sio.disconnect()
    popup = data["call"]
    assert data["id"] == resp.json()["call"]["id"] == popup["id"]
    assert (
        popup["caller"]["contact"]["id"] == jana.id
        and popup["caller"]["organization"]["name"] == "ACME s.r.o."
    )
    assert popup["pin_required"] is True and popup["status_text"] == "PIN required"
    assert popup["open_tickets"] == []


def test_socket_without_a_valid_token_is_refused(app: Any) -> None:
    with live_server(app) as url:
        sio = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            sio.connect(url, auth={"token": "nope"}, transports=["polling"], wait_timeout=5)
