"""Every outgoing mail with its delivery state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ticketdesk.db.base import JSONType
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow


class OutboundMail(db.Model):
    __tablename__ = "outbound_mails"
    __table_args__ = (Index("ix_outbound_mails_state", "state", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(
        String(30)
    )  # ack | reply | notification | auto_reply | confirmation | …
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    mail_from: Mapped[str] = mapped_column(String(320))
    to_addrs: Mapped[list] = mapped_column(JSONType, default=list)
    cc_addrs: Mapped[list] = mapped_column(JSONType, default=list)
    subject: Mapped[str] = mapped_column(String(500), default="")
    message_id_header: Mapped[str] = mapped_column(String(500), unique=True)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    state: Mapped[str] = mapped_column(String(12), default="queued")  # queued | sent | failed | bounced
    route: Mapped[str | None] = mapped_column(String(10))  # primary | fallback | mbox
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    bounce_detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
