"""SMS integration fixtures: the local HTTP gateway wired in as the app's SMS port, the app served over
real HTTP, and a contact."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.fixtures.smsgateway import LocalSmsGateway
from ticketdesk.ports.sms import HttpJsonGateway


@pytest.fixture
def gateway(app: Flask) -> Iterator[LocalSmsGateway]:
    """A started local gateway (signing reports with the app's webhook secret), used by the app through
    the generic HTTP JSON driver with a 1 s timeout; the app's own port is restored afterwards."""
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
def live_url(app: Flask) -> Iterator[str]:
    """The test app served by werkzeug on a free port, a thread per request (webhooks over real HTTP)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def phone_contact(make_contact: Any, make_org: Any) -> Any:
    """A Czech contact with a mobile number."""
    org = make_org(name="Knihovna Vaski")
    return make_contact(org, phones=["+420 777 123 456"], name="Jana Nováková")
