"""How long a customer's portal session lives; shared by the portal pages, the JSON API and Socket.IO."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketdesk.contacts.models import Contact

IDLE_TIMEOUT = timedelta(hours=2)
MAX_SESSION_AGE = timedelta(hours=12)


def new_session_data(contact: Contact, now: datetime) -> dict[str, Any]:
    stamp = int(now.timestamp())
    return {"contact_id": contact.id, "portal_login_at": stamp, "portal_seen_at": stamp}


def session_expired(data: Mapping[str, Any], now: datetime) -> bool:
    """Whether a portal session (the keys of ``new_session_data``) has ended: idle too long, too old,
    or not a portal session at all. The JSON API and Socket.IO can call this too."""
    login_at, seen_at = data.get("portal_login_at"), data.get("portal_seen_at")
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return True
    login = datetime.fromtimestamp(login_at, UTC)
    seen = datetime.fromtimestamp(seen_at, UTC)
    return now - login >= MAX_SESSION_AGE or now - seen >= IDLE_TIMEOUT or login > now + timedelta(minutes=5)
