"""JSON shapes of tickets, messages and events (DESIGN.md field names), shared by API and live events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ticketdesk.accounts.models import Agent
from ticketdesk.tickets.models import Attachment, Message, Ticket, TicketEvent


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def agent_ref(agent: Agent | None) -> dict[str, Any] | None:
    return None if agent is None else {"id": agent.id, "name": agent.name, "email": agent.email}


def ticket_summary(t: Ticket) -> dict[str, Any]:
    requester = t.requester
    return {
        "number": t.number,
        "subject": t.subject,
        "status": t.status,
        "priority": t.priority,
        "priority_source": t.priority_source,
        "priority_reasons": t.priority_reasons or [],
        "queue": t.queue.slug,
        "channel": t.channel,
        "organization": {"id": t.organization.id, "name": t.organization.name},
        "requester": None
        if requester is None
        else {
            "id": requester.id,
            "name": requester.name,
            "email": requester.primary_email,
        },
        "cc": [c.email for c in t.cc],
        "claimed_by": agent_ref(t.claimed_by),
        "assignee": agent_ref(t.assignee),
        "scheduled_for": iso(t.scheduled_for),
        "resolved_at": iso(t.resolved_at),
        "closed_at": iso(t.closed_at),
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
        "sla": {"first_response_due": iso(t.first_response_due), "resolution_due": iso(t.resolution_due)},
        "version": t.version,
    }


def attachment_dict(a: Attachment, ticket_number: int | None) -> dict[str, Any]:
    return {
        "id": a.id,
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "inline": a.inline,
        "too_large": a.too_large,
        "url": None
        if a.too_large or ticket_number is None
        else f"/tickets/{ticket_number}/attachments/{a.id}",
    }


def message_dict(m: Message, ticket_number: int | None = None) -> dict[str, Any]:
    auth = m.auth or None
    return {
        "id": m.id,
        "direction": m.direction,
        "channel": m.channel,
        "from": m.from_addr,
        "from_name": m.from_name,
        "to": list(m.to_addrs or []),
        "cc": list(m.cc_addrs or []),
        "subject": m.subject,
        "text": m.text,
        "html": m.html,
        "quoted_text": m.quoted_text,
        "message_id": m.message_id_header,
        "requires_action": m.requires_action,
        "author": agent_ref(m.author_agent),
        "created_at": iso(m.created_at),
        "auth": None
        if auth is None
        else {
            "dkim": auth.get("dkim"),
            "spf": auth.get("spf"),
            "dmarc": auth.get("dmarc"),
            "verdict": auth.get("verdict"),
            "details": auth.get("details", []),
        },
        "attachments": [attachment_dict(a, ticket_number) for a in m.attachments],
    }


def event_dict(e: TicketEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "actor": {"type": e.actor_type, "id": e.actor_id, "label": e.actor_label},
        "before": e.before,
        "after": e.after,
        "detail": e.detail,
        "client_visible": e.client_visible,
        "created_at": iso(e.created_at),
    }
