"""Fixtures for announcement tests: the customer base and a local SMS gateway."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.fixtures.smsgateway import LocalSmsGateway
from tests.integration.announcements.helpers import World, build_world
from ticketdesk.ports.sms import HttpJsonGateway


@pytest.fixture
def world(app: Flask, make_org: Any, make_contact: Any) -> World:
    return build_world(make_org, make_contact)


@pytest.fixture
def gateway(app: Flask) -> Iterator[LocalSmsGateway]:
    ports = app.extensions["ticketdesk.ports"]
    previous = ports.sms
    with LocalSmsGateway(secret=app.extensions["ticketdesk.settings"].sms_webhook_secret) as local:
        ports.sms = HttpJsonGateway(local.url, timeout=1.0)
        try:
            yield local
        finally:
            ports.sms = previous
