"""Attachment downloads, scoped to whoever may see the ticket; never rendered inline unless a safe image."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response
from sqlalchemy import select

from ticketdesk.api.auth import authenticate
from ticketdesk.db.blobs import load_blob
from ticketdesk.errors import NotFound
from ticketdesk.extensions import db
from ticketdesk.tickets.models import Attachment, Message, Ticket

bp = Blueprint("attachments", __name__)
SAFE_INLINE = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def _send(att: Attachment, *, inline: bool) -> Response:
    data = load_blob(db.session, att.blob_sha256) if att.blob_sha256 else None
    if data is None:
        raise NotFound("this attachment was too large to keep, or is missing")
    ctype = att.content_type if att.content_type in SAFE_INLINE else "application/octet-stream"
    disposition = "inline" if inline and ctype in SAFE_INLINE else "attachment"
    ascii_name = att.filename.encode("ascii", "replace").decode().replace('"', "'")
    resp = Response(data, mimetype=ctype)
    resp.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(att.filename)}"
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


def _visible(stmt: Any) -> Any:
    principal = authenticate()
    stmt = stmt.join(Message, Message.id == Attachment.message_id).join(
        Ticket, Ticket.id == Message.ticket_id
    )
    if principal.org_scope is not None:
        stmt = stmt.where(Ticket.organization_id == principal.org_scope, Message.direction != "note")
    return stmt


@bp.get("/tickets/<int:number>/attachments/<int:attachment_id>")
def download(number: int, attachment_id: int) -> Response:
    att = db.session.scalar(
        _visible(select(Attachment)).where(Attachment.id == attachment_id, Ticket.number == number)
    )
    if att is None:
        raise NotFound("attachment not found")
    return _send(att, inline=False)


@bp.get("/attachments/<sha256>")
def inline_part(sha256: str) -> Response:
    """Inline images of HTML mail (``cid:`` links are rewritten to this URL)."""
    att = db.session.scalar(_visible(select(Attachment)).where(Attachment.blob_sha256 == sha256).limit(1))
    if att is None:
        raise NotFound("attachment not found")
    return _send(att, inline=True)
