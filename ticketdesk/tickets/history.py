"""Who did something (an agent, a client contact, the system) and the append-only event record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ticketdesk.db.rows import insert_loaded
from ticketdesk.tickets.models import Ticket, TicketEvent


@dataclass(frozen=True)
class ActorRef:
    type: str  # agent | client | system
    id: int | None = None
    label: str = ""

    @classmethod
    def system(cls, label: str = "system") -> ActorRef:
        return cls("system", None, label)

    @classmethod
    def agent(cls, agent: Any) -> ActorRef:
        return cls("agent", agent.id, agent.name or agent.email)

    @classmethod
    def client(cls, contact: Any) -> ActorRef:
        return cls("client", contact.id, contact.name or (contact.primary_email or ""))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "label": self.label}


def record(
    session: Session,
    ticket: Ticket,
    actor: ActorRef,
    kind: str,
    *,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str = "",
    client_visible: bool = True,
) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        kind=kind,
        before=before,
        after=after,
        detail=detail,
        client_visible=client_visible,
        created_at=now,
    )
    return insert_loaded(session, event)  # written now: no flush for an append-only row
