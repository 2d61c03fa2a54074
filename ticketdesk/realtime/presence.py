"""Which connections this process holds and which tickets they are looking at.

Presence works across processes without shared state: when an agent opens a ticket, a ``presence``
event ("viewing") goes to the ticket's room (through Redis when configured); the agents already there
answer with ``presence.here``, which this server rebroadcasts, so the newcomer learns of them too.
Typing is the same event with state "typing"; a disconnect sends "left" for every ticket it watched.
This module keeps only the local book-keeping: connection → who, and connection → tickets watched.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ticketdesk.realtime.rooms import Who

STATES = ("viewing", "typing", "left")


@dataclass
class Connection:
    who: Who
    tickets: set[int] = field(default_factory=set)


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: dict[str, Connection] = {}

    def add(self, sid: str, who: Who) -> None:
        with self._lock:
            self._connections[sid] = Connection(who)

    def who(self, sid: str) -> Who | None:
        with self._lock:
            conn = self._connections.get(sid)
            return conn.who if conn else None

    def watch(self, sid: str, number: int) -> None:
        with self._lock:
            if sid in self._connections:
                self._connections[sid].tickets.add(number)

    def unwatch(self, sid: str, number: int) -> bool:
        with self._lock:
            conn = self._connections.get(sid)
            if conn is None or number not in conn.tickets:
                return False
            conn.tickets.discard(number)
            return True

    def watching(self, sid: str, number: int) -> bool:
        with self._lock:
            conn = self._connections.get(sid)
            return conn is not None and number in conn.tickets

    def remove(self, sid: str) -> Connection | None:
        with self._lock:
            return self._connections.pop(sid, None)

    def viewers(self, number: int) -> list[Who]:
        """Agents connected to this process who watch ``number`` (one entry per agent)."""
        with self._lock:
            seen: dict[int, Who] = {}
            for conn in self._connections.values():
                if number in conn.tickets and conn.who.is_agent:
                    seen.setdefault(conn.who.id, conn.who)
            return list(seen.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._connections)


registry = Registry()


def payload(who: Who, number: int, state: str) -> dict[str, object]:
    if state not in STATES:
        raise ValueError(f"unknown presence state {state!r}")
    return {"number": number, "agent": {"id": who.id, "name": who.name}, "state": state}
