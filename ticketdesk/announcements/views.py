"""Staff pages for announcements (blueprint ``announcements`` under /announcements): the list, a new
outage / maintenance / internal incident with a preview that shows what is still missing, one
announcement with its messages, the next message, and per-recipient delivery (mail state and route,
SMS state). The admin pages for templates, groups and services are in ``catalog_views``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ticketdesk.announcements import catalog, queries, service, states
from ticketdesk.announcements.compose import PlaceholdersUnfilled, zone
from ticketdesk.announcements.forms import (
    FormError,
    form_inputs,
    int_list,
    local_input,
    local_time,
    values_from,
)
from ticketdesk.announcements.models import AnnouncementTemplate, ContactGroup
from ticketdesk.announcements.states import AnnouncementStateError
from ticketdesk.announcements.templates import AUTOMATIC, TIME_NAMES
from ticketdesk.errors import DomainError
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow

bp = Blueprint("announcements", __name__, url_prefix="/announcements")


@bp.before_request
def _staff_only() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if not hasattr(current_user, "role"):
        abort(403, description=_("Only staff can open this page."))
    return None


def _templates(kind: str) -> list[AnnouncementTemplate]:
    return list(
        db.session.scalars(
            select(AnnouncementTemplate)
            .where(AnnouncementTemplate.kind == kind)
            .order_by(AnnouncementTemplate.name, AnnouncementTemplate.language)
        )
    )


def _groups() -> list[ContactGroup]:
    return list(db.session.scalars(select(ContactGroup).order_by(ContactGroup.kind, ContactGroup.name)))


def _template_arg(kind: str) -> AnnouncementTemplate | None:
    raw = (request.values.get("template") or "").strip()
    if not raw.isdigit():
        return None
    found = db.session.get(AnnouncementTemplate, int(raw))
    return found if found is not None and found.kind == kind else None


def _fields(template: AnnouncementTemplate | None) -> tuple[list[Any], list[str]]:
    """The placeholder inputs of ``template``'s family (times are separate fields) and its languages."""
    if template is None:
        return [], []
    versions = catalog.family(db.session, template)
    fields = [p for p in catalog.declarations(versions) if p.name not in TIME_NAMES]
    return fields, [v.language for v in versions]


@bp.get("/")
def index() -> Any:
    return render_template(
        "announcements/index.html",
        internal=queries.list_announcements(db.session, state="internal"),
        current=[
            a for a in queries.list_announcements(db.session, state="open") if a.last_update_at is not None
        ],
        closed=queries.list_announcements(db.session, state="closed", limit=30),
        label=states.label,
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    kind = request.values.get("kind", "outage")
    if kind not in states.KINDS:
        abort(404)
    tz = zone(db.session)
    template = _template_arg(kind)
    fields, languages = _fields(template)
    context: dict[str, Any] = {
        "kind": kind,
        "templates": _templates(kind),
        "groups": _groups(),
        "template": template,
        "fields": fields,
        "languages": languages,
        "timezone": tz,
        "statuses": [s for s in states.statuses(kind) if not states.is_closed(kind, s)],
        "automatic": AUTOMATIC,
        "label": states.label,
        "plan": None,
        "form": request.form,
    }
    if request.method == "GET":
        return render_template("announcements/new.html", **context)
    action = request.form.get("action", "preview")
    try:
        group_ids = int_list(request.form.getlist("groups"))
        args: dict[str, Any] = {
            "kind": kind,
            "groups": catalog.groups_by_ids(db.session, group_ids),
            "template": template,
            "values": values_from(request.form, fields, languages, tz),
            "title": request.form.get("title") or None,
            "status": request.form.get("status") or None,
            "starts_at": local_time(request.form.get("starts_at"), tz),
            "expected_end": local_time(request.form.get("expected_end"), tz),
            "public": request.form.get("public") == "1" if request.form.get("public_choice") else None,
        }
        if action == "preview":
            context["plan"] = service.preview_new(db.session, **args, now=utcnow())
            return render_template("announcements/new.html", **context)
        announcement = service.create_announcement(
            db.session,
            **args,
            channels=request.form.getlist("channels") or None,
            internal=action == "internal",
            agent=current_user._get_current_object(),
            now=utcnow(),
        )
        db.session.commit()
    except PlaceholdersUnfilled as err:
        db.session.rollback()
        context["plan"] = service.preview_new(db.session, **args, now=utcnow())
        flash(err.message, "error")
        return render_template("announcements/new.html", **context), 422
    except (DomainError, AnnouncementStateError, FormError) as err:
        db.session.rollback()
        flash(getattr(err, "message", str(err)), "error")
        return render_template("announcements/new.html", **context), 422
    flash(
        _("Announcement sent.") if action != "internal" else _("Incident opened; nobody has been told yet."),
        "info",
    )
    return redirect(url_for("announcements.detail", announcement_id=announcement.id), code=303)


@bp.route("/<int:announcement_id>", methods=["GET", "POST"])
def detail(announcement_id: int) -> Any:
    announcement = queries.get_announcement(db.session, announcement_id, for_update=request.method == "POST")
    tz = zone(db.session)
    template = _template_arg(announcement.kind)
    if template is None and announcement.template_id:
        template = db.session.get(AnnouncementTemplate, announcement.template_id)
    fields, languages = _fields(template)
    updates = queries.sent_updates(db.session, announcement)
    shown = request.args.get("update", type=int) or (updates[0].id if updates else None)
    rows = queries.deliveries(db.session, announcement, update_id=shown) if shown else []
    announced = announcement.last_update_at is not None
    next_statuses = (
        states.allowed(announcement.kind, announcement.status)
        if announced
        else [s for s in states.statuses(announcement.kind) if not states.is_closed(announcement.kind, s)]
    )
    form: Any = (
        request.form
        if request.method == "POST"
        else MultiDict(
            {
                **form_inputs(announcement.values or {}, tz),
                "expected_end": local_input(announcement.expected_end, tz),
                "starts_at": local_input(announcement.starts_at, tz),
            }
        )
    )
    context: dict[str, Any] = {
        "a": announcement,
        "updates": updates,
        "rows": rows,
        "shown": shown,
        "counts": queries.delivery_counts(rows),
        "templates": _templates(announcement.kind),
        "template": template,
        "fields": fields,
        "languages": languages,
        "groups": _groups(),
        "next_statuses": next_statuses,
        "announced": announced,
        "closed": states.is_closed(announcement.kind, announcement.status),
        "label": states.label,
        "timezone": tz,
        "automatic": AUTOMATIC,
        "plan": None,
        "form": form,
    }
    if request.method == "GET":
        return render_template("announcements/detail.html", **context)
    action = request.form.get("action", "preview")
    try:
        if action == "close":
            service.close_internal(db.session, announcement, now=utcnow())
            db.session.commit()
            flash(_("Incident closed without an announcement."), "info")
            return redirect(url_for("announcements.detail", announcement_id=announcement.id), code=303)
        group_ids = int_list(request.form.getlist("groups"))
        args: dict[str, Any] = {
            "status": request.form.get("status") or None,
            "template": template,
            "values": values_from(request.form, fields, languages, tz),
            "title": request.form.get("title") or None,
            "starts_at": local_time(request.form.get("starts_at"), tz),
            "expected_end": local_time(request.form.get("expected_end"), tz),
            "groups": catalog.groups_by_ids(db.session, group_ids) if group_ids else None,
        }
        if action == "preview":
            context["plan"] = service.preview_update(db.session, announcement, **args)
            return render_template("announcements/detail.html", **context)
        service.add_update(
            db.session, announcement, **args, agent=current_user._get_current_object(), now=utcnow()
        )
        db.session.commit()
    except PlaceholdersUnfilled as err:
        db.session.rollback()
        announcement = queries.get_announcement(db.session, announcement_id)
        context["a"] = announcement
        context["plan"] = service.preview_update(db.session, announcement, **args)
        flash(err.message, "error")
        return render_template("announcements/detail.html", **context), 422
    except (DomainError, AnnouncementStateError, FormError) as err:
        db.session.rollback()
        flash(getattr(err, "message", str(err)), "error")
        return redirect(url_for("announcements.detail", announcement_id=announcement_id), code=303)
    flash(_("Message sent."), "info")
    return redirect(url_for("announcements.detail", announcement_id=announcement_id), code=303)


from ticketdesk.announcements import catalog_views  # noqa: E402,F401  (admin pages on this blueprint)
