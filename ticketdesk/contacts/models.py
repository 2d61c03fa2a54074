"""Organisations and their contacts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.db.base import JSONType
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow

organization_services = Table(
    "organization_services",
    db.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class Service(db.Model):
    """Something customers subscribe to (hosting, SMS gateway, …); announcements target these."""

    __tablename__ = "services"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class Organization(db.Model):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    client_number: Mapped[str] = mapped_column(String(40), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    default_region: Mapped[str] = mapped_column(String(2), default="CZ")
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Prague")
    # default | always_confirm | trust_relay (sender checks policy, [3/9])
    sender_policy: Mapped[str] = mapped_column(String(20), default="default")
    sms_daily_threshold: Mapped[int] = mapped_column(Integer, default=200)
    quiet_hours: Mapped[dict | None] = mapped_column(JSONType)  # {"start": "22:00", "end": "07:00"}
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    services: Mapped[list[Service]] = relationship(secondary=organization_services, lazy="selectin")
    contacts: Mapped[list[Contact]] = relationship(back_populates="organization", lazy="raise_on_sql")

    @property
    def pin_set(self) -> bool:
        return bool(self.pin_hash)


class Contact(db.Model):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    technical: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_admin: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # may administer the organisation in the portal
    partner: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # opted-in partner contact for announcements
    language: Mapped[str | None] = mapped_column(String(8))
    notify_sms: Mapped[bool] = mapped_column(Boolean, default=True)
    portal_password_hash: Mapped[str | None] = mapped_column(String(200))
    removed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="contacts", lazy="joined")
    emails: Mapped[list[ContactEmail]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", lazy="selectin", order_by="ContactEmail.id"
    )
    phones: Mapped[list[ContactPhone]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", lazy="selectin", order_by="ContactPhone.id"
    )

    @property
    def primary_email(self) -> str | None:
        for item in self.emails:
            if item.primary:
                return item.address
        return self.emails[0].address if self.emails else None


class ContactEmail(db.Model):
    __tablename__ = "contact_emails"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    contact: Mapped[Contact] = relationship(back_populates="emails")


class ContactPhone(db.Model):
    __tablename__ = "contact_phones"
    __table_args__ = (UniqueConstraint("contact_id", "e164"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(20), index=True)
    label: Mapped[str] = mapped_column(String(40), default="")
    contact: Mapped[Contact] = relationship(back_populates="phones")
