"""Read and write admin-editable settings (stored in the ``settings`` table, falling back to the
environment/config defaults)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from ticketdesk.admin.models import Setting
from ticketdesk.settings import Settings


def app_settings() -> Settings:
    return current_app.extensions["ticketdesk.settings"]


def get_value(session: Session, key: str, default: Any = None) -> Any:
    row = session.get(Setting, key)
    return default if row is None else row.value


def set_value(session: Session, key: str, value: Any, *, by: str = "") -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value, updated_by=by))
    else:
        row.value, row.updated_by = value, by


def reopen_window(session: Session) -> timedelta:
    days = get_value(session, "reopen_days", app_settings().reopen_days)
    return timedelta(days=int(days))
