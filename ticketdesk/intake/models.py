"""The raw intake store: content-addressed blobs, every inbound message, held messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ticketdesk.db.base import JSONType
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow

DISPOSITIONS = ("ticket", "reply", "held", "quarantined", "auto_reply_ignored", "duplicate", "failed")


class Blob(db.Model):
    """Bytes stored once by SHA-256 (raw messages, attachments, rendered outgoing mail)."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RawMessage(db.Model):
    """One inbound delivery, stored and committed before any parsing."""

    __tablename__ = "raw_messages"
    __table_args__ = (
        Index("ix_raw_messages_status", "status", "received_at"),
        Index("ix_raw_messages_disposition", "disposition", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    size: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))  # smtp | lmtp | ingest | imap | portal
    envelope_from: Mapped[str | None] = mapped_column(String(320))
    envelope_to: Mapped[list] = mapped_column(JSONType, default=list)
    queue_slug: Mapped[str | None] = mapped_column(String(80))
    peer_ip: Mapped[str | None] = mapped_column(String(64))
    helo: Mapped[str | None] = mapped_column(String(255))
    message_id_header: Mapped[str | None] = mapped_column(String(500), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(600), unique=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    from_addr: Mapped[str] = mapped_column(String(320), default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | done | failed
    disposition: Mapped[str | None] = mapped_column(String(20))
    disposition_detail: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    auth: Mapped[dict | None] = mapped_column(JSONType)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()

    blob: Mapped[Blob] = relationship(lazy="select")


class SenderHold(db.Model):
    """A message held until its sender confirms authorship through a signed link ([3/9])."""

    __tablename__ = "sender_holds"
    __table_args__ = (Index("ix_sender_holds_status", "status", "expires_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    raw_message_id: Mapped[int] = mapped_column(ForeignKey("raw_messages.id"), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))  # target of a held reply
    kind: Mapped[str] = mapped_column(String(10), default="new")  # new | reply
    status: Mapped[str] = mapped_column(
        String(12), default="pending"
    )  # pending | rechecking | confirmed | expired
    reason: Mapped[str] = mapped_column(Text, default="")
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column()
    recheck_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_recheck_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AutoReplyLog(db.Model):
    """Automatic answers we sent, for per-address rate limits (one per address per day, …)."""

    __tablename__ = "auto_reply_log"
    __table_args__ = (Index("ix_auto_reply_log_lookup", "address", "kind", "sent_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(30))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
