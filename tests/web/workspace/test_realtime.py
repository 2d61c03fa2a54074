"""Socket.IO: authentication at connect, room membership checked on join, events only after commit,
portal users only see their organisation, presence and typing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.workspace.helpers import login
from ticketdesk.accounts.sessions import new_session_data
from ticketdesk.ports.clock import utcnow


def _sio(app: Any, **kw: Any) -> Any:
    from ticketdesk.extensions import socketio

    return socketio.test_client(app, **kw)


def _join(client: Any, room: str) -> dict[str, Any]:
    return client.emit("join", {"room": room}, callback=True)


def _events(client: Any, name: str | None = None) -> list[dict[str, Any]]:
    got = [e for e in client.get_received() if e["name"] != "hello"]
    return [e for e in got if name is None or e["name"] == name]


@pytest.fixture
def agent_sio(app: Any, agent: Any, make_token: Any) -> Any:
    client = _sio(app, auth={"token": make_token(agent)})
    assert client.is_connected()
    yield client
    if client.is_connected():
        client.disconnect()


def _portal(app: Any, contact: Any) -> Any:
    http = app.test_client()
    with http.session_transaction() as sess:
        sess.update(new_session_data(contact, utcnow()))
    client = _sio(app, flask_test_client=http)
    assert client.is_connected()
    return client


def test_bad_or_missing_credentials_are_refused(app: Any, make_agent: Any, make_token: Any) -> None:
    assert not _sio(app, auth={"token": "td_nope_nope"}).is_connected()
    assert not _sio(app, auth={"token": 12345}).is_connected()
    assert not _sio(app).is_connected()
    inactive = make_agent()
    token = make_token(inactive)
    inactive.active = False
    from ticketdesk.extensions import db

    db.session.commit()
    assert not _sio(app, auth={"token": token}).is_connected()


def test_browser_session_authenticates(app: Any, client: Any, agent: Any) -> None:
    from ticketdesk.extensions import limiter

    limiter.reset()
    login(client, agent.email)
    sio = _sio(app, flask_test_client=client)
    assert sio.is_connected()
    hello = [e for e in sio.get_received() if e["name"] == "hello"]
    assert hello and hello[0]["args"][0]["you"]["id"] == agent.id
    assert _join(sio, "agents")["ok"] is True


def test_agent_rooms(agent_sio: Any, agent: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    assert _join(agent_sio, "agents")["ok"]
    assert _join(agent_sio, "queue:support")["ok"]
    assert _join(agent_sio, f"ticket:{ticket.number}")["ok"]
    assert _join(agent_sio, f"agent:{agent.id}")["ok"]
    for room in (
        "queue:nope",
        "ticket:999999",
        f"agent:{agent.id + 1}",
        "org:1",
        f"portal-ticket:{ticket.number}",
        "",
        "ticket:abc",
        "admin",
        42,
        "x" * 500,
    ):
        assert _join(agent_sio, room)["ok"] is False, room


def test_portal_contact_only_reaches_its_organisation(
    app: Any, make_org: Any, make_contact: Any, make_ticket: Any
) -> None:
    mine, theirs = make_org(), make_org()
    me = make_contact(mine)
    own_ticket, foreign_ticket = make_ticket(me), make_ticket(make_contact(theirs))
    sio = _portal(app, me)
    assert _join(sio, f"org:{mine.id}")["ok"]
    assert _join(sio, f"portal-ticket:{own_ticket.number}")["ok"]
    for room in (
        "agents",
        "queue:support",
        f"ticket:{own_ticket.number}",
        f"org:{theirs.id}",
        f"portal-ticket:{foreign_ticket.number}",
        "agent:1",
    ):
        assert _join(sio, room)["ok"] is False, room
    sio.disconnect()


def test_removed_contact_cannot_connect(app: Any, make_contact: Any) -> None:
    from ticketdesk.extensions import db

    contact = make_contact()
    contact.active = False
    db.session.commit()
    http = app.test_client()
    with http.session_transaction() as sess:
        sess.update(new_session_data(contact, utcnow()))
    assert not _sio(app, flask_test_client=http).is_connected()


def test_events_only_after_commit(app: Any, agent_sio: Any, make_contact: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service
    from ticketdesk.tickets.history import ActorRef
    from ticketdesk.tickets.queues import queue_by_slug

    contact = make_contact()
    _join(agent_sio, "agents")
    agent_sio.get_received()

    def create(subject: str) -> Any:
        ticket, _ = service.create_ticket(
            db.session,
            organization=contact.organization,
            requester=contact,
            queue=queue_by_slug(db.session, "support"),
            subject=subject,
            message=service.NewMessage(text="hello", from_addr=contact.primary_email),
            actor=ActorRef.client(contact),
            now=utcnow(),
        )
        return ticket

    create("rolled back")
    assert _events(agent_sio) == []
    db.session.rollback()
    assert _events(agent_sio) == []

    ticket = create("kept")
    assert _events(agent_sio) == []
    db.session.commit()
    created = _events(agent_sio, "ticket.created")
    assert len(created) == 1 and created[0]["args"][0]["number"] == ticket.number
    assert created[0]["args"][0]["subject"] == "kept"


def test_portal_sees_own_org_events_but_never_notes(
    app: Any, agent: Any, make_org: Any, make_contact: Any, make_ticket: Any
) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    mine, theirs = make_org(), make_org()
    me, stranger = make_contact(mine), make_contact(theirs)
    sio, other = _portal(app, me), _portal(app, stranger)
    assert _join(sio, f"org:{mine.id}")["ok"] and _join(other, f"org:{theirs.id}")["ok"]
    ticket = make_ticket(me)
    service.add_agent_message(db.session, ticket, agent, kind="note", text="secret note", now=utcnow())
    db.session.commit()
    service.add_agent_message(db.session, ticket, agent, kind="reply", text="public reply", now=utcnow())
    db.session.commit()
    got = _events(sio)
    assert "ticket.created" in [e["name"] for e in got]
    texts = [e["args"][0]["message"]["text"] for e in got if e["name"] == "message.created"]
    assert "public reply" in texts and "secret note" not in str(got)
    assert _events(other) == []
    sio.disconnect()
    other.disconnect()


def test_portal_message_events_exclude_notes(
    app: Any, agent: Any, make_contact: Any, make_ticket: Any
) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    me = make_contact()
    ticket = make_ticket(me)
    sio = _portal(app, me)
    _join(sio, f"portal-ticket:{ticket.number}")
    service.add_agent_message(db.session, ticket, agent, kind="note", text="secret note", now=utcnow())
    db.session.commit()
    service.add_agent_message(db.session, ticket, agent, kind="reply", text="public reply", now=utcnow())
    db.session.commit()
    texts = [e["args"][0]["message"]["text"] for e in _events(sio, "message.created")]
    assert texts == ["public reply"]
    sio.disconnect()


def test_claim_is_told_live_to_other_agents(
    app: Any, agent: Any, make_agent: Any, make_token: Any, make_ticket: Any
) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    ticket = make_ticket()
    watcher = _sio(app, auth={"token": make_token(make_agent())})
    _join(watcher, f"ticket:{ticket.number}")
    watcher.get_received()
    service.claim(db.session, ticket.number, agent, now=utcnow())
    db.session.commit()
    updates = _events(watcher, "ticket.updated")
    assert len(updates) == 1
    data = updates[0]["args"][0]
    assert data["number"] == ticket.number and data["changes"]["claimed_by"]["id"] == agent.id
    watcher.disconnect()


def test_presence_and_typing(
    app: Any, agent: Any, make_agent: Any, make_token: Any, make_ticket: Any
) -> None:
    ticket = make_ticket()
    room = f"ticket:{ticket.number}"
    first = _sio(app, auth={"token": make_token(agent)})
    second_agent = make_agent(name="Druhá")
    second = _sio(app, auth={"token": make_token(second_agent)})
    _join(first, room)
    first.get_received()
    _join(second, room)
    seen = _events(first, "presence")
    assert [e["args"][0] for e in seen] == [
        {"number": ticket.number, "agent": {"id": second_agent.id, "name": "Druhá"}, "state": "viewing"}
    ]
    # the first answers so the newcomer learns who is there
    first.emit("presence.here", {"number": ticket.number})
    assert [e["args"][0]["agent"]["id"] for e in _events(second, "presence")] == [agent.id]
    second.emit("typing", {"number": ticket.number, "typing": True})
    assert _events(first, "presence")[0]["args"][0]["state"] == "typing"
    # typing on a ticket one has not joined is ignored
    other = make_ticket()
    second.emit("typing", {"number": other.number, "typing": True})
    assert _events(first) == []
    second.disconnect()
    assert _events(first, "presence")[0]["args"][0]["state"] == "left"
    first.disconnect()


def test_room_helpers() -> None:
    from ticketdesk.realtime.rooms import call_rooms, parse_room, sms_rooms

    assert call_rooms(None) == ["agents"] and call_rooms(7) == ["agent:7"]
    assert sms_rooms(1001) == ["agents", "ticket:1001"]
    assert parse_room("queue:support") == ("queue", "support") and parse_room("org:x") is None


def test_cross_site_pages_cannot_open_a_socket(app: Any, agent: Any, make_token: Any) -> None:
    """A page of another site cannot ride on an agent's cookie: only same-origin pages may connect."""
    import socketio

    from tests.web.workspace.liveserver import ThreadServer
    from ticketdesk.extensions import db

    token = make_token(agent)
    db.session.commit()
    with ThreadServer(app) as server:
        evil = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            evil.connect(
                server.url,
                headers={"Origin": "https://evil.test"},
                auth={"token": token},
                transports=["polling"],
                wait_timeout=5,
            )
        good = socketio.Client(reconnection=False)
        good.connect(
            server.url,
            headers={"Origin": server.url},
            auth={"token": token},
            transports=["polling"],
            wait_timeout=5,
        )
        assert good.call("join", {"room": "agents"}, timeout=5)["ok"] is True
        good.disconnect()


@pytest.mark.parametrize("others_connected", [False, True])
def test_join_from_a_browser_that_already_left_is_answered_gone(
    app: Any, agent: Any, make_token: Any, others_connected: bool
) -> None:
    """A join can be handled after its browser disconnected (a page closed right after opening).
    It is answered "gone" instead of raising in the server's event thread; python-socketio raises
    KeyError while other clients are connected and ValueError when none are."""
    from flask import request

    from ticketdesk.realtime.handlers import on_join, on_leave
    from ticketdesk.realtime.presence import registry
    from ticketdesk.realtime.rooms import Who

    other = _sio(app, auth={"token": make_token(agent)}) if others_connected else None
    registry.add("departed-sid", Who("agent", agent.id, agent.name))
    try:
        with app.test_request_context("/socket.io/"):
            request.sid = "departed-sid"  # type: ignore[attr-defined]
            request.namespace = "/"  # type: ignore[attr-defined]
            assert on_join({"room": "agents"}) == {"ok": False, "error": "gone"}
            assert on_leave({"room": "agents"}) == {"ok": True}  # leaving is harmless
    finally:
        registry.remove("departed-sid")
        if other is not None:
            other.disconnect()
