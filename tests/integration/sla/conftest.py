"""SLA integration fixtures: the local SMS gateway as the app's SMS port, a clock, helpers to reload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.fixtures.smsgateway import LocalSmsGateway
from ticketdesk.ports.sms import HttpJsonGateway


@pytest.fixture
def gateway(app: Flask) -> Iterator[LocalSmsGateway]:
    """A started local HTTP SMS gateway wired in as the app's SMS port (restored afterwards)."""
    ports = app.extensions["ticketdesk.ports"]
    previous = ports.sms
    secret = app.extensions["ticketdesk.settings"].sms_webhook_secret
    with LocalSmsGateway(secret=secret) as local:
        ports.sms = HttpJsonGateway(local.url, timeout=1.0)
        try:
            yield local
        finally:
            ports.sms = previous


@pytest.fixture
def sio_agent(app: Flask, make_agent: Any, make_token: Any) -> Iterator[Any]:
    """A Socket.IO client of an agent who joined the ``agents`` room."""
    from ticketdesk.extensions import socketio

    client = socketio.test_client(app, auth={"token": make_token(make_agent(name="Watcher"))})
    assert client.emit("join", {"room": "agents"}, callback=True)["ok"] is True
    client.get_received()
    yield client
    if client.is_connected():
        client.disconnect()
