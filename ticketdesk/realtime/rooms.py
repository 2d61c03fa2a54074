"""Who may be in which Socket.IO room.

Rooms: ``agents`` (every agent), ``queue:<slug>``, ``ticket:<number>``, ``agent:<id>`` (one agent's own
notifications) for staff; ``org:<id>`` and ``portal-ticket:<number>`` for portal contacts of that
organisation only. Membership is checked on every join, against the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.tickets.models import Queue, Ticket

AGENT_PREFIXES = ("queue", "ticket", "agent")
CONTACT_PREFIXES = ("org", "portal-ticket")


@dataclass(frozen=True)
class Who:
    """An authenticated Socket.IO connection: an agent or a portal contact."""

    kind: str  # agent | contact
    id: int
    name: str
    organization_id: int | None = None
    is_admin: bool = False

    @property
    def is_agent(self) -> bool:
        return self.kind == "agent"

    def public(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "kind": self.kind}


def parse_room(room: object) -> tuple[str, str] | None:
    """``"ticket:1001"`` → ("ticket", "1001"); ``"agents"`` → ("agents", ""); None for anything malformed."""
    if not isinstance(room, str) or not room or len(room) > 120:
        return None
    if room == "agents":
        return ("agents", "")
    prefix, sep, value = room.partition(":")
    if not sep or not value or prefix not in AGENT_PREFIXES + CONTACT_PREFIXES:
        return None
    if prefix != "queue" and not value.isdigit():
        return None
    return prefix, value


def may_join(session: Session, who: Who, room: object) -> bool:
    parsed = parse_room(room)
    if parsed is None:
        return False
    prefix, value = parsed
    if who.is_agent:
        if prefix == "agents":
            return True
        if prefix == "agent":
            return int(value) == who.id
        if prefix == "queue":
            return session.scalar(select(Queue.id).where(Queue.slug == value)) is not None
        if prefix == "ticket":
            return session.scalar(select(Ticket.id).where(Ticket.number == int(value))) is not None
        return False
    if who.organization_id is None:
        return False
    if prefix == "org":
        return int(value) == who.organization_id
    if prefix == "portal-ticket":
        org = session.scalar(select(Ticket.organization_id).where(Ticket.number == int(value)))
        return org is not None and org == who.organization_id
    return False


def call_rooms(agent_id: int | None = None) -> list[str]:
    """Where ``call.incoming`` goes: one agent's screen when the PBX names them, else every agent."""
    return [f"agent:{agent_id}"] if agent_id else ["agents"]


def sms_rooms(ticket_number: int | None = None) -> list[str]:
    """Where ``sms.status`` goes: staff only (delivery details are not shown to clients live)."""
    return ["agents"] + ([f"ticket:{ticket_number}"] if ticket_number else [])
