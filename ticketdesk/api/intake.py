"""The intake log: every stored inbound message with its disposition; retry and quarantine release."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from ticketdesk.api import bp
from ticketdesk.api.auth import require_admin, require_staff
from ticketdesk.api.common import decode_cursor, encode_cursor, limit_arg
from ticketdesk.errors import NotFound
from ticketdesk.extensions import db
from ticketdesk.intake import queries, service
from ticketdesk.intake.models import RawMessage


@bp.get("/intake")
def intake_log() -> Any:
    """Stored inbound messages, newest first; filter by disposition or status."""
    require_staff()
    cursor = decode_cursor(request.args.get("cursor"))
    rows, next_id = queries.intake_page(
        db.session,
        disposition=request.args.get("disposition") or None,
        status=request.args.get("status") or None,
        before_id=cursor.get("id") if cursor else None,
        limit=limit_arg(),
    )
    return jsonify(
        {
            "items": queries.page_dicts(db.session, rows),
            "next": encode_cursor({"id": next_id}) if next_id else None,
        }
    )


@bp.get("/intake/<int:raw_id>")
def intake_item(raw_id: int) -> Any:
    """One stored inbound message."""
    require_staff()
    raw = db.session.get(RawMessage, raw_id)
    if raw is None:
        raise NotFound(f"intake #{raw_id} not found")
    return jsonify(queries.page_dicts(db.session, [raw])[0])


@bp.post("/intake/<int:raw_id>/retry")
def intake_retry(raw_id: int) -> Any:
    """Process a failed message again."""
    require_admin()
    outcome = service.retry(db.session, raw_id)
    return jsonify(
        {
            "id": raw_id,
            "disposition": outcome.disposition,
            "ticket": outcome.ticket_number,
            "detail": outcome.detail,
        }
    )


@bp.post("/intake/<int:raw_id>/release")
def intake_release(raw_id: int) -> Any:
    """Release a quarantined message into a ticket (after the sender was added as a contact)."""
    require_admin()
    outcome = service.release_quarantined(db.session, raw_id)
    return jsonify(
        {
            "id": raw_id,
            "disposition": outcome.disposition,
            "ticket": outcome.ticket_number,
            "detail": outcome.detail,
        }
    )
