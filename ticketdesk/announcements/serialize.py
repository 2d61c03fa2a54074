"""JSON shapes of announcements, their messages, templates, groups and services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ticketdesk.announcements import states
from ticketdesk.announcements.compose import Draft
from ticketdesk.announcements.models import (
    Announcement,
    AnnouncementTemplate,
    AnnouncementUpdate,
    ContactGroup,
)
from ticketdesk.contacts.models import Service


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def group_dict(group: ContactGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "kind": group.kind,
        "service_id": group.service_id,
        "organization_id": group.organization_id,
    }


def service_dict(service: Service, organizations: list[Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": service.id,
        "slug": service.slug,
        "name": service.name,
        "description": service.description,
    }
    if organizations is not None:
        data["organizations"] = [{"id": o.id, "name": o.name} for o in organizations]
    return data


def template_dict(template: AnnouncementTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "name": template.name,
        "kind": template.kind,
        "language": template.language,
        "subject": template.subject,
        "body": template.body,
        "sms_text": template.sms_text,
        "placeholders": template.placeholders,
        "updated_at": _iso(template.updated_at),
    }


def update_dict(update: AnnouncementUpdate) -> dict[str, Any]:
    return {
        "id": update.id,
        "status": update.status,
        "subject": update.subject,
        "body": update.body,
        "sms_text": update.sms_text,
        "language": update.language,
        "template_id": update.template_id,
        "values": update.values or {},
        "renderings": update.renderings or {},
        "sent_at": _iso(update.sent_at),
        "created_by_id": update.created_by_id,
    }


def announcement_dict(
    announcement: Announcement,
    *,
    updates: list[AnnouncementUpdate] | None = None,
    deliveries: dict[str, dict[str, int]] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": announcement.id,
        "kind": announcement.kind,
        "title": announcement.title,
        "status": announcement.status,
        "status_label": states.label(announcement.status),
        "closed": states.is_closed(announcement.kind, announcement.status),
        "announced": announcement.last_update_at is not None,
        "next_statuses": list(states.allowed(announcement.kind, announcement.status))
        if announcement.last_update_at is not None
        else [s for s in states.statuses(announcement.kind) if not states.is_closed(announcement.kind, s)],
        "public": announcement.public,
        "channels": announcement.channels or ["email", "sms"],
        "groups": [group_dict(g) for g in announcement.groups],
        "template_id": announcement.template_id,
        "values": announcement.values or {},
        "starts_at": _iso(announcement.starts_at),
        "expected_end": _iso(announcement.expected_end),
        "ended_at": _iso(announcement.ended_at),
        "completion_sent_at": _iso(announcement.completion_sent_at),
        "last_update_at": _iso(announcement.last_update_at),
        "created_at": _iso(announcement.created_at),
        "created_by_id": announcement.created_by_id,
    }
    if updates is not None:
        data["updates"] = [update_dict(u) for u in updates]
    if deliveries is not None:
        data["deliveries"] = deliveries
    return data


def draft_dict(draft: Draft | None) -> dict[str, Any]:
    if draft is None:
        return {"missing": [], "invalid": [], "leftovers": [], "renderings": {}}
    return {
        **draft.problems(),
        "renderings": {
            lang: {
                "subject": f.texts.subject,
                "body": f.texts.body,
                "sms_text": f.texts.sms_text,
                "missing": f.missing,
                "ready": f.ready,
            }
            for lang, f in draft.renderings.items()
        },
    }
