"""The customer base of the announcement tests, for the API and page tests."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.integration.announcements.helpers import World, build_world


@pytest.fixture
def world(app: Flask, make_org: Any, make_contact: Any) -> World:
    return build_world(make_org, make_contact)
