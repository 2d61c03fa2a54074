"""Announcement endpoints: outages and planned maintenance, their messages and per-recipient delivery,
a preview naming what is still unfilled, and the admin's templates, contact groups and services.

``POST /announcements`` answers 422 (``placeholders_unfilled``) naming every unfilled placeholder in
``error.details.missing`` (also ``invalid`` times and ``leftovers`` markers); nothing is sent then.
Agents announce; admins edit templates, groups and services.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from flask import jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from ticketdesk.announcements import catalog, queries, service
from ticketdesk.announcements.models import AnnouncementTemplate, ContactGroup
from ticketdesk.announcements.serialize import (
    announcement_dict,
    draft_dict,
    group_dict,
    service_dict,
    template_dict,
    update_dict,
)
from ticketdesk.announcements.states import AnnouncementStateError
from ticketdesk.api import bp
from ticketdesk.api.auth import require_admin, require_staff
from ticketdesk.api.common import body, decode_cursor, encode_cursor, int_arg, limit_arg
from ticketdesk.api.openapi import documents
from ticketdesk.errors import Conflict, NotFound, ValidationFailed
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow

Value = str | dict[str, str]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AnnouncementIn(Strict):
    kind: Literal["outage", "maintenance"]
    groups: list[int] = Field(default_factory=list)
    template: int | str | None = None
    values: dict[str, Value] = Field(default_factory=dict)
    title: str | None = Field(default=None, max_length=300)
    status: str | None = None
    starts_at: datetime | None = None
    expected_end: datetime | None = None
    public: bool | None = None
    channels: list[Literal["email", "sms"]] | None = None
    internal: bool = False  # open an incident without telling anyone yet


class UpdateIn(Strict):
    status: str | None = None
    template: int | str | None = None
    values: dict[str, Value] = Field(default_factory=dict)
    title: str | None = Field(default=None, max_length=300)
    starts_at: datetime | None = None
    expected_end: datetime | None = None
    groups: list[int] | None = None


class TemplateIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["outage", "maintenance"]
    language: str = Field(default="en", min_length=2, max_length=2)
    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1)
    sms_text: str = ""
    placeholders: list[str | dict[str, Any]] = Field(default_factory=list)


class TemplatePatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    language: str | None = Field(default=None, min_length=2, max_length=2)
    subject: str | None = Field(default=None, min_length=1, max_length=500)
    body: str | None = Field(default=None, min_length=1)
    sms_text: str | None = None
    placeholders: list[str | dict[str, Any]] | None = None


class GroupIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["service", "organization", "manual", "everyone"]
    service: int | str | None = None
    organization_id: int | None = None
    members: list[int] = Field(default_factory=list)


class GroupPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    members: list[int] | None = None


class ServiceIn(Strict):
    slug: str = Field(min_length=1, max_length=80)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    organizations: list[int] | None = None


class ServicePatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    organizations: list[int] | None = None


@contextmanager
def lifecycle() -> Iterator[None]:
    try:
        yield
    except AnnouncementStateError as err:
        raise Conflict(str(err), code=err.code) from None


def _template(ref: int | str | None, kind: str) -> AnnouncementTemplate | None:
    return None if ref in (None, "") else catalog.get_template(db.session, ref, kind=kind)  # type: ignore[arg-type]


def _groups(ids: list[int] | None) -> list[ContactGroup]:
    return catalog.groups_by_ids(db.session, ids or [])


def _detail(announcement: Any, status: int = 200) -> Any:
    rows = queries.deliveries(db.session, announcement)
    data = announcement_dict(
        announcement,
        updates=queries.sent_updates(db.session, announcement),
        deliveries=queries.delivery_counts(rows),
    )
    return jsonify(data), status


def _plan_dict(plan: service.Plan) -> dict[str, Any]:
    return {
        "ready": plan.ready,
        "status": plan.status,
        "title": plan.title,
        "recipients": plan.recipients,
        "problems": plan.problems,
        **draft_dict(plan.draft),
    }


# --- announcements -------------------------------------------------------------------------------


@bp.get("/announcements")
def list_announcements() -> Any:
    """Announcements, newest first (filters: kind, state=open|closed|internal)."""
    require_staff()
    kind, state = request.args.get("kind"), request.args.get("state")
    if kind not in (None, "", "outage", "maintenance") or state not in (
        None,
        "",
        "open",
        "closed",
        "internal",
    ):
        raise ValidationFailed("kind is outage|maintenance; state is open|closed|internal")
    limit = limit_arg()
    cursor = decode_cursor(request.args.get("cursor"))
    items = queries.list_announcements(
        db.session,
        kind=kind or None,
        state=state or None,
        limit=limit + 1,
        before_id=int(cursor["id"]) if cursor and "id" in cursor else None,
    )
    more = len(items) > limit
    items = items[:limit]
    return jsonify(
        {
            "items": [announcement_dict(a) for a in items],
            "next": encode_cursor({"id": items[-1].id}) if more and items else None,
        }
    )


def _first_message(data: AnnouncementIn) -> dict[str, Any]:
    """What creating and previewing an announcement both take from the request."""
    return {
        "kind": data.kind,
        "groups": _groups(data.groups),
        "template": _template(data.template, data.kind),
        "values": data.values,
        "title": data.title,
        "status": data.status,
        "starts_at": data.starts_at,
        "expected_end": data.expected_end,
        "public": data.public,
    }


@bp.post("/announcements")
def create_announcement() -> Any:
    """Open an outage or maintenance and send its first message (422 names every unfilled placeholder)."""
    principal = require_staff()
    data = body(AnnouncementIn)
    with lifecycle():
        announcement = service.create_announcement(
            db.session,
            **_first_message(data),
            channels=data.channels,
            internal=data.internal,
            agent=principal.agent,
            now=utcnow(),
        )
    db.session.commit()
    return _detail(announcement, 201)


@bp.post("/announcements/preview")
def preview_announcement() -> Any:
    """What the first message would say in every language, and what is still missing."""
    require_staff()
    data = body(AnnouncementIn)
    with lifecycle():
        plan = service.preview_new(
            db.session,
            **_first_message(data),
            now=utcnow(),
        )
    return jsonify(_plan_dict(plan))


@bp.get("/announcements/<int:announcement_id>")
def get_announcement(announcement_id: int) -> Any:
    """One announcement with its messages (newest first) and delivery counts per channel and state."""
    require_staff()
    return _detail(queries.get_announcement(db.session, announcement_id))


@bp.post("/announcements/<int:announcement_id>/updates")
def add_update(announcement_id: int) -> Any:
    """Send the next message (update, extension, end); it quotes the earlier ones, newest first."""
    principal = require_staff()
    data = body(UpdateIn)
    announcement = queries.get_announcement(db.session, announcement_id, for_update=True)
    with lifecycle():
        update = service.add_update(
            db.session,
            announcement,
            status=data.status,
            template=_template(data.template, announcement.kind),
            values=data.values,
            title=data.title,
            starts_at=data.starts_at,
            expected_end=data.expected_end,
            groups=_groups(data.groups) if data.groups is not None else None,
            agent=principal.agent,
            now=utcnow(),
        )
    db.session.commit()
    return jsonify({"update": update_dict(update), "announcement": announcement_dict(announcement)}), 201


@bp.post("/announcements/<int:announcement_id>/preview")
def preview_update(announcement_id: int) -> Any:
    """What the next message would say, and what is still missing."""
    require_staff()
    announcement = queries.get_announcement(db.session, announcement_id)
    data = body(UpdateIn)
    with lifecycle():
        plan = service.preview_update(
            db.session,
            announcement,
            status=data.status,
            template=_template(data.template, announcement.kind),
            values=data.values,
            title=data.title,
            starts_at=data.starts_at,
            expected_end=data.expected_end,
            groups=_groups(data.groups) if data.groups is not None else None,
        )
    return jsonify(_plan_dict(plan))


@bp.post("/announcements/<int:announcement_id>/close")
def close_incident(announcement_id: int) -> Any:
    """Close an internal incident that was never announced (409 once a message was sent)."""
    require_staff()
    announcement = queries.get_announcement(db.session, announcement_id, for_update=True)
    service.close_internal(db.session, announcement, now=utcnow())
    db.session.commit()
    return _detail(announcement)


@bp.get("/announcements/<int:announcement_id>/deliveries")
def list_deliveries(announcement_id: int) -> Any:
    """Per recipient and channel: address, mail state and route, SMS state (filter: update)."""
    require_staff()
    announcement = queries.get_announcement(db.session, announcement_id)
    rows = queries.deliveries(db.session, announcement, update_id=int_arg("update"))
    return jsonify(
        {"items": [r.as_dict() for r in rows], "next": None, "counts": queries.delivery_counts(rows)}
    )


# --- templates -----------------------------------------------------------------------------------


@bp.get("/announcement-templates")
def list_templates() -> Any:
    """Announcement templates (every language version)."""
    require_staff()
    from sqlalchemy import select

    rows = db.session.scalars(
        select(AnnouncementTemplate).order_by(
            AnnouncementTemplate.kind, AnnouncementTemplate.name, AnnouncementTemplate.language
        )
    )
    return jsonify({"items": [template_dict(t) for t in rows], "next": None})


@bp.post("/announcement-templates")
def create_template() -> Any:
    """Add a template (or another language version of one: same name and kind)."""
    require_admin()
    data = body(TemplateIn)
    row = catalog.save_template(db.session, None, **data.model_dump())
    db.session.commit()
    return jsonify(template_dict(row)), 201


@bp.get("/announcement-templates/<int:template_id>")
def get_template(template_id: int) -> Any:
    """One template version."""
    require_staff()
    row = db.session.get(AnnouncementTemplate, template_id)
    if row is None:
        raise NotFound(f"template {template_id} not found")
    return jsonify(template_dict(row))


@bp.patch("/announcement-templates/<int:template_id>")
def patch_template(template_id: int) -> Any:
    """Change a template version."""
    require_admin()
    row = db.session.get(AnnouncementTemplate, template_id)
    if row is None:
        raise NotFound(f"template {template_id} not found")
    changes = body(TemplatePatch).model_dump(exclude_unset=True)
    current = {
        "name": row.name,
        "kind": row.kind,
        "language": row.language,
        "subject": row.subject,
        "body": row.body,
        "sms_text": row.sms_text,
        "placeholders": row.placeholders,
    }
    catalog.save_template(db.session, row, **{**current, **changes})
    db.session.commit()
    return jsonify(template_dict(row))


# --- contact groups and services -----------------------------------------------------------------


@bp.get("/contact-groups")
def list_groups() -> Any:
    """Contact groups announcements are sent to."""
    require_staff()
    from sqlalchemy import select

    rows = db.session.scalars(select(ContactGroup).order_by(ContactGroup.name, ContactGroup.id))
    return jsonify({"items": [group_dict(g) for g in rows], "next": None})


@bp.post("/contact-groups")
def create_group() -> Any:
    """Add a group: by service subscribed, by organisation, by hand (members) or everyone."""
    require_admin()
    data = body(GroupIn)
    service_id = catalog.get_service(db.session, data.service).id if data.service not in (None, "") else None
    group = catalog.create_group(
        db.session,
        name=data.name,
        kind=data.kind,
        service_id=service_id,
        organization_id=data.organization_id,
        member_ids=data.members,
    )
    db.session.commit()
    return jsonify({**group_dict(group), "members": [m.id for m in catalog.members(db.session, group)]}), 201


@bp.patch("/contact-groups/<int:group_id>")
def patch_group(group_id: int) -> Any:
    """Rename a group or set the members of a manual group."""
    require_admin()
    group = catalog.get_group(db.session, group_id)
    data = body(GroupPatch)
    if data.name is not None:
        catalog.rename_group(db.session, group, data.name)
    if data.members is not None:
        catalog.set_members(db.session, group, data.members)
    db.session.commit()
    return jsonify({**group_dict(group), "members": [m.id for m in catalog.members(db.session, group)]})


@bp.delete("/contact-groups/<int:group_id>")
def delete_group(group_id: int) -> Any:
    """Delete a group no announcement has used."""
    require_admin()
    catalog.delete_group(db.session, catalog.get_group(db.session, group_id))
    db.session.commit()
    return "", 204


@bp.get("/contact-groups/<int:group_id>/recipients")
def group_recipients(group_id: int) -> Any:
    """Who the group reaches now: active technical and partner contacts, each once."""
    require_staff()
    from ticketdesk.announcements.recipients import contacts_of

    contacts = contacts_of(db.session, [catalog.get_group(db.session, group_id)])
    return jsonify(
        {
            "items": [
                {
                    "id": c.id,
                    "name": c.name,
                    "email": c.primary_email,
                    "organization": {"id": c.organization_id, "name": c.organization.name},
                    "partner": c.partner,
                    "technical": c.technical,
                }
                for c in contacts
            ],
            "next": None,
        }
    )


@bp.get("/services")
def list_services() -> Any:
    """Services customers subscribe to (announcement groups target them)."""
    require_staff()
    from sqlalchemy import select

    from ticketdesk.contacts.models import Service

    rows = db.session.scalars(select(Service).order_by(Service.name))
    return jsonify(
        {"items": [service_dict(s, catalog.subscribers(db.session, s)) for s in rows], "next": None}
    )


@bp.post("/services")
def create_service() -> Any:
    """Add a service (and its subscribed organisations)."""
    require_admin()
    data = body(ServiceIn)
    row = catalog.create_service(db.session, slug=data.slug, name=data.name, description=data.description)
    if data.organizations is not None:
        catalog.update_service(db.session, row, organization_ids=data.organizations)
    db.session.commit()
    return jsonify(service_dict(row, catalog.subscribers(db.session, row))), 201


@bp.patch("/services/<int:service_id>")
def patch_service(service_id: int) -> Any:
    """Rename a service or set which organisations subscribe to it."""
    require_admin()
    row = catalog.get_service(db.session, service_id)
    data = body(ServicePatch)
    catalog.update_service(
        db.session, row, name=data.name, description=data.description, organization_ids=data.organizations
    )
    db.session.commit()
    return jsonify(service_dict(row, catalog.subscribers(db.session, row)))


for _endpoint, _model in (
    ("api.create_announcement", AnnouncementIn),
    ("api.preview_announcement", AnnouncementIn),
    ("api.add_update", UpdateIn),
    ("api.preview_update", UpdateIn),
    ("api.create_template", TemplateIn),
    ("api.patch_template", TemplatePatch),
    ("api.create_group", GroupIn),
    ("api.patch_group", GroupPatch),
    ("api.create_service", ServiceIn),
    ("api.patch_service", ServicePatch),
):
    documents(_endpoint, _model)
