"""Admin pages (blueprint ``admin`` under /admin): agents, queues and support addresses, organisations
and contacts, the intake log (retry, release from quarantine) and settings (reopen window, SLA targets).

Views only read the form and call services; refusals come back as a message on the same page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from ticketdesk.accounts.models import Agent
from ticketdesk.accounts.service import create_agent, normalize_email, set_password
from ticketdesk.admin.forms import (
    ROUTING,
    AddressForm,
    AgentEditForm,
    AgentForm,
    ContactForm,
    OrganizationForm,
    QueueForm,
    SettingsForm,
    lines,
)
from ticketdesk.admin.store import app_settings, clear_cache, get_value, set_value
from ticketdesk.contacts import service as contacts
from ticketdesk.contacts.models import Contact, ContactEmail, Organization
from ticketdesk.errors import DomainError
from ticketdesk.extensions import db
from ticketdesk.intake.models import DISPOSITIONS, RawMessage
from ticketdesk.ports.clock import utcnow
from ticketdesk.tickets.models import PRIORITY_RANK, Queue, QueueAddress

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 50


@bp.before_request
def _admins_only() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if not current_user.is_admin:
        abort(403, description=_("Only admins can open this page."))
    return None


def _me() -> str:
    return str(current_user.email)


def _done(action: Callable[[], Any], message: str, back: str) -> Any:
    """Run a change and commit; a refusal rolls back and is shown on the page it came from."""
    try:
        action()
        db.session.commit()
        clear_cache()  # queues, addresses and settings are cached briefly on hot paths: show the change now
        flash(message, "info")
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    except ValueError as err:
        db.session.rollback()
        flash(str(err), "error")
    return redirect(back, code=303)


def _form_errors(form: Any, back: str) -> Any:
    flash(
        "; ".join(
            f"{getattr(form, k).label.text}: {' '.join(v)}"
            for k, v in form.errors.items()
            if hasattr(form, k)
        )
        or _("The form was not valid."),
        "error",
    )
    return redirect(back, code=303)


@bp.get("/")
def index() -> Any:
    return redirect(url_for("admin.agents"))


# --- agents ---------------------------------------------------------------------------------------


def _queue_choices() -> list[tuple[int, str]]:
    return [(q.id, q.name) for q in db.session.scalars(select(Queue).order_by(Queue.name))]


@bp.route("/agents", methods=["GET", "POST"])
def agents() -> Any:
    form = AgentForm()
    form.queues.choices = _queue_choices()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _form_errors(form, url_for("admin.agents"))

        def create() -> None:
            chosen = [
                q for q in db.session.scalars(select(Queue).where(Queue.id.in_(form.queues.data or [])))
            ]
            agent = create_agent(
                db.session,
                email=form.email.data or "",
                name=form.name.data or "",
                password=form.password.data or None,
                role=form.role.data or "agent",
                queues=chosen,
            )
            agent.language = form.language.data or "en"

        return _done(create, _("Agent added."), url_for("admin.agents"))
    rows = list(db.session.scalars(select(Agent).order_by(Agent.active.desc(), Agent.name)))
    return render_template("admin/agents.html", rows=rows, form=form, section="agents")


@bp.route("/agents/<int:agent_id>", methods=["GET", "POST"])
def agent(agent_id: int) -> Any:
    row = db.session.get(Agent, agent_id) or abort(404)
    form = AgentEditForm(obj=row) if request.method == "GET" else AgentEditForm()
    form.queues.choices = _queue_choices()
    if request.method == "GET":
        form.queues.data = [q.id for q in row.queues]
        return render_template("admin/agent.html", row=row, form=form, section="agents")
    if not form.validate_on_submit():
        return _form_errors(form, url_for("admin.agent", agent_id=agent_id))

    def save() -> None:
        if row.id == current_user.id and (form.role.data != "admin" or not form.active.data):
            raise ValueError(_("You cannot take away your own admin role or deactivate yourself."))
        row.role = form.role.data or row.role
        row.active, row.available, row.on_call = (
            bool(form.active.data),
            bool(form.available.data),
            bool(form.on_call.data),
        )
        row.queues = list(db.session.scalars(select(Queue).where(Queue.id.in_(form.queues.data or []))))
        if form.password.data:
            set_password(row, form.password.data)

    return _done(save, _("Agent saved."), url_for("admin.agent", agent_id=agent_id))


# --- queues and addresses ----------------------------------------------------------------------------


@bp.route("/queues", methods=["GET", "POST"])
def queues() -> Any:
    form = QueueForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _form_errors(form, url_for("admin.queues"))

        def create() -> None:
            slug = (form.slug.data or "").strip().lower()
            if not slug.replace("-", "").replace("_", "").isalnum():
                raise ValueError(_("The short name may hold letters, digits, - and _ only."))
            if db.session.scalar(select(Queue.id).where(Queue.slug == slug)) is not None:
                raise ValueError(_("A queue with that short name exists."))
            db.session.add(
                Queue(
                    slug=slug,
                    name=form.name.data,
                    routing_mode=form.routing_mode.data,
                    load_cap=form.load_cap.data or 10,
                )
            )

        return _done(create, _("Queue added."), url_for("admin.queues"))
    rows = list(db.session.scalars(select(Queue).order_by(Queue.name)))
    configured = app_settings().support_addresses
    return render_template(
        "admin/queues.html",
        rows=rows,
        form=form,
        address_form=AddressForm(formdata=None),
        configured=configured,
        routing=ROUTING,
        section="queues",
    )


@bp.post("/queues/<int:queue_id>")
def queue_edit(queue_id: int) -> Any:
    row = db.session.get(Queue, queue_id) or abort(404)
    form = QueueForm()
    form.slug.data = row.slug
    if not form.validate_on_submit():
        return _form_errors(form, url_for("admin.queues"))

    def save() -> None:
        row.name, row.routing_mode, row.load_cap = form.name.data, form.routing_mode.data, form.load_cap.data

    return _done(save, _("Queue saved."), url_for("admin.queues"))


@bp.post("/queues/<int:queue_id>/addresses")
def address_add(queue_id: int) -> Any:
    row = db.session.get(Queue, queue_id) or abort(404)
    form = AddressForm()
    if not form.validate_on_submit():
        return _form_errors(form, url_for("admin.queues"))

    def add() -> None:
        address = normalize_email(form.address.data or "")
        if db.session.scalar(select(QueueAddress.id).where(QueueAddress.address == address)) is not None:
            raise ValueError(_("That address already belongs to a queue."))
        row.addresses.append(QueueAddress(address=address))

    return _done(add, _("Address added."), url_for("admin.queues"))


@bp.post("/addresses/<int:address_id>/delete")
def address_delete(address_id: int) -> Any:
    row = db.session.get(QueueAddress, address_id) or abort(404)

    def delete() -> None:
        if row.address in app_settings().support_addresses:
            raise ValueError(_("This address comes from TICKETDESK_SUPPORT_ADDRESSES; change it there."))
        db.session.delete(row)

    return _done(delete, _("Address removed."), url_for("admin.queues"))


# --- organisations and contacts ------------------------------------------------------------------------


@bp.route("/organizations", methods=["GET", "POST"])
def organizations() -> Any:
    form = OrganizationForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _form_errors(form, url_for("admin.organizations"))
        created: list[Organization] = []

        def create() -> None:
            created.append(
                contacts.create_organization(
                    db.session,
                    name=form.name.data or "",
                    client_number=form.client_number.data or None,
                    pin=form.pin.data or None,
                    services=lines(form.services.data),
                    language=form.language.data or "en",
                )
            )

        response = _done(create, _("Organisation added."), url_for("admin.organizations"))
        return (
            redirect(url_for("admin.organization", org_id=created[0].id), code=303) if created else response
        )
    q = (request.args.get("q") or "").strip()[:100]
    stmt = select(Organization).order_by(Organization.name)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(func.lower(Organization.name).like(like), func.lower(Organization.client_number).like(like))
        )
    page = max(int(request.args.get("page", "1")) if request.args.get("page", "1").isdigit() else 1, 1)
    rows = list(db.session.scalars(stmt.offset((page - 1) * PAGE).limit(PAGE + 1)))
    counts = dict(
        db.session.execute(
            select(Contact.organization_id, func.count())
            .where(Contact.organization_id.in_([o.id for o in rows]))
            .group_by(Contact.organization_id)
        ).all()
    )
    return render_template(
        "admin/organizations.html",
        rows=rows[:PAGE],
        more=len(rows) > PAGE,
        page=page,
        q=q,
        counts=counts,
        form=form,
        section="organizations",
    )


@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
def organization(org_id: int) -> Any:
    org = db.session.get(Organization, org_id) or abort(404)
    back = url_for("admin.organization", org_id=org_id)
    if request.method == "POST":
        form = OrganizationForm()
        if not form.validate_on_submit():
            return _form_errors(form, back)
        changes: dict[str, Any] = {
            "name": form.name.data,
            "language": form.language.data,
            "services": lines(form.services.data),
        }
        if form.client_number.data:
            changes["client_number"] = form.client_number.data.strip()
        if form.pin.data:
            changes["pin"] = form.pin.data
        if request.form.get("clear_pin") == "1":
            changes["pin"] = None
        return _done(
            lambda: contacts.update_organization(db.session, org, changes), _("Organisation saved."), back
        )
    form = OrganizationForm(formdata=None, obj=org)
    form.services.data = ", ".join(s.slug for s in org.services)
    form.pin.data = ""
    people = list(
        db.session.scalars(
            select(Contact)
            .where(Contact.organization_id == org.id)
            .order_by(Contact.active.desc(), Contact.name)
        )
    )
    return render_template(
        "admin/organization.html",
        org=org,
        form=form,
        people=people,
        contact_form=ContactForm(formdata=None),
        section="organizations",
    )


def _contact_changes(form: ContactForm) -> dict[str, Any]:
    return {
        "name": form.name.data,
        "emails": lines(form.emails.data),
        "phones": lines(form.phones.data),
        "technical": bool(form.technical.data),
        "is_admin": bool(form.is_admin.data),
    }


@bp.post("/organizations/<int:org_id>/contacts")
def contact_add(org_id: int) -> Any:
    org = db.session.get(Organization, org_id) or abort(404)
    form = ContactForm()
    back = url_for("admin.organization", org_id=org_id)
    if not form.validate_on_submit():
        return _form_errors(form, back)
    data = _contact_changes(form)
    return _done(lambda: contacts.create_contact(db.session, org, **data), _("Contact added."), back)


@bp.post("/contacts/<int:contact_id>")
def contact_edit(contact_id: int) -> Any:
    contact = db.session.get(Contact, contact_id) or abort(404)
    form = ContactForm()
    back = url_for("admin.organization", org_id=contact.organization_id)
    if not form.validate_on_submit():
        return _form_errors(form, back)
    changes = {**_contact_changes(form), "active": bool(form.active.data)}
    return _done(
        lambda: contacts.update_contact(db.session, contact, changes, now=utcnow()), _("Contact saved."), back
    )


# --- intake log -------------------------------------------------------------------------------------


@bp.get("/intake")
def intake() -> Any:
    disposition = request.args.get("disposition", "")
    status = request.args.get("status", "")
    before = request.args.get("before", "")
    stmt = select(RawMessage).order_by(RawMessage.id.desc())
    if disposition in DISPOSITIONS:
        stmt = stmt.where(RawMessage.disposition == disposition)
    if status in ("pending", "done", "failed"):
        stmt = stmt.where(RawMessage.status == status)
    if before.isdigit():
        stmt = stmt.where(RawMessage.id < int(before))
    rows = list(db.session.scalars(stmt.limit(PAGE + 1)))
    counts = dict(
        db.session.execute(
            select(RawMessage.disposition, func.count()).group_by(RawMessage.disposition)
        ).all()
    )
    known = {
        e.address
        for e in db.session.scalars(
            select(ContactEmail).where(
                ContactEmail.address.in_({r.from_addr.lower() for r in rows if r.from_addr})
            )
        )
    }
    return render_template(
        "admin/intake.html",
        rows=rows[:PAGE],
        more=len(rows) > PAGE,
        counts=counts,
        dispositions=DISPOSITIONS,
        disposition=disposition,
        status=status,
        known=known,
        section="intake",
    )


@bp.get("/intake/<int:raw_id>")
def intake_message(raw_id: int) -> Any:
    from ticketdesk.db.blobs import load_blob

    row = db.session.get(RawMessage, raw_id) or abort(404)
    data = load_blob(db.session, row.blob_sha256) or b""
    source = data[:200_000].decode("utf-8", errors="replace")
    return render_template(
        "admin/intake_message.html", row=row, source=source, truncated=len(data) > 200_000, section="intake"
    )


@bp.post("/intake/<int:raw_id>/retry")
def intake_retry(raw_id: int) -> Any:
    from ticketdesk.intake.service import retry

    db.session.get(RawMessage, raw_id) or abort(404)
    return _done(
        lambda: retry(db.session, raw_id, now=utcnow()),
        _("The message was processed again."),
        request.referrer if _local(request.referrer) else url_for("admin.intake"),
    )


@bp.post("/intake/<int:raw_id>/release")
def intake_release(raw_id: int) -> Any:
    """Release a quarantined message; with a client number, first add its sender as a contact there."""
    from ticketdesk.intake.service import release_quarantined

    row = db.session.get(RawMessage, raw_id) or abort(404)
    client_number = (request.form.get("client_number") or "").strip()
    name = (request.form.get("name") or "").strip()

    def release() -> None:
        if client_number:
            org = db.session.scalar(select(Organization).where(Organization.client_number == client_number))
            if org is None:
                raise ValueError(_("No organisation has the client number %(n)s.", n=client_number))
            if contacts.find_contact_by_email(db.session, row.from_addr) is None:
                contacts.create_contact(db.session, org, name=name or row.from_addr, emails=[row.from_addr])
            db.session.flush()
        release_quarantined(db.session, raw_id, now=utcnow())

    return _done(release, _("The message was released."), url_for("admin.intake"))


def _local(url: str | None) -> bool:
    from urllib.parse import urlsplit

    return bool(url) and urlsplit(url).netloc in ("", request.host)


# --- settings ---------------------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> Any:
    from ticketdesk.sla.targets import SlaPolicy, SlaTarget

    stored = get_value(db.session, "sla.policy") or {}
    policy = SlaPolicy.from_dict(stored)
    form = (
        SettingsForm()
        if request.method == "POST"
        else SettingsForm(
            formdata=None, reopen_days=get_value(db.session, "reopen_days", app_settings().reopen_days)
        )
    )
    if request.method == "POST":
        if not form.validate_on_submit():
            return _form_errors(form, url_for("admin.settings"))

        def save() -> None:
            targets = {}
            for priority in PRIORITY_RANK:
                raw_first = request.form.get(f"{priority}_first", "")
                raw_resolution = request.form.get(f"{priority}_resolution", "")
                if not raw_first.isdigit() or not raw_resolution.isdigit():
                    raise ValueError(_("SLA targets are whole numbers of minutes (%(p)s).", p=priority))
                targets[priority] = SlaTarget(
                    int(raw_first), int(raw_resolution), request.form.get(f"{priority}_247") == "1"
                ).to_dict()
            new_policy = {**policy.to_dict(), "targets": targets}
            SlaPolicy.from_dict(new_policy)  # validates
            set_value(db.session, "sla.policy", new_policy, by=_me())
            set_value(db.session, "reopen_days", int(form.reopen_days.data or 0), by=_me())

        return _done(
            save,
            _("Settings saved. New SLA targets apply to tickets from now on."),
            url_for("admin.settings"),
        )
    return render_template(
        "admin/settings.html", form=form, policy=policy, priorities=list(PRIORITY_RANK), section="settings"
    )
