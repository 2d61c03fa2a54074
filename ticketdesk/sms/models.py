"""Notifications (one business event for one recipient) and their SMS attempts and reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.db.base import JSONType
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow


class SmsNotification(db.Model):
    __tablename__ = "sms_notifications"
    __table_args__ = (Index("ix_sms_notifications_status", "status", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(
        String(40)
    )  # requires_action | urgent_ack | escalation | announcement | …
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    to_e164: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[str] = mapped_column(String(20), default="queued")  # state of the latest attempt
    critical: Mapped[bool] = mapped_column(default=False)
    reason_ref: Mapped[dict | None] = mapped_column(
        JSONType
    )  # what made it necessary (to skip stale resends)
    resend_of_id: Mapped[int | None] = mapped_column(ForeignKey("sms_notifications.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    attempts: Mapped[list[SmsAttempt]] = relationship(
        back_populates="notification", order_by="SmsAttempt.id"
    )  # loaded on access; lists use selectinload


class SmsAttempt(db.Model):
    __tablename__ = "sms_attempts"
    __table_args__ = (
        Index("ix_sms_attempts_status", "status", "submitted_at"),
        Index("ix_sms_attempts_gateway_submitted", "gateway", "submitted_at"),
        Index("ix_sms_attempts_deadline", "status", "report_deadline"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("sms_notifications.id", ondelete="CASCADE"), index=True
    )
    to_e164: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    segments: Mapped[int] = mapped_column(Integer, default=1)
    encoding: Mapped[str] = mapped_column(String(8), default="gsm7")
    gateway: Mapped[str] = mapped_column(String(20), default="log")
    gateway_id: Mapped[str | None] = mapped_column(String(120), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    scheduled_for: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    final_at: Mapped[datetime | None] = mapped_column()
    report_deadline: Mapped[datetime | None] = mapped_column()
    country: Mapped[str | None] = mapped_column(String(2))
    operator: Mapped[str | None] = mapped_column(String(80))
    # a resend is a new attempt of the same notification, linked to the attempt it repeats
    resend_of_id: Mapped[int | None] = mapped_column(ForeignKey("sms_attempts.id"))
    # set while a worker hands the attempt to the gateway: found set after a crash means
    # "outcome unknown, reconcile before sending again"
    send_started_at: Mapped[datetime | None] = mapped_column()
    hold_reason: Mapped[str | None] = mapped_column(String(200))  # why awaiting_approval / paused / scheduled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    notification: Mapped[SmsNotification] = relationship(back_populates="attempts")
    reports: Mapped[list[SmsReport]] = relationship(
        order_by="SmsReport.id", viewonly=True
    )  # append via SmsReport rows


class SmsReport(db.Model):
    """Every status report, append-only (the full history of a message)."""

    __tablename__ = "sms_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("sms_attempts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    gateway_status: Mapped[str | None] = mapped_column(
        String(40)
    )  # the word the gateway used (expired, undelivered…)
    at: Mapped[datetime] = mapped_column()
    detail: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="gateway")  # gateway | reconcile | system | admin
    applied: Mapped[bool] = mapped_column(default=True)  # False when out of order (recorded, not applied)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsStop(db.Model):
    """Numbers that asked us to stop (inbound STOP)."""

    __tablename__ = "sms_stop_list"
    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    source_text: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
