"""Portal ticket pages: the organisation's ticket list, one ticket with its history, and the customer's
actions (open, reply, copy list, confirm a resolution, refuse single-agent handling, follow-up ticket).

Actions are plain form posts that redirect back; a refused action answers the page again with the reason
(409/422) and keeps what was typed. Another organisation's ticket is a 404 on every route.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from ticketdesk.admin.store import app_settings, reopen_window
from ticketdesk.errors import Conflict, ValidationFailed
from ticketdesk.extensions import db, limiter
from ticketdesk.portal import actions, queries
from ticketdesk.portal.forms import ButtonForm, CcForm, CcRemoveForm, NewTicketForm, ReplyForm
from ticketdesk.portal.i18n import _
from ticketdesk.portal.labels import QUEUE_HINT
from ticketdesk.portal.messages import explain
from ticketdesk.portal.views import LINK_USE_LIMIT, _ip, _too_many, bp, me
from ticketdesk.ports.clock import utcnow
from ticketdesk.tickets.states import LifecycleError, ReopenWindowPassed, Status, within_reopen_window

PAGE_SIZE = 25
_REFUSED = (ValidationFailed, Conflict, LifecycleError)


def _uploads() -> list[actions.Upload]:
    files = [f for f in request.files.getlist("attachments") if f and f.filename]
    return [actions.Upload(f.filename or "", f.mimetype or "", f.read()) for f in files]


def _status_of(err: Exception) -> int:
    return int(getattr(err, "status", 409)) if not isinstance(err, LifecycleError) else 409


# --- list ---------------------------------------------------------------------------------------------


@bp.get("/tickets")
def tickets() -> Any:
    contact = me()
    view = request.args.get("view", "open")
    view = view if view in queries.VIEWS else "open"
    q = (request.args.get("q") or "").strip()[:200]
    before = request.args.get("before", type=int)
    rows, next_id = queries.list_tickets(
        db.session, contact.organization_id, view=view, q=q, before_id=before, limit=PAGE_SIZE
    )
    return render_template(
        "portal/tickets.html",
        rows=rows,
        next_id=next_id,
        view=view,
        q=q,
        paged=before is not None,
        counts=queries.counts(db.session, contact.organization_id),
    )


# --- one ticket ---------------------------------------------------------------------------------------


def ticket_page(
    number: int, *, status: int = 200, error: str | None = None, reply_form: Any = None, cc_form: Any = None
) -> Any:
    contact = me()
    ticket = queries.get_ticket(db.session, contact.organization_id, number)
    now = utcnow()
    window = reopen_window(db.session)
    resolved_in_window = ticket.status == Status.RESOLVED and within_reopen_window(
        ticket.resolved_at, now, window
    )
    can_reply = ticket.status not in (Status.CLOSED, Status.RESOLVED) or resolved_in_window
    return render_template(
        "portal/ticket.html",
        t=ticket,
        entries=queries.timeline(db.session, ticket),
        related=queries.related(db.session, ticket),
        can_reply=can_reply,
        resolved_in_window=resolved_in_window,
        reopen_until=(ticket.resolved_at + window) if resolved_in_window and ticket.resolved_at else None,
        reopen_days=window.days,
        reply_form=reply_form or ReplyForm(formdata=None),
        cc_form=cc_form or CcForm(formdata=None),
        button=ButtonForm(),
        error=error,
    ), status


@bp.get("/tickets/<int:number>")
def ticket(number: int) -> Any:
    return ticket_page(number)


@bp.post("/tickets/<int:number>/reply")
def reply(number: int) -> Any:
    contact = me()
    form = ReplyForm()
    if not form.validate_on_submit():
        return ticket_page(number, status=422, reply_form=form, error=_("Please write a message."))
    try:
        actions.reply(
            db.session,
            contact,
            number,
            text=form.text.data or "",
            uploads=_uploads(),
            now=utcnow(),
            max_bytes=app_settings().max_attachment_bytes,
        )
    except ReopenWindowPassed:
        db.session.rollback()
        return new_ticket_page(previous=number, text=form.text.data or "", status=409, reopen_refused=True)
    except _REFUSED as err:
        db.session.rollback()
        return ticket_page(number, status=_status_of(err), error=explain(err), reply_form=form)
    db.session.commit()
    flash(_("Your message was sent."), "info")
    return redirect(url_for("portal.ticket", number=number, _anchor="latest"))


@bp.post("/tickets/<int:number>/cc")
def add_cc(number: int) -> Any:
    contact = me()
    form = CcForm()
    if not form.validate_on_submit():
        return ticket_page(number, status=422, cc_form=form, error=_("Enter an e-mail address."))
    try:
        added = actions.add_cc(db.session, contact, number, form.email.data or "", now=utcnow())
    except _REFUSED as err:
        db.session.rollback()
        return ticket_page(number, status=_status_of(err), error=explain(err), cc_form=form)
    db.session.commit()
    flash(_("Added to the copy: %(emails)s", emails=", ".join(added)), "info")
    return redirect(url_for("portal.ticket", number=number))


@bp.post("/tickets/<int:number>/cc/remove")
def remove_cc(number: int) -> Any:
    contact = me()
    form = CcRemoveForm()
    if not form.validate_on_submit():
        return ticket_page(number, status=422, error=_("Enter an e-mail address."))
    try:
        actions.remove_cc(db.session, contact, number, form.email.data or "", now=utcnow())
    except _REFUSED as err:
        db.session.rollback()
        return ticket_page(number, status=_status_of(err), error=explain(err))
    db.session.commit()
    flash(
        _(
            "%(email)s no longer receives messages about this ticket; we told them once.",
            email=(form.email.data or "").strip().lower(),
        ),
        "info",
    )
    return redirect(url_for("portal.ticket", number=number))


def _button_action(number: int, action: Any, done: str) -> Any:
    contact = me()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        action(db.session, contact, number, now=utcnow())
    except _REFUSED as err:
        db.session.rollback()
        return ticket_page(number, status=_status_of(err), error=explain(err))
    db.session.commit()
    flash(done, "info")
    return redirect(url_for("portal.ticket", number=number))


@bp.post("/tickets/<int:number>/confirm")
def confirm(number: int) -> Any:
    return _button_action(number, actions.confirm, _("Thank you for confirming."))


@bp.post("/tickets/<int:number>/refuse-claim")
def refuse_claim(number: int) -> Any:
    return _button_action(
        number,
        actions.refuse_claim,
        _("Single-agent handling refused: the ticket is back in the shared queue."),
    )


# --- new ticket (also the follow-up of a closed one) --------------------------------------------------


def new_ticket_page(
    *,
    previous: int | None,
    text: str = "",
    status: int = 200,
    form: Any = None,
    reopen_refused: bool = False,
    error: str | None = None,
) -> Any:
    contact = me()
    prev = queries.get_ticket(db.session, contact.organization_id, previous) if previous is not None else None
    if form is None:
        form = NewTicketForm(formdata=None)
        if prev is not None:
            form.subject.data, form.queue.data = prev.subject, prev.queue.slug
        form.text.data = text or None
    _queue_choices(form)
    return render_template(
        "portal/new_ticket.html",
        form=form,
        previous=prev,
        reopen_refused=reopen_refused,
        reopen_days=reopen_window(db.session).days,
        error=error,
    ), status


def _queue_choices(form: NewTicketForm) -> None:
    form.queue.choices = [
        SelectChoice(q.slug, f"{q.name} — {QUEUE_HINT[q.slug]}" if q.slug in QUEUE_HINT else q.name)
        for q in queries.queues(db.session)
    ]


@bp.route("/tickets/new", methods=["GET", "POST"])
def new_ticket() -> Any:
    contact = me()
    previous = request.args.get("previous", type=int)
    if request.method == "GET":
        return new_ticket_page(previous=previous)
    form = NewTicketForm()
    _queue_choices(form)
    if not form.validate_on_submit():
        return new_ticket_page(previous=previous, form=form, status=422)
    try:
        ticket = actions.open_ticket(
            db.session,
            contact,
            queue=form.queue.data or "",
            subject=form.subject.data or "",
            text=form.text.data or "",
            cc=actions.parse_addresses(form.cc.data or ""),
            uploads=_uploads(),
            now=utcnow(),
            max_bytes=app_settings().max_attachment_bytes,
            previous=previous,
        )
    except (ValidationFailed, Conflict) as err:
        db.session.rollback()
        return new_ticket_page(previous=previous, form=form, status=err.status, error=explain(err))
    db.session.commit()
    flash(_("Ticket #%(number)s is open. We have sent you a confirmation.", number=ticket.number), "info")
    return redirect(url_for("portal.ticket", number=ticket.number))


# --- the refusal link mailed when an agent claims a ticket --------------------------------------------


@bp.route("/claims/<token>", methods=["GET", "POST"])
@limiter.limit(LINK_USE_LIMIT, key_func=_ip("portal-claim-link"), error_message=_too_many)
def claim(token: str) -> Any:
    """GET shows what the link would do; the POST (with CSRF) refuses single-agent handling."""
    ticket, live = actions.claim_from_token(db.session, token)
    form = ButtonForm()
    done = False
    status = 200 if live else 410
    if request.method == "POST" and form.validate_on_submit():
        try:
            ticket = actions.refuse_claim_by_token(db.session, token, g.get("portal_contact"), now=utcnow())
            db.session.commit()
            done, live, status = True, False, 200
        except Conflict:
            db.session.rollback()
            live, status = False, 409
    holder = ticket.claimed_by.name if live and ticket.claimed_by else None
    signed_in_here = (
        g.get("portal_contact") is not None and g.portal_contact.organization_id == ticket.organization_id
    )
    return render_template(
        "portal/claim.html",
        ticket=ticket,
        live=live,
        done=done,
        holder=holder,
        form=form,
        token=token,
        signed_in_here=signed_in_here,
    ), status
