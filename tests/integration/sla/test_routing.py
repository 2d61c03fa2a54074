"""Routing on real tickets: affinity to the agent who last answered the organisation, falling back to the
least-loaded available agent (offline, outside working hours, at the load cap), the queue's mode, the shared
queue when nobody is available; every choice is explained in the ticket's history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.integration.sla.helpers import events, reload
from ticketdesk.admin.store import set_value
from ticketdesk.extensions import db
from ticketdesk.tickets import service as tickets
from ticketdesk.tickets import triage
from ticketdesk.tickets.queues import queue_by_slug

START = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)  # Tuesday 11:00 in Prague


@pytest.fixture
def team(make_agent: Any) -> dict[str, Any]:
    return {name: make_agent(name=name) for name in ("Alena", "Bohdan", "Cyril")}


def _seen(*agents: Any, at: datetime = START) -> None:
    for agent in agents:
        agent.last_seen_at = at
    db.session.commit()


def _answered_before(make_ticket: Any, contact: Any, agent: Any, *, assign: bool = False) -> Any:
    """An earlier ticket of the contact's organisation that ``agent`` answered (assigned to them if asked)."""
    earlier = START - timedelta(days=2)
    ticket = make_ticket(contact, now=earlier)
    tickets.add_agent_message(db.session, ticket, agent, kind="reply", text="Fixed.", now=earlier)
    ticket.assignee_id = agent.id if assign else None
    db.session.commit()
    return ticket


def _new(make_ticket: Any, contact: Any, at: datetime = START, **kw: Any) -> Any:
    with time_machine.travel(at, tick=False):
        ticket = make_ticket(contact, now=at, **kw)
    return reload(ticket.number)


def _reason(ticket: Any) -> str:
    (event,) = events(ticket, "routing.assigned")
    return str(event.detail)


def test_affinity_to_the_agent_who_answered_last(
    app: Any, team: dict[str, Any], make_ticket: Any, make_contact: Any
) -> None:
    contact = make_contact()
    earlier = _answered_before(make_ticket, contact, team["Bohdan"])
    _seen(*team.values())
    ticket = _new(make_ticket, contact)
    assert ticket.assignee_id == team["Bohdan"].id
    assert _reason(ticket).startswith(
        f"affinity: Bohdan handled {contact.organization.name}'s ticket "
        f"#{earlier.number} on 2026-11-08; available, load 0/"
    )
    (event,) = events(ticket, "routing.assigned")
    assert event.after == {"assignee_id": team["Bohdan"].id, "rule": "affinity"} and not event.client_visible
    other_org = _new(
        make_ticket, make_contact()
    )  # no history with anyone: least loaded (Alena, idle longest)
    assert other_org.assignee_id == team["Alena"].id and _reason(other_org).startswith("least loaded: Alena")


def test_offline_previous_handler_falls_back_to_least_loaded(
    app: Any, team: dict[str, Any], make_ticket: Any, make_contact: Any
) -> None:
    contact = make_contact()
    _answered_before(make_ticket, contact, team["Alena"])
    _seen(team["Bohdan"], team["Cyril"])
    _seen(team["Alena"], at=START - timedelta(minutes=30))  # the browser closed half an hour ago
    ticket = _new(make_ticket, contact)
    assert ticket.assignee_id == team["Bohdan"].id
    assert "least loaded: Bohdan" in _reason(ticket) and "previous handler Alena is offline" in _reason(
        ticket
    )
    set_value(db.session, "routing.online_minutes", 60)  # a longer online window makes her available again
    db.session.commit()
    again = _new(make_ticket, contact)
    assert again.assignee_id == team["Alena"].id and _reason(again).startswith("affinity: Alena")


def test_the_available_switch_and_the_load_cap(
    app: Any, team: dict[str, Any], make_ticket: Any, make_contact: Any
) -> None:
    contact = make_contact()
    _answered_before(make_ticket, contact, team["Alena"], assign=True)
    support = queue_by_slug(db.session, "support")
    support.load_cap = 2
    team["Bohdan"].available = False  # switched himself off
    _seen(*team.values())
    first = _new(make_ticket, contact)
    assert first.assignee_id == team["Alena"].id and "load 1/2" in _reason(first)
    second = _new(make_ticket, contact)  # Alena now holds 2 open tickets: at the cap
    assert second.assignee_id == team["Cyril"].id
    assert "previous handler Alena is at load cap 2/2" in _reason(second)
    # a claimed ticket counts towards the holder's load, not the assignee's
    tickets.claim(db.session, second.number, team["Alena"], now=START)
    db.session.commit()
    third = _new(make_ticket, make_contact())
    assert third.assignee_id == team["Cyril"].id and "least loaded: Cyril, load 0/2" in _reason(third)


def test_queue_mode_least_loaded_ignores_affinity(
    app: Any, team: dict[str, Any], make_ticket: Any, make_contact: Any
) -> None:
    contact = make_contact()
    _answered_before(make_ticket, contact, team["Alena"], assign=True)
    queue_by_slug(db.session, "support").routing_mode = "least_loaded"
    _seen(*team.values())
    ticket = _new(make_ticket, contact)
    assert ticket.assignee_id == team["Bohdan"].id and _reason(ticket).startswith(
        "least loaded: Bohdan, load 0/"
    )
    assert "tie on load with 1 other(s)" in _reason(ticket)


def test_queue_mode_none_leaves_the_shared_queue(
    app: Any, team: dict[str, Any], make_ticket: Any, make_contact: Any
) -> None:
    queue_by_slug(db.session, "support").routing_mode = "none"
    _seen(*team.values())
    ticket = _new(make_ticket, make_contact())
    assert ticket.assignee_id is None and events(ticket, "routing.assigned") == []


def test_working_hours_per_agent_and_on_call_at_night(
    app: Any, team: dict[str, Any], make_ticket: Any, make_contact: Any
) -> None:
    contact = make_contact()
    _answered_before(make_ticket, contact, team["Alena"])
    afternoons = {"timezone": "Europe/Prague", "hours": ["13:00-17:00"], "country": "CZ"}
    set_value(db.session, "routing.agent_calendars", {str(team["Alena"].id): afternoons})
    db.session.commit()
    _seen(*team.values())
    morning = _new(make_ticket, contact)  # 11:00 in Prague: Alena starts at 13:00
    assert morning.assignee_id != team["Alena"].id
    assert "previous handler Alena is outside working hours" in _reason(morning)
    afternoon = START + timedelta(hours=3)
    _seen(*team.values(), at=afternoon)
    assert _new(make_ticket, contact, afternoon).assignee_id == team["Alena"].id

    night = datetime(2026, 11, 10, 21, 0, tzinfo=UTC)  # 22:00 in Prague: the team's hours are over
    _seen(*team.values(), at=night)
    nobody = _new(make_ticket, make_contact(), night)
    assert nobody.assignee_id is None
    assert _reason(nobody) == "shared queue: no agent available (3 outside working hours)"
    team["Cyril"].on_call = True
    db.session.commit()
    assert _new(make_ticket, make_contact(), night).assignee_id == team["Cyril"].id


def test_presence_window_and_heartbeat(
    app: Any, team: dict[str, Any], make_ticket: Any, make_contact: Any
) -> None:
    never_seen = _new(make_ticket, make_contact())
    assert never_seen.assignee_id is None and "3 offline" in _reason(never_seen)
    triage.mark_agent_seen(db.session, team["Cyril"].id, now=START)
    db.session.commit()
    seen = _new(make_ticket, make_contact())
    assert seen.assignee_id == team["Cyril"].id
    # written at most every 30 seconds
    triage.mark_agent_seen(db.session, team["Cyril"].id, now=START + timedelta(seconds=10))
    db.session.commit()
    db.session.refresh(team["Cyril"])
    assert team["Cyril"].last_seen_at == START
    triage.mark_agent_seen(db.session, team["Cyril"].id, now=START + timedelta(seconds=40))
    db.session.commit()
    db.session.refresh(team["Cyril"])
    assert team["Cyril"].last_seen_at == START + timedelta(seconds=40)
    # online window 0: the available switch alone decides
    set_value(db.session, "routing.online_minutes", 0)
    db.session.commit()
    later = START + timedelta(hours=2)
    assert _new(make_ticket, make_contact(), later).assignee_id in {a.id for a in team.values()}


def test_agents_outside_the_queue_are_not_candidates(
    app: Any, team: dict[str, Any], make_ticket: Any, make_contact: Any
) -> None:
    contact = make_contact()
    _answered_before(make_ticket, contact, team["Alena"])
    team["Alena"].queues = [queue_by_slug(db.session, "consulting")]
    _seen(*team.values())
    ticket = _new(make_ticket, contact)
    assert ticket.assignee_id in (team["Bohdan"].id, team["Cyril"].id)
    assert "is not a candidate" in _reason(ticket)
