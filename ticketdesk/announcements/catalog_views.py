"""Admin pages on the ``announcements`` blueprint: templates (every language of a template is a
version with the same name and kind), contact groups and services with their subscribers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ticketdesk.announcements import catalog, states
from ticketdesk.announcements.forms import FormError, int_list, placeholder_lines, placeholder_text
from ticketdesk.announcements.models import AnnouncementTemplate, ContactGroup
from ticketdesk.announcements.recipients import GROUP_KINDS, contacts_of
from ticketdesk.announcements.templates import AUTOMATIC
from ticketdesk.announcements.views import bp
from ticketdesk.contacts.models import Contact, Organization, Service
from ticketdesk.errors import DomainError
from ticketdesk.extensions import db


def _admin() -> None:
    if not getattr(current_user, "is_admin", False):
        abort(403, description=_("Only admins can change this."))


def _done(action: Callable[[], Any], message: str, back: str) -> Any:
    try:
        action()
        db.session.commit()
        flash(message, "info")
    except (DomainError, FormError) as err:
        db.session.rollback()
        flash(getattr(err, "message", str(err)), "error")
    return redirect(back, code=303)


# --- templates -----------------------------------------------------------------------------------


@bp.get("/templates")
def templates() -> Any:
    rows = db.session.scalars(
        select(AnnouncementTemplate).order_by(
            AnnouncementTemplate.kind, AnnouncementTemplate.name, AnnouncementTemplate.language
        )
    ).all()
    return render_template(
        "announcements/templates.html",
        rows=rows,
        edit=None,
        automatic=AUTOMATIC,
        kinds=states.KINDS,
        placeholder_text="",
    )


@bp.get("/templates/<int:template_id>")
def template(template_id: int) -> Any:
    row = db.session.get(AnnouncementTemplate, template_id) or abort(404)
    rows = db.session.scalars(
        select(AnnouncementTemplate).order_by(
            AnnouncementTemplate.kind, AnnouncementTemplate.name, AnnouncementTemplate.language
        )
    ).all()
    return render_template(
        "announcements/templates.html",
        rows=rows,
        edit=row,
        automatic=AUTOMATIC,
        kinds=states.KINDS,
        placeholder_text=placeholder_text(row.placeholders or []),
    )


@bp.post("/templates")
@bp.post("/templates/<int:template_id>")
def save_template(template_id: int | None = None) -> Any:
    _admin()
    row = db.session.get(AnnouncementTemplate, template_id) if template_id else None
    if template_id and row is None:
        abort(404)
    form = request.form
    try:
        saved = catalog.save_template(
            db.session,
            row,
            name=form.get("name", ""),
            kind=form.get("kind", ""),
            language=form.get("language", ""),
            subject=form.get("subject", ""),
            body=form.get("body", "").replace("\r\n", "\n"),
            sms_text=form.get("sms_text", ""),
            placeholders=placeholder_lines(form.get("placeholders", "")),
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        back = (
            url_for("announcements.template", template_id=template_id)
            if template_id
            else url_for("announcements.templates")
        )
        return redirect(back, code=303)
    flash(_("Template saved."), "info")
    return redirect(url_for("announcements.template", template_id=saved.id), code=303)


# --- groups --------------------------------------------------------------------------------------


@bp.get("/groups")
def groups() -> Any:
    rows = db.session.scalars(select(ContactGroup).order_by(ContactGroup.kind, ContactGroup.name)).all()
    reach = {g.id: len(contacts_of(db.session, [g])) for g in rows}
    return render_template(
        "announcements/groups.html",
        rows=rows,
        reach=reach,
        kinds=GROUP_KINDS,
        services=db.session.scalars(select(Service).order_by(Service.name)).all(),
        organizations=db.session.scalars(select(Organization).order_by(Organization.name)).all(),
        service_names={s.id: s.name for s in db.session.scalars(select(Service))},
        organization_names={o.id: o.name for o in db.session.scalars(select(Organization))},
    )


@bp.get("/groups/<int:group_id>")
def group(group_id: int) -> Any:
    row = db.session.get(ContactGroup, group_id) or abort(404)
    members = catalog.members(db.session, row)
    candidates = db.session.scalars(
        select(Contact)
        .where(Contact.active.is_(True))
        .join(Organization, Organization.id == Contact.organization_id)
        .order_by(Organization.name, Contact.name)
    ).all()
    return render_template(
        "announcements/group.html",
        g=row,
        reach=contacts_of(db.session, [row]),
        members={m.id for m in members},
        candidates=candidates,
    )


@bp.post("/groups")
def create_group() -> Any:
    _admin()
    form = request.form

    def create() -> None:
        catalog.create_group(
            db.session,
            name=form.get("name", ""),
            kind=form.get("kind", ""),
            service_id=int(form["service_id"]) if form.get("service_id", "").isdigit() else None,
            organization_id=int(form["organization_id"])
            if form.get("organization_id", "").isdigit()
            else None,
            member_ids=int_list(form.getlist("members")),
        )

    return _done(create, _("Group created."), url_for("announcements.groups"))


@bp.post("/groups/<int:group_id>")
def update_group(group_id: int) -> Any:
    _admin()
    row = db.session.get(ContactGroup, group_id) or abort(404)
    form = request.form
    back = url_for("announcements.group", group_id=group_id)
    if form.get("action") == "delete":
        return _done(
            lambda: catalog.delete_group(db.session, row),
            _("Group deleted."),
            url_for("announcements.groups"),
        )

    def update() -> None:
        catalog.rename_group(db.session, row, form.get("name", row.name))
        if row.kind == "manual":
            catalog.set_members(db.session, row, int_list(form.getlist("members")))

    return _done(update, _("Group saved."), back)


# --- services ------------------------------------------------------------------------------------


@bp.get("/services")
def services() -> Any:
    rows = db.session.scalars(select(Service).order_by(Service.name)).all()
    return render_template(
        "announcements/services.html",
        rows=rows,
        subscribers={s.id: catalog.subscribers(db.session, s) for s in rows},
        organizations=db.session.scalars(select(Organization).order_by(Organization.name)).all(),
    )


@bp.post("/services")
def create_service() -> Any:
    _admin()
    form = request.form
    return _done(
        lambda: catalog.update_service(
            db.session,
            catalog.create_service(
                db.session,
                slug=form.get("slug", ""),
                name=form.get("name", ""),
                description=form.get("description", ""),
            ),
            organization_ids=int_list(form.getlist("organizations")),
        ),
        _("Service created."),
        url_for("announcements.services"),
    )


@bp.post("/services/<int:service_id>")
def update_service(service_id: int) -> Any:
    _admin()
    row = db.session.get(Service, service_id) or abort(404)
    form = request.form
    return _done(
        lambda: catalog.update_service(
            db.session,
            row,
            name=form.get("name"),
            description=form.get("description"),
            organization_ids=int_list(form.getlist("organizations")),
        ),
        _("Service saved."),
        url_for("announcements.services"),
    )
