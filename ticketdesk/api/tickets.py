"""Ticket endpoints: list, detail, create, status, reply/note, claim/release, CC, priority."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from ticketdesk.accounts.service import normalize_email
from ticketdesk.api import bp
from ticketdesk.api.auth import Principal, current_principal, require_staff
from ticketdesk.api.common import body, decode_cursor, encode_cursor, int_arg, limit_arg
from ticketdesk.api.openapi import documents
from ticketdesk.contacts.models import Contact
from ticketdesk.contacts.service import find_contact_by_email, get_contact, get_organization
from ticketdesk.errors import Forbidden, ValidationFailed
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow
from ticketdesk.tickets import queries, service
from ticketdesk.tickets.history import ActorRef
from ticketdesk.tickets.queues import default_queue, queue_by_slug
from ticketdesk.tickets.serialize import event_dict, message_dict, ticket_summary
from ticketdesk.tickets.service import NewMessage


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TicketIn(Strict):
    subject: str = Field(min_length=1, max_length=500)
    text: str = Field(min_length=1)
    queue: str | None = None
    organization_id: int | None = None
    requester_id: int | None = None
    requester_email: str | None = None
    priority: Literal["urgent", "high", "normal", "low"] | None = None
    cc: list[str] = Field(default_factory=list)
    channel: Literal["api", "phone", "portal", "email"] = "api"


class StatusIn(Strict):
    status: str = Field(min_length=1)
    scheduled_for: datetime | None = None
    detail: str = ""


class MessageIn(Strict):
    kind: Literal["reply", "note"] = "reply"
    text: str = Field(min_length=1)
    requires_action: bool = False
    sms_recipients: Literal["requester", "technical"] | None = (
        None  # who gets the SMS of a requires_action reply
    )
    expected_version: int | None = None


class NoteIn(Strict):
    text: str = Field(min_length=1)


class CcIn(Strict):
    email: str = Field(min_length=3, max_length=320)


class PriorityIn(Strict):
    priority: Literal["urgent", "high", "normal", "low"]


def _csv(name: str) -> list[str] | None:
    raw = request.args.get(name)
    return [v.strip() for v in raw.split(",") if v.strip()] if raw else None


def _actor(p: Principal) -> ActorRef:
    return ActorRef.agent(p.agent) if p.agent else ActorRef.client(p.contact)


def ticket_detail(ticket: Any, principal: Principal) -> dict[str, Any]:
    staff = principal.is_staff
    data = ticket_summary(ticket)
    data["messages"] = [
        message_dict(m, ticket.number) for m in queries.messages_of(db.session, ticket, include_notes=staff)
    ]
    data["events"] = [event_dict(e) for e in queries.events_of(db.session, ticket, client_view=not staff)]
    data["priority_explanation"] = ticket.priority_reasons or []
    if staff:
        from ticketdesk.admin.store import reopen_window
        from ticketdesk.tickets.states import allowed_targets

        data["allowed_statuses"] = [
            s.value
            for s in allowed_targets(
                service.state_of(ticket), "agent", now=utcnow(), reopen_window=reopen_window(db.session)
            )
        ]
    return data


@bp.get("/tickets")
def list_tickets() -> Any:
    principal = current_principal()
    f = queries.TicketFilter(
        status=_csv("status"),
        queue=request.args.get("queue") or None,
        priority=_csv("priority"),
        organization_id=int_arg("organization"),
        claimed_by_id=int_arg("claimed_by"),
        unclaimed=request.args.get("unclaimed") in ("1", "true"),
        assignee_id=int_arg("assignee"),
    )
    cursor = decode_cursor(request.args.get("cursor"))
    after = cursor.get("id") if cursor else None
    if after is not None and not isinstance(after, int):
        raise ValidationFailed("the cursor is not valid", code="bad_cursor")
    rows, next_id = queries.list_newest(
        db.session, f, org_scope=principal.org_scope, after_id=after, limit=limit_arg()
    )
    return jsonify(
        {
            "items": [ticket_summary(t) for t in rows],
            "next": encode_cursor({"id": next_id}) if next_id else None,
        }
    )


@bp.post("/tickets")
def create_ticket() -> Any:
    principal = current_principal()
    data = body(TicketIn)
    now = utcnow()
    if principal.contact is not None:
        requester: Contact | None = principal.contact
        channel = "portal"
    elif data.requester_id is not None:
        requester = get_contact(db.session, data.requester_id)
        channel = data.channel
    elif data.requester_email:
        requester = find_contact_by_email(db.session, normalize_email(data.requester_email))
        if requester is None:
            raise ValidationFailed(
                f"no contact has the address {data.requester_email}", code="unknown_contact"
            )
        channel = data.channel
    else:
        raise ValidationFailed("name the requester: requester_id or requester_email")
    if not requester.active or not requester.technical:
        raise ValidationFailed(
            "the requester is not an active technical contact", code="not_technical_contact"
        )
    if data.organization_id is not None and data.organization_id != requester.organization_id:
        raise ValidationFailed("the requester does not belong to that organization")
    org = get_organization(db.session, requester.organization_id)
    queue = queue_by_slug(db.session, data.queue) if data.queue else default_queue(db.session)
    priority = data.priority if principal.is_staff else None
    ticket, _ = service.create_ticket(
        db.session,
        organization=org,
        requester=requester,
        queue=queue,
        subject=data.subject,
        message=NewMessage(
            text=data.text,
            channel=channel,
            from_addr=requester.primary_email or "",
            from_name=requester.name,
            subject=data.subject,
        ),
        actor=_actor(principal),
        now=now,
        cc=[normalize_email(c) for c in data.cc],
        priority=priority,
    )
    db.session.commit()
    return jsonify(ticket_detail(ticket, principal)), 201


@bp.get("/tickets/<int:number>")
def get_ticket(number: int) -> Any:
    principal = current_principal()
    ticket = queries.get_ticket(db.session, number, org_scope=principal.org_scope)
    return jsonify(ticket_detail(ticket, principal))


def _locked(number: int, principal: Principal) -> Any:
    queries.get_ticket(db.session, number, org_scope=principal.org_scope)  # 404 outside the scope
    return service.get_for_update(db.session, number)


@bp.post("/tickets/<int:number>/status")
def change_status(number: int) -> Any:
    principal = current_principal()
    data = body(StatusIn)
    ticket = _locked(number, principal)
    if principal.contact is not None and data.status not in ("resolved", "closed"):
        raise Forbidden("clients can only confirm a resolution")
    when = data.scheduled_for
    if when is not None and when.tzinfo is None:
        raise ValidationFailed("scheduled_for needs a time zone (e.g. 2026-12-01T08:00:00Z)")
    service.change_status(
        db.session,
        ticket,
        data.status,
        _actor(principal),
        now=utcnow(),
        scheduled_for=when,
        detail=data.detail,
    )
    db.session.commit()
    return jsonify(ticket_detail(ticket, principal))


@bp.post("/tickets/<int:number>/messages")
def add_message(number: int) -> Any:
    principal = current_principal()
    data = body(MessageIn)
    ticket = _locked(number, principal)
    if data.expected_version is not None and data.expected_version != ticket.version:
        raise_stale(ticket)
    now = utcnow()
    if principal.agent is not None:
        msg = service.add_agent_message(
            db.session,
            ticket,
            principal.agent,
            kind=data.kind,
            text=data.text,
            now=now,
            requires_action=data.requires_action,
            sms_recipients=data.sms_recipients,
        )
    else:
        if data.kind != "reply":
            raise Forbidden("clients can only reply")
        contact = principal.contact
        msg = service.add_client_message(
            db.session,
            ticket,
            contact,
            NewMessage(
                text=data.text,
                channel="portal",
                from_addr=contact.primary_email or "",
                from_name=contact.name,
            ),
            now=now,
        )
    db.session.commit()
    return jsonify(message_dict(msg, ticket.number)), 201


def raise_stale(ticket: Any) -> None:
    from ticketdesk.errors import Conflict

    raise Conflict(
        "the ticket changed since you opened it; review the changes before sending",
        code="stale_ticket",
        details={"version": ticket.version},
    )


@bp.post("/tickets/<int:number>/notes")
def add_note(number: int) -> Any:
    principal = require_staff()
    data = body(NoteIn)
    ticket = _locked(number, principal)
    msg = service.add_agent_message(
        db.session, ticket, principal.agent, kind="note", text=data.text, now=utcnow()
    )
    db.session.commit()
    return jsonify(message_dict(msg, ticket.number)), 201


@bp.post("/tickets/<int:number>/claim")
def claim(number: int) -> Any:
    principal = require_staff()
    queries.get_ticket(db.session, number, org_scope=None)
    ticket = service.claim(db.session, number, principal.agent, now=utcnow())
    db.session.commit()
    return jsonify(ticket_summary(ticket))


@bp.delete("/tickets/<int:number>/claim")
def release(number: int) -> Any:
    principal = current_principal()
    ticket = _locked(number, principal)
    service.release(
        db.session,
        ticket,
        _actor(principal),
        now=utcnow(),
        by_admin=principal.is_admin,
        reason="refused single-agent handling" if principal.contact else "",
    )
    db.session.commit()
    return jsonify(ticket_summary(ticket))


@bp.post("/tickets/<int:number>/cc")
def add_cc(number: int) -> Any:
    principal = current_principal()
    data = body(CcIn)
    ticket = _locked(number, principal)
    service.add_cc(db.session, ticket, normalize_email(data.email), _actor(principal), now=utcnow())
    db.session.commit()
    return jsonify(ticket_summary(ticket))


@bp.delete("/tickets/<int:number>/cc/<path:email>")
def remove_cc(number: int, email: str) -> Any:
    principal = current_principal()
    ticket = _locked(number, principal)
    service.remove_cc(db.session, ticket, email, _actor(principal), now=utcnow())
    db.session.commit()
    return jsonify(ticket_summary(ticket))


@bp.post("/tickets/<int:number>/priority")
def set_priority(number: int) -> Any:
    principal = require_staff()
    data = body(PriorityIn)
    ticket = _locked(number, principal)
    service.set_priority(db.session, ticket, data.priority, _actor(principal), now=utcnow())
    db.session.commit()
    return jsonify(ticket_summary(ticket))


for _endpoint, _model in {
    "api.create_ticket": TicketIn,
    "api.change_status": StatusIn,
    "api.add_message": MessageIn,
    "api.add_note": NoteIn,
    "api.add_cc": CcIn,
    "api.set_priority": PriorityIn,
}.items():
    documents(_endpoint, _model)
