"""The agent workspace: the queue page and the ticket page with its actions (blueprint ``tickets``).

Every action is a plain form POST (works without JavaScript) that goes through ``tickets/service.py``
and redirects back; a refused action (lifecycle, claim race, stale ticket) answers the page again with
the reason and a fitting status (409, 422). The page script only adds live refreshes and presence.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ticketdesk.admin.store import reopen_window
from ticketdesk.contacts.models import Contact, Organization
from ticketdesk.errors import DomainError
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow
from ticketdesk.tickets import queries, service
from ticketdesk.tickets.forms import CcForm, CcRemoveForm, MessageForm, PriorityForm, ScheduleForm, StatusForm
from ticketdesk.tickets.history import ActorRef
from ticketdesk.tickets.models import PRIORITY_RANK, Message, Queue, Ticket
from ticketdesk.tickets.search import QueueQuery, list_queue, queue_counts
from ticketdesk.tickets.states import STATUSES, LifecycleError, Status, allowed_targets

bp = Blueprint("tickets", __name__)
PAGE_SIZE = 50


@bp.before_request
def _agents_only() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    return None


def _agent() -> Any:
    return current_user._get_current_object()


# --- queue ------------------------------------------------------------------------------------------


def _encode(cursor: tuple | None) -> str | None:
    if cursor is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(list(cursor)).encode()).decode().rstrip("=")


def _decode(raw: str | None) -> tuple | None:
    if not raw:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode((raw + "=" * (-len(raw) % 4)).encode()))
        rank, has_due, due, last_id = value
        if not (isinstance(rank, int) and isinstance(has_due, bool) and isinstance(last_id, int)):
            raise ValueError
        if due is not None and not isinstance(due, str):
            raise ValueError
        return rank, has_due, due, last_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        abort(400, description="the page link is not valid")


def _int(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() else None


def queue_args() -> dict[str, Any]:
    args = request.args
    status = args.get("status", "")
    return {
        "queue": args.get("queue", ""),
        "status": status if status in STATUSES or status == "all" else "",
        "priority": args.get("priority", "") if args.get("priority") in PRIORITY_RANK else "",
        "mine": args.get("mine") == "1",
        "unclaimed": args.get("unclaimed") == "1",
        "org": _int("org"),
        "q": (args.get("q") or "").strip()[:200],
    }


def _filter(a: dict[str, Any]) -> queries.TicketFilter:
    statuses = list(STATUSES) if a["status"] == "all" else ([a["status"]] if a["status"] else None)
    return queries.TicketFilter(
        status=statuses,
        queue=a["queue"] or None,
        priority=[a["priority"]] if a["priority"] else None,
        organization_id=a["org"],
        claimed_by_id=_agent().id if a["mine"] else None,
        unclaimed=a["unclaimed"],
    )


@bp.get("/queue")
def queue() -> Any:
    a = queue_args()
    queues = list(db.session.scalars(select(Queue).order_by(Queue.name)))
    if a["queue"] and a["queue"] not in {q.slug for q in queues}:
        abort(404, description=_("There is no such queue."))
    rows, nxt = list_queue(
        db.session, QueueQuery(_filter(a), a["q"]), after=_decode(request.args.get("after")), limit=PAGE_SIZE
    )
    counts = queue_counts(db.session, agent_id=_agent().id)
    org = db.session.get(Organization, a["org"]) if a["org"] else None

    def link(**changes: Any) -> str:
        params = {k: v for k, v in {**a, **changes}.items() if v not in ("", None, False)}
        params = {k: ("1" if v is True else v) for k, v in params.items()}
        return url_for("tickets.queue", **params)

    return render_template(
        "tickets/queue.html",
        rows=rows,
        next_cursor=_encode(nxt),
        counts=counts,
        queues=queues,
        a=a,
        org=org,
        link=link,
        paged=bool(request.args.get("after")),
        now=utcnow(),
        statuses=STATUSES,
        priorities=list(PRIORITY_RANK),
    )


# --- ticket page ------------------------------------------------------------------------------------


def _page(
    ticket: Ticket, *, status: int = 200, message_form: MessageForm | None = None, stale: bool = False
) -> Any:
    session = db.session
    now = utcnow()
    messages = queries.messages_of(session, ticket, include_notes=True)
    events = queries.events_of(session, ticket, client_view=False)
    allowed = [
        s.value
        for s in allowed_targets(
            service.state_of(ticket), "agent", now=now, reopen_window=reopen_window(session)
        )
    ]
    contacts = list(
        session.scalars(
            select(Contact)
            .where(Contact.organization_id == ticket.organization_id)
            .order_by(Contact.active.desc(), Contact.name)
            .limit(50)
        )
    )
    others = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.organization_id == ticket.organization_id, Ticket.id != ticket.id)
            .order_by(Ticket.updated_at.desc())
            .limit(10)
        )
    )
    form = message_form or MessageForm(formdata=None, version=ticket.version)
    return render_template(
        "tickets/ticket.html",
        ticket=ticket,
        messages=messages,
        events=events,
        allowed=allowed,
        contacts=contacts,
        others=others,
        form=form,
        stale=stale,
        now=now,
        status_form=StatusForm(formdata=None),
        schedule_form=ScheduleForm(formdata=None),
        priority_form=PriorityForm(formdata=None, priority=ticket.priority),
        cc_form=CcForm(formdata=None),
        cc_remove_form=CcRemoveForm(formdata=None),
        can_schedule=Status.SCHEDULED.value in allowed,
    ), status


@bp.get("/tickets/<int:number>")
def ticket(number: int) -> Any:
    return _page(queries.get_ticket(db.session, number, org_scope=None))


def _act(number: int, action: Callable[[Ticket], Any], done: str) -> Any:
    """Run one change in one transaction; on a refusal answer the page with the reason."""
    ticket = queries.get_ticket(db.session, number, org_scope=None)
    try:
        action(ticket)
        db.session.commit()
    except (DomainError, LifecycleError) as err:
        db.session.rollback()
        code = err.status if isinstance(err, DomainError) else 409
        flash(err.message if isinstance(err, DomainError) else str(err), "error")
        return _page(queries.get_ticket(db.session, number, org_scope=None), status=code)
    if done:
        flash(done, "info")
    return redirect(url_for("tickets.ticket", number=number), code=303)


def _invalid(number: int, form: Any) -> Any:
    problems = "; ".join(
        f"{getattr(form, k).label.text}: {', '.join(v)}" for k, v in form.errors.items() if hasattr(form, k)
    )
    flash(problems or _("The form was not valid."), "error")
    return _page(queries.get_ticket(db.session, number, org_scope=None), status=422)


@bp.post("/tickets/<int:number>/claim")
def claim(number: int) -> Any:
    return _act(
        number,
        lambda t: service.claim(db.session, number, _agent(), now=utcnow()),
        _("You hold this ticket now."),
    )


@bp.post("/tickets/<int:number>/release")
def release(number: int) -> Any:
    def run(_t: Ticket) -> None:
        ticket = service.get_for_update(db.session, number)
        service.release(
            db.session, ticket, ActorRef.agent(_agent()), now=utcnow(), by_admin=_agent().is_admin
        )

    return _act(number, run, _("The ticket is back in the shared queue."))


@bp.post("/tickets/<int:number>/status")
def change_status(number: int) -> Any:
    form = StatusForm()
    if not form.validate_on_submit():
        return _invalid(number, form)

    def run(_t: Ticket) -> None:
        ticket = service.get_for_update(db.session, number)
        service.change_status(
            db.session, ticket, form.status.data or "", ActorRef.agent(_agent()), now=utcnow()
        )

    return _act(number, run, _("Status changed."))


@bp.post("/tickets/<int:number>/schedule")
def schedule(number: int) -> Any:
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _invalid(number, form)

    def run(_t: Ticket) -> None:
        ticket = service.get_for_update(db.session, number)
        when = form.moment(ticket.organization.timezone)
        service.change_status(
            db.session, ticket, "scheduled", ActorRef.agent(_agent()), now=utcnow(), scheduled_for=when
        )

    return _act(number, run, _("The ticket is scheduled."))


@bp.post("/tickets/<int:number>/priority")
def set_priority(number: int) -> Any:
    form = PriorityForm()
    if not form.validate_on_submit():
        return _invalid(number, form)

    def run(_t: Ticket) -> None:
        ticket = service.get_for_update(db.session, number)
        service.set_priority(
            db.session,
            ticket,
            form.priority.data or "",
            ActorRef.agent(_agent()),
            now=utcnow(),
            reasons=[{"effect": "manual", "detail": f"set by {_agent().name}"}],
        )

    return _act(number, run, _("Priority changed."))


@bp.post("/tickets/<int:number>/cc")
def add_cc(number: int) -> Any:
    form = CcForm()
    if not form.validate_on_submit():
        return _invalid(number, form)

    def run(_t: Ticket) -> None:
        ticket = service.get_for_update(db.session, number)
        service.add_cc(db.session, ticket, form.email.data or "", ActorRef.agent(_agent()), now=utcnow())

    return _act(number, run, _("Added to copy."))


@bp.post("/tickets/<int:number>/cc/remove")
def remove_cc(number: int) -> Any:
    form = CcRemoveForm()
    if not form.validate_on_submit():
        return _invalid(number, form)

    def run(_t: Ticket) -> None:
        ticket = service.get_for_update(db.session, number)
        service.remove_cc(db.session, ticket, form.email.data or "", ActorRef.agent(_agent()), now=utcnow())

    return _act(number, run, _("Removed from copy."))


@bp.post("/tickets/<int:number>/messages")
def add_message(number: int) -> Any:
    form = MessageForm()
    if not form.validate_on_submit():
        return _invalid(number, form)
    ticket = service.get_for_update(db.session, number)
    if form.version.data != ticket.version and form.confirm_stale.data != "1":
        # Someone changed the ticket since this agent opened it: show what changed, keep the draft.
        db.session.rollback()
        flash(
            _(
                "This ticket changed since you opened it. Check the latest messages and events, "
                "then send again."
            ),
            "warning",
        )
        return _page(
            queries.get_ticket(db.session, number, org_scope=None), status=409, message_form=form, stale=True
        )
    kind = form.kind.data if form.kind.data in ("reply", "note") else "reply"

    def run(t: Ticket) -> None:
        service.add_agent_message(
            db.session,
            t,
            _agent(),
            kind=kind,
            text=form.text.data or "",
            now=utcnow(),
            requires_action=bool(form.requires_action.data),
        )

    done = _("Reply sent.") if kind == "reply" else _("Note added.")
    return _act(number, lambda _t: run(ticket), done)


@bp.app_template_filter("safe_mail_html")
def safe_mail_html(html: str | None, message: Message, number: int) -> Any:
    """Mail HTML as stored: the intake sanitised it (nh3) and pointed inline images at /attachments/."""
    from markupsafe import Markup

    return Markup(html or "")  # noqa: S704  (sanitised by the intake before it was stored)
