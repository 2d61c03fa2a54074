"""Organisation and contact endpoints (create, list, read, update, deactivate), scoped to the caller."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ticketdesk.api import bp
from ticketdesk.api.auth import Principal, current_principal, require_staff
from ticketdesk.api.common import body, decode_cursor, encode_cursor, limit_arg
from ticketdesk.api.openapi import documents
from ticketdesk.contacts import service
from ticketdesk.contacts.models import Contact, ContactEmail, Organization
from ticketdesk.contacts.serialize import contact_dict, organization_dict
from ticketdesk.errors import Forbidden, ValidationFailed
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow


class OrganizationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=200)
    client_number: str | None = Field(default=None, max_length=40)
    pin: str | None = None
    services: list[str] = Field(default_factory=list)
    default_region: str | None = Field(default=None, min_length=2, max_length=2)
    language: str = Field(default="en", max_length=8)
    sender_policy: str = "default"


class OrganizationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    client_number: str | None = Field(default=None, max_length=40)
    pin: str | None = None
    services: list[str] | None = None
    default_region: str | None = Field(default=None, min_length=2, max_length=2)
    language: str | None = None
    sender_policy: str | None = None
    active: bool | None = None


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=200)
    emails: list[str] = Field(min_length=1)
    phones: list[str] = Field(default_factory=list)
    technical: bool = True
    active: bool = True
    is_admin: bool = False
    language: str | None = None


class ContactPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = None
    emails: list[str] | None = None
    phones: list[str] | None = None
    technical: bool | None = None
    active: bool | None = None
    is_admin: bool | None = None
    language: str | None = None


def _may_manage(principal: Principal, org_id: int) -> None:
    if principal.is_staff:
        return
    contact = principal.contact
    if contact is None or contact.organization_id != org_id or not contact.is_admin:
        raise Forbidden("only agents or the organisation's admin contacts can change contacts")


def _page(stmt: Any, model: Any) -> tuple[list[Any], str | None]:
    cursor = decode_cursor(request.args.get("cursor"))
    after = cursor.get("id") if cursor else None
    if after is not None:
        if not isinstance(after, int):
            raise ValidationFailed("the cursor is not valid", code="bad_cursor")
        stmt = stmt.where(model.id > after)
    limit = limit_arg()
    rows = list(db.session.scalars(stmt.order_by(model.id).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor({"id": rows[-1].id}) if more and rows else None)


@bp.get("/organizations")
def list_organizations() -> Any:
    principal = current_principal()
    stmt = select(Organization)
    if principal.org_scope is not None:
        stmt = stmt.where(Organization.id == principal.org_scope)
    if request.args.get("q"):
        stmt = stmt.where(Organization.name.ilike(f"%{request.args['q']}%"))
    rows, nxt = _page(stmt, Organization)
    return jsonify({"items": [organization_dict(o) for o in rows], "next": nxt})


@bp.post("/organizations")
def create_organization() -> Any:
    require_staff()
    data = body(OrganizationIn)
    org = service.create_organization(db.session, **data.model_dump())
    db.session.commit()
    return jsonify(organization_dict(org)), 201


@bp.get("/organizations/<int:org_id>")
def get_organization(org_id: int) -> Any:
    org = service.get_organization(db.session, org_id, scope_org_id=current_principal().org_scope)
    return jsonify(organization_dict(org))


@bp.patch("/organizations/<int:org_id>")
def update_organization(org_id: int) -> Any:
    principal = current_principal()
    org = service.get_organization(db.session, org_id, scope_org_id=principal.org_scope)
    _may_manage(principal, org.id)
    changes = body(OrganizationPatch).model_dump(exclude_unset=True)
    if not principal.is_staff:
        changes.pop("client_number", None)
        changes.pop("active", None)
    service.update_organization(db.session, org, changes)
    db.session.commit()
    return jsonify(organization_dict(org))


@bp.get("/organizations/<int:org_id>/contacts")
def list_contacts(org_id: int) -> Any:
    org = service.get_organization(db.session, org_id, scope_org_id=current_principal().org_scope)
    stmt = select(Contact).where(Contact.organization_id == org.id)
    if request.args.get("active") in ("1", "true"):
        stmt = stmt.where(Contact.active.is_(True))
    rows, nxt = _page(stmt, Contact)
    return jsonify({"items": [contact_dict(c) for c in rows], "next": nxt})


@bp.post("/organizations/<int:org_id>/contacts")
def create_contact(org_id: int) -> Any:
    principal = current_principal()
    org = service.get_organization(db.session, org_id, scope_org_id=principal.org_scope)
    _may_manage(principal, org.id)
    data = body(ContactIn)
    contact = service.create_contact(db.session, org, **data.model_dump())
    db.session.commit()
    return jsonify(contact_dict(contact)), 201


@bp.get("/contacts")
def find_contacts() -> Any:
    principal = current_principal()
    stmt = select(Contact)
    if principal.org_scope is not None:
        stmt = stmt.where(Contact.organization_id == principal.org_scope)
    if request.args.get("email"):
        stmt = stmt.join(ContactEmail).where(ContactEmail.address == request.args["email"].strip().lower())
    rows, nxt = _page(stmt, Contact)
    return jsonify({"items": [contact_dict(c) for c in rows], "next": nxt})


@bp.get("/contacts/<int:contact_id>")
def get_contact(contact_id: int) -> Any:
    contact = service.get_contact(db.session, contact_id, scope_org_id=current_principal().org_scope)
    return jsonify(contact_dict(contact))


@bp.patch("/contacts/<int:contact_id>")
def update_contact(contact_id: int) -> Any:
    principal = current_principal()
    contact = service.get_contact(db.session, contact_id, scope_org_id=principal.org_scope)
    _may_manage(principal, contact.organization_id)
    service.update_contact(
        db.session, contact, body(ContactPatch).model_dump(exclude_unset=True), now=utcnow()
    )
    db.session.commit()
    return jsonify(contact_dict(contact))


@bp.delete("/contacts/<int:contact_id>")
def deactivate_contact(contact_id: int) -> Any:
    principal = current_principal()
    contact = service.get_contact(db.session, contact_id, scope_org_id=principal.org_scope)
    _may_manage(principal, contact.organization_id)
    service.deactivate(contact, now=utcnow())
    db.session.commit()
    return jsonify(contact_dict(contact))


for _endpoint, _model in {
    "api.create_organization": OrganizationIn,
    "api.update_organization": OrganizationPatch,
    "api.create_contact": ContactIn,
    "api.update_contact": ContactPatch,
}.items():
    documents(_endpoint, _model)
