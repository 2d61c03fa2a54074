"""Announcement reads: lists, per-recipient delivery with the mail and SMS states, what concerns one
organisation (for the portal) and what the public status page and its feed show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ticketdesk.announcements import states
from ticketdesk.announcements.delivery import rendering
from ticketdesk.announcements.models import (
    Announcement,
    AnnouncementDelivery,
    AnnouncementUpdate,
    ContactGroup,
    announcement_groups,
)
from ticketdesk.announcements.recipients import organization_condition
from ticketdesk.contacts.models import Contact, Organization, Service, organization_services
from ticketdesk.errors import NotFound
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.sms.models import SmsNotification

CLOSED = sorted({s for values in states.CLOSING.values() for s in values})


def get_announcement(session: Session, announcement_id: int, *, for_update: bool = False) -> Announcement:
    """One announcement; ``for_update`` locks its row (two people sending the next message at once
    are serialised, so the lifecycle check sees the other's status)."""
    if for_update:
        found = session.scalar(
            select(Announcement)
            .where(Announcement.id == announcement_id)
            .with_for_update(of=Announcement)
            .execution_options(populate_existing=True)
        )
    else:
        found = session.get(Announcement, announcement_id)
    if found is None:
        raise NotFound(f"announcement {announcement_id} not found")
    return found


def list_announcements(
    session: Session,
    *,
    kind: str | None = None,
    state: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Announcement]:
    """Newest first. ``state``: ``open`` (not closed), ``closed``, ``internal`` (open, never announced)."""
    query = select(Announcement).order_by(Announcement.id.desc()).limit(limit)
    if kind:
        query = query.where(Announcement.kind == kind)
    if state == "open":
        query = query.where(Announcement.status.not_in(CLOSED))
    elif state == "closed":
        query = query.where(Announcement.status.in_(CLOSED))
    elif state == "internal":
        query = query.where(Announcement.status.not_in(CLOSED), Announcement.last_update_at.is_(None))
    if before_id is not None:
        query = query.where(Announcement.id < before_id)
    return list(session.scalars(query))


def sent_updates(session: Session, announcement: Announcement) -> list[AnnouncementUpdate]:
    """The messages of ``announcement``, newest first."""
    return list(
        session.scalars(
            select(AnnouncementUpdate)
            .where(
                AnnouncementUpdate.announcement_id == announcement.id, AnnouncementUpdate.sent_at.is_not(None)
            )
            .order_by(AnnouncementUpdate.sent_at.desc(), AnnouncementUpdate.id.desc())
        )
    )


@dataclass(frozen=True)
class DeliveryRow:
    delivery: AnnouncementDelivery
    contact_name: str
    organization_id: int
    organization_name: str
    mail: OutboundMail | None
    sms: SmsNotification | None

    @property
    def state(self) -> str:
        if self.mail is not None:
            return self.mail.state
        if self.sms is not None:
            return self.sms.status
        return "not_sent"

    def as_dict(self) -> dict[str, Any]:
        d = self.delivery
        return {
            "id": d.id,
            "update_id": d.update_id,
            "channel": d.channel,
            "address": d.address,
            "language": d.language,
            "note": d.note,
            "state": self.state,
            "contact": {"id": d.contact_id, "name": self.contact_name},
            "organization": {"id": self.organization_id, "name": self.organization_name},
            "mail": None
            if self.mail is None
            else {
                "id": self.mail.id,
                "state": self.mail.state,
                "route": self.mail.route,
                "attempts": self.mail.attempts,
                "last_error": self.mail.last_error,
                "sent_at": _iso(self.mail.sent_at),
            },
            "sms": None
            if self.sms is None
            else {"notification_id": self.sms.id, "status": self.sms.status, "to": self.sms.to_e164},
        }


def deliveries(
    session: Session,
    announcement: Announcement,
    *,
    update_id: int | None = None,
    organization_id: int | None = None,
) -> list[DeliveryRow]:
    query = (
        select(
            AnnouncementDelivery,
            Contact.name,
            Organization.id,
            Organization.name,
            OutboundMail,
            SmsNotification,
        )
        .join(AnnouncementUpdate, AnnouncementUpdate.id == AnnouncementDelivery.update_id)
        .join(Contact, Contact.id == AnnouncementDelivery.contact_id)
        .join(Organization, Organization.id == Contact.organization_id)
        .outerjoin(OutboundMail, OutboundMail.id == AnnouncementDelivery.outbound_mail_id)
        .outerjoin(SmsNotification, SmsNotification.id == AnnouncementDelivery.sms_notification_id)
        .where(AnnouncementUpdate.announcement_id == announcement.id)
        .order_by(
            AnnouncementDelivery.update_id.desc(),
            Organization.name,
            Contact.name,
            AnnouncementDelivery.channel,
        )
    )
    if update_id is not None:
        query = query.where(AnnouncementDelivery.update_id == update_id)
    if organization_id is not None:
        query = query.where(Organization.id == organization_id)
    return [
        DeliveryRow(d, cname, oid, oname, mail, sms)
        for d, cname, oid, oname, mail, sms in session.execute(query)
    ]


def delivery_counts(rows: list[DeliveryRow]) -> dict[str, dict[str, int]]:
    """channel → state → count."""
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        bucket = counts.setdefault(row.delivery.channel, {})
        bucket[row.state] = bucket.get(row.state, 0) + 1
    return counts


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- the portal ------------------------------------------------------------------------------------


def announcements_for_organization(
    session: Session,
    org_id: int,
    *,
    language: str | None = None,
    limit: int = 20,
    since: datetime | None = None,
) -> list[dict[str, Any]]:
    """Announcements sent to groups that reach organisation ``org_id`` (every one, its services, itself,
    or hand-picked contacts of it), newest first, with their messages in ``language`` (default: the
    organisation's), for the client portal (``templates/announcements/portal_list.html``)."""
    org = session.get(Organization, org_id)
    if org is None:
        return []
    lang = (language or org.language or "en")[:2]
    service_ids = list(
        session.scalars(
            select(organization_services.c.service_id).where(
                organization_services.c.organization_id == org_id
            )
        )
    )
    group_ids = select(ContactGroup.id).where(organization_condition(org_id, service_ids))
    ids = select(announcement_groups.c.announcement_id).where(announcement_groups.c.group_id.in_(group_ids))
    query = (
        select(Announcement)
        .where(Announcement.id.in_(ids), Announcement.last_update_at.is_not(None))
        .order_by(Announcement.last_update_at.desc(), Announcement.id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(or_(Announcement.ended_at.is_(None), Announcement.ended_at >= since))
    return [public_dict(session, a, lang) for a in session.scalars(query)]


def public_dict(session: Session, announcement: Announcement, language: str) -> dict[str, Any]:
    """What a customer may see of an announcement: its messages, never its recipients or values."""
    messages = []
    for update in sent_updates(session, announcement):
        text = rendering(update, language)
        messages.append(
            {
                "id": update.id,
                "status": update.status,
                "status_label": states.label(update.status, language),
                "sent_at": update.sent_at,
                "subject": text["subject"],
                "body": text["body"],
            }
        )
    return {
        "id": announcement.id,
        "kind": announcement.kind,
        "title": announcement.title,
        "status": announcement.status,
        "status_label": states.label(announcement.status, language),
        "closed": states.is_closed(announcement.kind, announcement.status),
        "starts_at": announcement.starts_at,
        "expected_end": announcement.expected_end,
        "ended_at": announcement.ended_at,
        "last_update_at": announcement.last_update_at,
        "services": _services(session, announcement),
        "messages": messages,
        "headline": messages[0]["subject"] if messages else announcement.title,
    }


def _services(session: Session, announcement: Announcement) -> list[str]:
    ids = [g.service_id for g in announcement.groups if g.kind == "service" and g.service_id is not None]
    if not ids:
        return []
    return list(session.scalars(select(Service.name).where(Service.id.in_(ids)).order_by(Service.name)))


# --- the public status page ---------------------------------------------------------------------


@dataclass
class Board:
    outages: list[dict[str, Any]]
    maintenance: list[dict[str, Any]]
    history: list[dict[str, Any]]

    @property
    def all_clear(self) -> bool:
        return not self.outages and not any(m["status"] != "scheduled" for m in self.maintenance)


def status_board(
    session: Session, *, now: datetime, language: str = "en", history_days: int = 90, history_limit: int = 50
) -> Board:
    public = select(Announcement).where(
        Announcement.public.is_(True), Announcement.last_update_at.is_not(None)
    )
    current = session.scalars(
        public.where(Announcement.status.not_in(CLOSED)).order_by(Announcement.starts_at, Announcement.id)
    ).all()
    past = session.scalars(
        public.where(
            Announcement.status.in_(CLOSED), Announcement.last_update_at >= now - timedelta(days=history_days)
        )
        .order_by(Announcement.last_update_at.desc())
        .limit(history_limit)
    ).all()
    return Board(
        outages=[public_dict(session, a, language) for a in current if a.kind == states.OUTAGE],
        maintenance=[public_dict(session, a, language) for a in current if a.kind == states.MAINTENANCE],
        history=[public_dict(session, a, language) for a in past],
    )


def public_announcement(session: Session, announcement_id: int) -> Announcement:
    found = session.get(Announcement, announcement_id)
    if found is None or not found.public or found.last_update_at is None:
        raise NotFound("no such announcement")
    return found


def feed_items(session: Session, *, limit: int = 50) -> list[tuple[Announcement, AnnouncementUpdate]]:
    """The latest public messages, newest first (one feed entry each)."""
    rows = session.execute(
        select(Announcement, AnnouncementUpdate)
        .join(AnnouncementUpdate, AnnouncementUpdate.announcement_id == Announcement.id)
        .where(Announcement.public.is_(True), AnnouncementUpdate.sent_at.is_not(None))
        .order_by(AnnouncementUpdate.sent_at.desc(), AnnouncementUpdate.id.desc())
        .limit(limit)
    )
    return [(a, u) for a, u in rows]
