"""Socket.IO connect/authorisation and the events clients send (join, leave, typing, presence).

Browsers authenticate with their Flask session (``agent_id`` or a portal ``contact_id``), programs with
``auth={"token": "<API token>"}``; anything else is refused at connect. Every ``join`` is checked
against :func:`ticketdesk.realtime.rooms.may_join` and answered through the acknowledgement
(``{"ok": true}`` or ``{"ok": false, "error": …}``). Server events (``ticket.created``, ``ticket.updated``,
``message.created``, ``call.incoming``, ``sms.status``) are emitted after commit by
:mod:`ticketdesk.realtime.publish`; this module adds ``presence``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request, session
from flask_socketio import emit, join_room, leave_room

from ticketdesk.accounts.models import Agent
from ticketdesk.accounts.service import agent_for_token
from ticketdesk.accounts.sessions import session_expired
from ticketdesk.contacts.models import Contact
from ticketdesk.extensions import db, socketio
from ticketdesk.ports.clock import utcnow
from ticketdesk.realtime.presence import payload, registry
from ticketdesk.realtime.rooms import Who, may_join, parse_room

log = logging.getLogger(__name__)


def _sid() -> str:
    return str(getattr(request, "sid", ""))


def authenticate(auth: Any) -> Who | None:
    """The connection's principal from its token or its browser session; None refuses it."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is not None:
        if not isinstance(token, str):
            return None
        agent = agent_for_token(db.session, token, now=utcnow())
        db.session.commit()  # last_used_at
        if agent is None:
            return None
        return Who("agent", agent.id, agent.name, is_admin=agent.is_admin)
    agent_id = session.get("agent_id")
    if agent_id:
        found = db.session.get(Agent, agent_id)
        if found is not None and found.active:
            return Who("agent", found.id, found.name, is_admin=found.is_admin)
        return None
    contact_id = session.get("contact_id")
    if contact_id and not session_expired(session, utcnow()):
        contact = db.session.get(Contact, contact_id)
        if contact is not None and contact.active and contact.technical:
            return Who("contact", contact.id, contact.name, organization_id=contact.organization_id)
    return None


def on_connect(auth: Any = None) -> None:
    who = authenticate(auth)
    if who is None:
        raise ConnectionRefusedError("unauthorized")
    registry.add(_sid(), who)
    if who.is_agent:
        join_room(f"agent:{who.id}")
        _seen(who.id)
    emit("hello", {"you": who.public()})


def _seen(agent_id: int) -> None:
    """Routing counts an agent as online when the workspace was open recently (``Agent.last_seen_at``)."""
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets.triage import mark_agent_seen

    mark_agent_seen(db.session, agent_id, now=utcnow())
    db.session.commit()


def on_heartbeat(*_args: Any) -> None:
    """The workspace says "still here" every minute while it is open."""
    who = registry.who(_sid())
    if who is not None and who.is_agent:
        _seen(who.id)


def on_disconnect(*_args: Any) -> None:
    conn = registry.remove(_sid())
    if conn is None or not conn.who.is_agent:
        return
    for number in conn.tickets:
        emit("presence", payload(conn.who, number, "left"), to=f"ticket:{number}", skip_sid=_sid())


def _room(data: Any) -> Any:
    return data.get("room") if isinstance(data, dict) else data


def on_join(data: Any) -> dict[str, Any]:
    who = registry.who(_sid())
    room = _room(data)
    if who is None:
        return {"ok": False, "error": "unauthorized"}
    if not may_join(db.session, who, room):
        return {"ok": False, "error": "forbidden", "room": room if isinstance(room, str) else None}
    try:
        join_room(room)
    except (KeyError, ValueError):
        # The browser left before its join was handled: python-socketio raises KeyError when the
        # namespace still has other clients, ValueError when it was the last one.
        return {"ok": False, "error": "gone"}
    parsed = parse_room(room)
    if who.is_agent and parsed and parsed[0] == "ticket":
        number = int(parsed[1])
        registry.watch(_sid(), number)
        emit("presence", payload(who, number, "viewing"), to=room, skip_sid=_sid())
    return {"ok": True, "room": room}


def on_leave(data: Any) -> dict[str, Any]:
    who = registry.who(_sid())
    room = _room(data)
    if who is None or parse_room(room) is None:
        return {"ok": False, "error": "bad_room"}
    leave_room(room)  # a no-op for a browser that already left
    parsed = parse_room(room)
    if who.is_agent and parsed and parsed[0] == "ticket" and registry.unwatch(_sid(), int(parsed[1])):
        emit("presence", payload(who, int(parsed[1]), "left"), to=room, skip_sid=_sid())
    return {"ok": True}


def _watched_number(data: Any) -> tuple[Who, int] | None:
    who = registry.who(_sid())
    number = data.get("number") if isinstance(data, dict) else None
    if (
        who is None
        or not who.is_agent
        or not isinstance(number, int)
        or not registry.watching(_sid(), number)
    ):
        return None
    return who, number


def on_typing(data: Any) -> None:
    found = _watched_number(data)
    if found is None:
        return
    who, number = found
    state = "typing" if data.get("typing") else "viewing"
    emit("presence", payload(who, number, state), to=f"ticket:{number}", skip_sid=_sid())


def on_here(data: Any) -> None:
    """An agent answering a newcomer's "viewing": tell the room I am here too (and whether I type)."""
    found = _watched_number(data)
    if found is None:
        return
    who, number = found
    state = "typing" if data.get("typing") else "viewing"
    emit("presence", payload(who, number, state), to=f"ticket:{number}", skip_sid=_sid())


def _origin_allowed(app: Flask) -> Any:
    """Same-origin pages and the configured public URL may open a socket (any port ``serve`` runs on)."""
    public = app.extensions["ticketdesk.settings"].public_url.rstrip("/")

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if not origin:
            return True
        host = environ.get("HTTP_HOST", "")
        scheme = environ.get("HTTP_X_FORWARDED_PROTO", environ.get("wsgi.url_scheme", "http")).split(",")[0]
        return origin.rstrip("/") in {public, f"{scheme.strip()}://{host}"}

    return allowed


def register(app: Flask) -> None:
    for name, handler in (
        ("connect", on_connect),
        ("disconnect", on_disconnect),
        ("join", on_join),
        ("leave", on_leave),
        ("typing", on_typing),
        ("presence.here", on_here),
        ("presence.heartbeat", on_heartbeat),
    ):
        socketio.on_event(name, handler)
    if socketio.server is not None:
        socketio.server.eio.cors_allowed_origins = _origin_allowed(app)
