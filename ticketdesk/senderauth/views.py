"""The confirmation link: shows what was sent, and a Confirm button (POST with CSRF) that releases it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from ticketdesk.db.blobs import load_blob
from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage
from ticketdesk.intake.parse import parse_message
from ticketdesk.ports.clock import utcnow
from ticketdesk.senderauth import holds

bp = Blueprint("confirm", __name__)


@bp.get("/confirm/<token>")
def show(token: str) -> Any:
    hold = holds.hold_for_token(db.session, token, now=utcnow())
    raw = db.session.get(RawMessage, hold.raw_message_id)
    parsed = parse_message(load_blob(db.session, raw.blob_sha256) or b"") if raw else None
    return render_template("senderauth/confirm.html", token=token, hold=hold, raw=raw, parsed=parsed)


@bp.post("/confirm/<token>")
def confirm(token: str) -> Any:
    now = utcnow()
    hold = holds.hold_for_token(db.session, token, now=now)
    outcome = holds.confirm(db.session, hold, now=now, settings=current_app.extensions["ticketdesk.settings"],
                            dns=current_app.extensions["ticketdesk.ports"].dns)
    return render_template("senderauth/confirmed.html", outcome=outcome)
