"""Contact groups, templates, announcements, their updates and per-recipient delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.db.base import JSONType
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow

group_members = Table(
    "contact_group_members",
    db.metadata,
    Column("group_id", ForeignKey("contact_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
)

announcement_groups = Table(
    "announcement_groups",
    db.metadata,
    Column("announcement_id", ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("contact_groups.id", ondelete="CASCADE"), primary_key=True),
)


class ContactGroup(db.Model):
    __tablename__ = "contact_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # service | organization | manual | everyone
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnnouncementTemplate(db.Model):
    __tablename__ = "announcement_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # outage | maintenance
    language: Mapped[str] = mapped_column(String(8), default="en")
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    sms_text: Mapped[str] = mapped_column(Text, default="")
    placeholders: Mapped[list] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Announcement(db.Model):
    __tablename__ = "announcements"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # outage | maintenance
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("announcement_templates.id"))
    values: Mapped[dict] = mapped_column(JSONType, default=dict)
    starts_at: Mapped[datetime | None] = mapped_column()
    expected_end: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    completion_sent_at: Mapped[datetime | None] = mapped_column()
    last_update_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # shown on the public status page and in its feed (False: only the recipients and their portal)
    public: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    channels: Mapped[list | None] = mapped_column(JSONType)  # ["email", "sms"]; None: both

    groups: Mapped[list[ContactGroup]] = relationship(secondary=announcement_groups, lazy="selectin")
    updates: Mapped[list[AnnouncementUpdate]] = relationship(
        lazy="selectin", order_by="AnnouncementUpdate.id.desc()"
    )


class AnnouncementUpdate(db.Model):
    __tablename__ = "announcement_updates"
    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    sms_text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    template_id: Mapped[int | None] = mapped_column(ForeignKey("announcement_templates.id"))
    # the language of subject/body/sms_text above (the template's own)
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    values: Mapped[dict | None] = mapped_column(JSONType)  # placeholder values this message was filled with
    # the message in every language of the template: {"cs": {"subject", "body", "sms_text"}, …}
    renderings: Mapped[dict | None] = mapped_column(JSONType)


class AnnouncementDelivery(db.Model):
    __tablename__ = "announcement_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(
        ForeignKey("announcement_updates.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    channel: Mapped[str] = mapped_column(String(6))  # email | sms
    outbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_mails.id"))
    sms_notification_id: Mapped[int | None] = mapped_column(ForeignKey("sms_notifications.id"))
    address: Mapped[str] = mapped_column(String(320), default="", server_default="")  # e-mail or E.164
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    note: Mapped[str | None] = mapped_column(String(200))  # why nothing was sent on this channel
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
