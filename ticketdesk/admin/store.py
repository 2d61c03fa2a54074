"""Read and write admin-editable settings (stored in the ``settings`` table, falling back to the
environment/config defaults)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.admin.models import Setting
from ticketdesk.settings import Settings


def app_settings() -> Settings:
    return current_app.extensions["ticketdesk.settings"]


CACHE_SECONDS = 5.0  # other processes see an admin's change within this time
_CACHE_KEY = "ticketdesk.settings_cache"


def cached(name: str, load: Callable[[], Any]) -> Any:
    """``load()`` kept for a few seconds per process: admin-edited data read on hot paths (per message)."""
    cache: dict[str, tuple[float, Any]] = current_app.extensions.setdefault(_CACHE_KEY, {})
    now = time.monotonic()
    hit = cache.get(name)
    if hit is None or now - hit[0] > CACHE_SECONDS:
        hit = cache[name] = (now, load())
    return hit[1]


def _all_values(session: Session) -> dict[str, Any]:
    return cached("settings", lambda: {row.key: row.value for row in session.scalars(select(Setting))})


def clear_cache() -> None:
    """Forget cached settings (after an admin's change; other processes follow within CACHE_SECONDS)."""
    current_app.extensions.pop(_CACHE_KEY, None)


def get_value(session: Session, key: str, default: Any = None) -> Any:
    return _all_values(session).get(key, default)


def set_value(session: Session, key: str, value: Any, *, by: str = "") -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value, updated_by=by))
    else:
        row.value, row.updated_by = value, by
    session.flush()
    clear_cache()


def reopen_window(session: Session) -> timedelta:
    days = get_value(session, "reopen_days", app_settings().reopen_days)
    return timedelta(days=int(days))
