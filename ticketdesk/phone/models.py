"""Calls from the PBX, their events, and PIN attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ticketdesk.db.base import JSONType
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow


class Call(db.Model):
    __tablename__ = "calls"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    from_raw: Mapped[str] = mapped_column(String(80), default="")
    from_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    to_raw: Mapped[str] = mapped_column(String(80), default="")
    direction: Mapped[str] = mapped_column(String(4), default="in")
    agent_user: Mapped[str | None] = mapped_column(String(200))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="ringing")  # ringing | answered | ended
    pin_required: Mapped[bool] = mapped_column(Boolean, default=False)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_method: Mapped[str | None] = mapped_column(String(30))  # pin | client_number | client_number+pin
    verified_at: Mapped[datetime | None] = mapped_column()
    # contacts whose number matched the caller ID when the call came in (a snapshot for the popup and the log)
    candidate_contact_ids: Mapped[list | None] = mapped_column(JSONType)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()


class CallEvent(db.Model):
    __tablename__ = "call_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PinAttempt(db.Model):
    __tablename__ = "pin_attempts"
    __table_args__ = (Index("ix_pin_attempts_org", "organization_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    source: Mapped[str] = mapped_column(String(10), default="agent")  # agent | ivr
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    # ok | wrong_pin | wrong_client_number | locked (refused unchecked while locked out)
    outcome: Mapped[str] = mapped_column(String(24), default="", server_default="")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    client_number: Mapped[str | None] = mapped_column(String(40))  # as stated by an unknown caller
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
