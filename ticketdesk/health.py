"""``/healthz``: is the database reachable."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from ticketdesk import __version__
from ticketdesk.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as err:  # reported, not raised: a health check must answer
        database = f"error: {type(err).__name__}"
    status = 200 if database == "ok" else 503
    return jsonify(
        {"status": "ok" if status == 200 else "degraded", "database": database, "version": __version__}
    ), status
