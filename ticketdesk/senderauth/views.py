"""The confirmation link: GET shows what was sent (never confirms: mail scanners open links), the
Confirm button POSTs with CSRF and releases the held message into a ticket or its ticket."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from ticketdesk.db.blobs import load_blob
from ticketdesk.errors import NotFound
from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage
from ticketdesk.intake.parse import parse_message
from ticketdesk.ports.clock import utcnow
from ticketdesk.senderauth import holds
from ticketdesk.tickets.models import Ticket

bp = Blueprint("confirm", __name__)
SHOWN_TEXT = 20_000  # characters of the held message shown on the page
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Robots-Tag": "noindex, nofollow",
}


@bp.get("/confirm/<token>")
def show(token: str) -> Any:
    hold = holds.hold_for_token(db.session, token, now=utcnow())
    raw = db.session.get(RawMessage, hold.raw_message_id)
    if raw is None:
        raise NotFound("this confirmation link is not valid")
    settings = current_app.extensions["ticketdesk.settings"]
    parsed = parse_message(
        load_blob(db.session, raw.blob_sha256) or b"", max_attachment_bytes=settings.max_attachment_bytes
    )
    number = (
        db.session.scalar(select(Ticket.number).where(Ticket.id == hold.ticket_id))
        if hold.ticket_id
        else None
    )
    text = parsed.text or ""
    page = render_template(
        "senderauth/confirm.html",
        token=token,
        hold=hold,
        raw=raw,
        text=text[:SHOWN_TEXT],
        cut=len(text) > SHOWN_TEXT,
        attachments=[a.filename for a in parsed.attachments],
        ticket_number=number,
    )
    return page, 200, PRIVATE_HEADERS


@bp.post("/confirm/<token>")
def confirm(token: str) -> Any:
    now = utcnow()
    hold = holds.hold_for_token(db.session, token, now=now)
    outcome = holds.confirm(
        db.session,
        hold,
        now=now,
        settings=current_app.extensions["ticketdesk.settings"],
        dns=current_app.extensions["ticketdesk.ports"].dns,
    )
    return render_template("senderauth/confirmed.html", outcome=outcome), 200, PRIVATE_HEADERS
