"""Helpers for the workspace tests: CSRF tokens from pages, signing in with the test client."""

from __future__ import annotations

import re
from typing import Any

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post_form(client: Any, page: str, action: str, data: dict[str, Any] | None = None) -> Any:
    """Open ``page`` (for its CSRF token) and post ``data`` to ``action`` like the browser would."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(action, data={**(data or {}), "csrf_token": token})
