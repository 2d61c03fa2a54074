"""The small rules under the portal: file names, typed address lists, where to go after sign-in, and when
a portal session has ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ticketdesk.errors import ValidationFailed
from ticketdesk.portal.actions import clean_filename, parse_addresses
from ticketdesk.portal.service import IDLE_TIMEOUT, MAX_SESSION_AGE, safe_next, session_expired


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\jana\\výpis účtu.xlsx", "výpis účtu.xlsx"),
        ("bad\x00name\x1b.txt", "badname.txt"),
        ("", "attachment"),
        ("...", "attachment"),
        ("a" * 300 + ".log", "a" * 190 + ".log"),
    ],
)
def test_clean_filename(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_parse_addresses(app: Any) -> None:
    assert parse_addresses("A@Example.test, b@example.test;\nc@example.test  a@example.test") == [
        "a@example.test",
        "b@example.test",
        "c@example.test",
    ]
    assert parse_addresses("<boss@example.test>") == ["boss@example.test"]
    assert parse_addresses("  ") == []
    with pytest.raises(ValidationFailed, match="is not an e-mail address"):
        parse_addresses("boss@example.test, nonsense")
    with pytest.raises(ValidationFailed, match="support addresses"):
        parse_addresses("Support+x@support.test")


@pytest.mark.parametrize(
    ("target", "ok"),
    [
        ("/portal/tickets/1001", True),
        ("/portal/organization", True),
        ("/queue", False),
        ("//evil.test/portal/", False),
        ("https://evil.test/portal/x", False),
        ("/portal/\\evil", False),
        ("/portal/x\ny", False),
        (None, False),
        ("", False),
    ],
)
def test_safe_next(target: str | None, ok: bool) -> None:
    assert safe_next(target) == (target if ok else None)


def test_session_expired() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    stamp = int(now.timestamp())
    fresh = {"contact_id": 1, "portal_login_at": stamp, "portal_seen_at": stamp}
    assert not session_expired(fresh, now)
    assert not session_expired(fresh, now + IDLE_TIMEOUT - timedelta(seconds=1))
    assert session_expired(fresh, now + IDLE_TIMEOUT)
    active = {
        **fresh,
        "portal_seen_at": stamp + int((MAX_SESSION_AGE - timedelta(minutes=1)).total_seconds()),
    }
    assert not session_expired(active, now + MAX_SESSION_AGE - timedelta(seconds=1))
    assert session_expired(active, now + MAX_SESSION_AGE)
    assert session_expired({"contact_id": 1}, now)  # not made by the portal
    assert session_expired({**fresh, "portal_login_at": "1"}, now)
    assert session_expired(
        fresh, now - timedelta(hours=1)
    )  # signed in "in the future": forged or broken clock
