"""Queue Socket.IO events during a transaction and emit them only after it commits.

A rolled-back change therefore never flashes on anybody's screen. Rooms:
``agents`` (every agent), ``queue:<slug>``, ``ticket:<number>``, ``agent:<id>``, ``org:<id>`` (portal users
of one organisation; only client-visible events go there).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from ticketdesk.extensions import socketio

log = logging.getLogger(__name__)
_KEY = "ticketdesk.realtime"


@dataclass(frozen=True)
class Pending:
    name: str
    data: dict[str, Any]
    rooms: tuple[str, ...]


def publish(session: Session, name: str, data: dict[str, Any], rooms: list[str] | tuple[str, ...]) -> None:
    """Emit ``name`` with ``data`` to ``rooms`` once ``session`` commits."""
    session.info.setdefault(_KEY, []).append(Pending(name, data, tuple(dict.fromkeys(rooms))))


def ticket_rooms(
    *, number: int, queue_slug: str | None, organization_id: int | None, client_visible: bool = True
) -> list[str]:
    rooms = ["agents", f"ticket:{number}"]
    if queue_slug:
        rooms.append(f"queue:{queue_slug}")
    if client_visible and organization_id is not None:
        rooms.append(f"org:{organization_id}")
        rooms.append(f"portal-ticket:{number}")
    return rooms


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: list[Pending] = session.info.pop(_KEY, [])
    if not pending or socketio.server is None:
        return
    for item in pending:
        try:
            # one emit per event: a client in several of the rooms receives it once
            socketio.emit(item.name, item.data, to=list(item.rooms))
        except Exception:  # a broken Redis must not break the request that already committed
            log.exception("could not publish %s", item.name)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_KEY, None)
