"""Agent pages for calls: the call log with filters, one call, and the caller card the popup shows.

The card (``/phone/calls/<id>/card``) is the same HTML in the popup (``static/phone.js`` fetches it
when ``call.incoming`` arrives) and on the call's page. Its forms work without JavaScript (the POST
routes below redirect back with a message); with JavaScript the popup sends them to the JSON API.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ticketdesk.admin.store import app_settings
from ticketdesk.contacts.models import Contact, Organization
from ticketdesk.errors import DomainError, NotFound
from ticketdesk.extensions import db
from ticketdesk.phone import queries, service
from ticketdesk.phone.numbers import format_display
from ticketdesk.ports.clock import utcnow
from ticketdesk.tickets import queries as ticket_queries
from ticketdesk.tickets.models import Queue
from ticketdesk.tickets.queues import default_queue, queue_by_slug

bp = Blueprint("phone", __name__, url_prefix="/phone")
PAGE_SIZE = 50


@bp.before_request
def _agents_only() -> Any:
    if not current_user.is_authenticated or not hasattr(current_user, "queues"):
        if request.path.endswith("/card"):
            abort(401)
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    return None


def _agent() -> Any:
    return current_user._get_current_object()


@bp.app_template_filter("phone_display")
def _phone_display(e164: str | None) -> str:
    return format_display(e164, app_settings().default_region) if e164 else ""


# --- the call log -------------------------------------------------------------------------------------


def _day(name: str, *, end: bool = False) -> datetime | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        flash(f"{name}: use a date such as 2026-05-01", "warning")
        return None
    moment = datetime.combine(day, time.min, tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


def _flag(name: str) -> bool | None:
    return {"yes": True, "no": False}.get(request.args.get(name, ""))


@bp.get("/calls")
def calls() -> Any:
    args = {
        k: request.args.get(k, "")
        for k in ("direction", "state", "verified", "matched", "number", "org", "since", "until")
    }
    org_id = int(args["org"]) if args["org"].isdigit() else None
    f = queries.CallFilter(
        direction=args["direction"] if args["direction"] in ("in", "out") else None,
        state=args["state"] if args["state"] in ("ringing", "answered", "ended") else None,
        verified=_flag("verified"),
        matched=_flag("matched"),
        organization_id=org_id,
        number=args["number"] if any(ch.isdigit() for ch in args["number"]) else None,
        since=_day("since"),
        until=_day("until", end=True),
    )
    after = request.args.get("after", "")
    rows, next_id = queries.list_calls(
        db.session, f, after_id=int(after) if after.isdigit() else None, limit=PAGE_SIZE
    )
    shown = [queries.call_dict(db.session, c) for c in rows]
    orgs = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    return render_template("phone/calls.html", calls=shown, a=args, orgs=orgs, next_id=next_id)


# --- one call -----------------------------------------------------------------------------------------


def _card_context(call_id: int) -> dict[str, Any]:
    call = queries.get_call(db.session, call_id)
    data = queries.popup_dict(db.session, call)
    org_contacts: list[Contact] = []
    if call.organization_id:
        org_contacts = list(
            db.session.scalars(
                select(Contact)
                .where(
                    Contact.organization_id == call.organization_id,
                    Contact.active.is_(True),
                    Contact.technical.is_(True),
                )
                .order_by(Contact.name)
            )
        )
    queues = db.session.scalars(select(Queue).order_by(Queue.id)).all()
    return {"call": data, "contacts": org_contacts, "queues": queues}


@bp.get("/calls/<int:call_id>")
def call_page(call_id: int) -> Any:
    try:
        ctx = _card_context(call_id)
    except NotFound:
        abort(404)
    call = queries.get_call(db.session, call_id)
    ctx["events"] = [queries.event_dict(e) for e in queries.events_of(db.session, call)]
    ctx["attempts"] = [queries.attempt_dict(a) for a in queries.attempts_of(db.session, call)]
    return render_template("phone/call.html", **ctx)


@bp.get("/calls/<int:call_id>/card")
def card(call_id: int) -> Any:
    """The caller card as an HTML fragment (for the popup)."""
    try:
        ctx = _card_context(call_id)
    except NotFound:
        abort(404)
    return render_template("phone/_card.html", **ctx)


def _back(call_id: int) -> Any:
    return redirect(url_for("phone.call_page", call_id=call_id))


@bp.post("/calls/<int:call_id>/verify")
def verify(call_id: int) -> Any:
    call = queries.get_call(db.session, call_id, for_update=True)
    try:
        result = service.verify_caller(
            db.session,
            call,
            pin=request.form.get("pin") or None,
            client_number=request.form.get("client_number") or None,
            now=utcnow(),
            agent=_agent(),
            policy=service.pin_policy(db.session),
        )
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "warning")
        return _back(call_id)
    db.session.commit()
    if result.verified:
        flash("Caller verified.", "success")
    elif result.outcome == "locked":
        flash(f"Locked after too many wrong attempts, until {result.locked_until:%H:%M} UTC.", "error")
    else:
        flash(
            f"Not verified: {result.outcome.replace('_', ' ')}; {result.attempts_left} attempts left.",
            "error",
        )
    return _back(call_id)


@bp.post("/calls/<int:call_id>/ticket")
def open_ticket(call_id: int) -> Any:
    call = queries.get_call(db.session, call_id, for_update=True)
    contact = request.form.get("contact_id", "")
    try:
        slug = request.form.get("queue") or ""
        queue = queue_by_slug(db.session, slug) if slug else default_queue(db.session)
        ticket = service.open_ticket(
            db.session,
            call,
            agent=_agent(),
            subject=(request.form.get("subject") or "").strip() or "Phone call",
            text=(request.form.get("text") or "").strip() or "(taken by phone)",
            queue=queue,
            now=utcnow(),
            contact_id=int(contact) if contact.isdigit() else None,
        )
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "warning")
        return _back(call_id)
    db.session.commit()
    flash(f"Ticket #{ticket.number} opened for the caller.", "success")
    return redirect(f"/tickets/{ticket.number}")


@bp.post("/calls/<int:call_id>/attach")
def attach(call_id: int) -> Any:
    call = queries.get_call(db.session, call_id, for_update=True)
    raw = request.form.get("ticket", "")
    try:
        ticket = ticket_queries.get_ticket(db.session, int(raw) if raw.isdigit() else -1, org_scope=None)
        service.attach_ticket(db.session, call, ticket, agent=_agent(), now=utcnow())
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "warning")
        return _back(call_id)
    db.session.commit()
    flash(f"Call attached to ticket #{ticket.number}.", "success")
    return _back(call_id)
