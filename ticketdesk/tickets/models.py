"""Queues, tickets, messages, attachments, CC list and the append-only event history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.accounts.models import Agent
from ticketdesk.contacts.models import Contact, Organization
from ticketdesk.db.base import JSONType
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
NUMBER_OFFSET = 1000  # ticket numbers start at 1001 so they never look like ids


class Queue(db.Model):
    __tablename__ = "queues"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    routing_mode: Mapped[str] = mapped_column(
        String(20), default="affinity"
    )  # affinity | least_loaded | none
    load_cap: Mapped[int] = mapped_column(Integer, default=10)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    addresses: Mapped[list[QueueAddress]] = relationship(
        back_populates="queue", cascade="all, delete-orphan", lazy="selectin"
    )


class QueueAddress(db.Model):
    __tablename__ = "queue_addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    queue: Mapped[Queue] = relationship(back_populates="addresses")


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_queue_list", "status", "queue_id", "priority_rank", "first_response_due", "id"),
        Index("ix_tickets_org_list", "organization_id", "updated_at"),
        Index("ix_tickets_status_resolved", "status", "resolved_at"),
        Index("ix_tickets_status_scheduled", "status", "scheduled_for"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int | None] = mapped_column(Integer, unique=True)
    subject: Mapped[str] = mapped_column(String(500))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    status: Mapped[str] = mapped_column(String(24), default="queued")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    priority_rank: Mapped[int] = mapped_column(Integer, default=2)
    priority_source: Mapped[str] = mapped_column(String(10), default="auto")  # auto | manual
    priority_reasons: Mapped[list | None] = mapped_column(JSONType)
    channel: Mapped[str] = mapped_column(String(10), default="email")  # email | portal | phone | api
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column()
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    scheduled_for: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    first_response_due: Mapped[datetime | None] = mapped_column()
    resolution_due: Mapped[datetime | None] = mapped_column()
    first_responded_at: Mapped[datetime | None] = mapped_column()
    sla_paused_since: Mapped[datetime | None] = mapped_column()
    sla_paused_minutes: Mapped[int] = mapped_column(Integer, default=0)
    sla_escalated_at: Mapped[datetime | None] = mapped_column()
    previous_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    legacy_reference: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped on every change; stale-reply warning
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined")
    requester: Mapped[Contact | None] = relationship(lazy="joined")
    queue: Mapped[Queue] = relationship(lazy="joined")
    claimed_by: Mapped[Agent | None] = relationship(foreign_keys=[claimed_by_id], lazy="joined")
    assignee: Mapped[Agent | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    cc: Mapped[list[TicketCC]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TicketCC.id"
    )


class TicketCC(db.Model):
    __tablename__ = "ticket_cc"
    __table_args__ = (UniqueConstraint("ticket_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    added_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_ticket", "ticket_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(4))  # in | out | note
    channel: Mapped[str] = mapped_column(String(10), default="email")
    from_addr: Mapped[str] = mapped_column(String(320), default="")
    from_name: Mapped[str] = mapped_column(String(200), default="")
    to_addrs: Mapped[list] = mapped_column(JSONType, default=list)
    cc_addrs: Mapped[list] = mapped_column(JSONType, default=list)
    subject: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str | None] = mapped_column(Text)  # sanitised
    quoted_text: Mapped[str | None] = mapped_column(Text)
    message_id_header: Mapped[str | None] = mapped_column(String(500), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(500))
    references: Mapped[list | None] = mapped_column(JSONType)
    raw_message_id: Mapped[int | None] = mapped_column(ForeignKey("raw_messages.id"))
    author_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    author_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    auth: Mapped[dict | None] = mapped_column(JSONType)  # {dkim, spf, dmarc, verdict, details}
    requires_action: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attachments: Mapped[list[Attachment]] = relationship(lazy="selectin", order_by="Attachment.id")
    author_agent: Mapped[Agent | None] = relationship(lazy="joined")


class Attachment(db.Model):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer, default=0)
    content_id: Mapped[str | None] = mapped_column(String(500))
    inline: Mapped[bool] = mapped_column(Boolean, default=False)
    too_large: Mapped[bool] = mapped_column(Boolean, default=False)


class TicketEvent(db.Model):
    """Append-only history: who did what, when, with the values before and after."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    actor_type: Mapped[str] = mapped_column(String(10))  # agent | client | system
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(320), default="")
    kind: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    detail: Mapped[str] = mapped_column(Text, default="")
    client_visible: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
