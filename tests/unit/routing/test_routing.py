"""choose_agent: affinity, least loaded, shared queue, each with its reason."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ticketdesk.sla.hours import BusinessCalendar
from ticketdesk.tickets.routing import AgentCandidate, RoutingChoice, choose_agent

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # Tuesday 10:30 in Prague


def agent(agent_id: int, name: str, load: int, **kwargs: object) -> AgentCandidate:
    fields: dict[str, object] = {"online": True, "in_working_hours": True} | kwargs
    return AgentCandidate(id=agent_id, name=name, open_load=load, **fields)  # type: ignore[arg-type]


def route(candidates: list[AgentCandidate], last: int | None = None, **kwargs: object) -> RoutingChoice:
    params: dict[str, object] = {
        "organization_id": 12,
        "candidates": candidates,
        "last_handler_id": last,
        "now": NOW,
        "load_cap": 8,
    } | kwargs
    return choose_agent(**params)  # type: ignore[arg-type]


TEAM = [agent(1, "Jan Novák", 3), agent(2, "Eva Dvořáková", 1), agent(3, "Petr Svoboda", 5)]


def test_affinity_prefers_the_previous_handler() -> None:
    choice = route(
        TEAM,
        last=1,
        organization_name="ACME",
        last_ticket_number=1042,
        last_handled_at=datetime(2026, 11, 20, 14, 5, tzinfo=UTC),
    )
    assert choice == RoutingChoice(
        1, "affinity: Jan Novák handled ACME's ticket #1042 on 2026-11-20; available, load 3/8", "affinity"
    )


def test_affinity_reason_without_details() -> None:
    choice = route(TEAM, last=3)
    assert choice.agent_id == 3 and choice.rule == "affinity"
    assert (
        choice.reason == "affinity: Petr Svoboda handled organisation #12's last ticket; available, load 5/8"
    )


@pytest.mark.parametrize(
    ("previous", "why"),
    [
        (agent(1, "Jan Novák", 3, online=False), "offline"),
        (agent(1, "Jan Novák", 3, in_working_hours=False), "outside working hours"),
        (agent(1, "Jan Novák", 8), "at load cap 8/8"),
        (agent(1, "Jan Novák", 4, max_load=4), "at load cap 4/4"),
        (agent(1, "Jan Novák", 0, active=False), "inactive"),
    ],
)
def test_unavailable_previous_handler_falls_back_to_least_loaded(previous: AgentCandidate, why: str) -> None:
    choice = route([previous, *TEAM[1:]], last=1, organization_name="ACME")
    assert choice.agent_id == 2 and choice.rule == "least_loaded"
    assert choice.reason == (
        f"least loaded: Eva Dvořáková, load 1/8, of 2 available agent(s); previous handler Jan Novák is {why}"
    )


def test_previous_handler_not_among_candidates() -> None:
    choice = route(TEAM, last=99, organization_name="ACME")
    assert choice.agent_id == 2
    assert choice.reason.endswith("previous handler of ACME's tickets (agent #99) is not a candidate")


def test_least_loaded_mode_ignores_affinity() -> None:
    choice = route(TEAM, last=1, mode="least_loaded")
    assert choice == RoutingChoice(
        2, "least loaded: Eva Dvořáková, load 1/8, of 3 available agent(s)", "least_loaded"
    )


def test_ties_go_to_the_longest_idle_then_lowest_id() -> None:
    earlier = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    later = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    busy_recently = [agent(1, "A", 2, last_assigned_at=later), agent(2, "B", 2, last_assigned_at=earlier)]
    choice = route(busy_recently)
    assert choice.agent_id == 2 and "broken by longest idle" in choice.reason
    never_assigned = [agent(5, "E", 2, last_assigned_at=earlier), agent(4, "D", 2)]
    assert route(never_assigned).agent_id == 4  # never assigned counts as idle longest
    same = [agent(7, "G", 2), agent(6, "F", 2), agent(8, "H", 3)]
    choice = route(same)
    assert choice.agent_id == 6
    assert (
        choice.reason
        == "least loaded: F, load 2/8, of 3 available agent(s), tie on load with 1 other(s) broken by lowest id"
    )


def test_nobody_available_leaves_the_shared_queue() -> None:
    team = [
        agent(1, "Jan Novák", 2, online=False),
        agent(2, "Eva Dvořáková", 8),
        agent(3, "Petr Svoboda", 1, in_working_hours=False),
        agent(4, "Olga", 0, online=False),
    ]
    choice = route(team, last=2, organization_name="ACME")
    assert choice == RoutingChoice(
        None,
        "shared queue: no agent available (1 at load cap, 2 offline, 1 outside working hours); "
        "previous handler Eva Dvořáková is at load cap 8/8",
        "shared_queue",
    )
    assert route([]).reason == "shared queue: no agent available (no agents in this queue)"


def test_mode_none() -> None:
    assert route(TEAM, last=1, mode="none") == RoutingChoice(
        None, "shared queue: automatic assignment is off", "shared_queue"
    )


def test_working_hours_from_a_calendar() -> None:
    tokyo_evening = BusinessCalendar(timezone="Asia/Tokyo", country="JP")  # 18:30 in Tokyo
    prague = BusinessCalendar(timezone="Europe/Prague")
    team = [
        AgentCandidate(id=1, name="Kenji", online=True, open_load=0, calendar=tokyo_evening),
        AgentCandidate(id=2, name="Jana", online=True, open_load=4, calendar=prague),
    ]
    choice = route(team, last=1)
    assert choice.agent_id == 2
    assert "previous handler Kenji is outside working hours" in choice.reason
    assert NOW.astimezone(ZoneInfo("Asia/Tokyo")).hour == 18


def test_agent_without_hours_information_counts_as_working() -> None:
    assert route([AgentCandidate(id=9, name="Z", online=True, open_load=0)]).agent_id == 9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "random"}, "routing mode"),
        ({"load_cap": 0}, "load_cap"),
        ({"now": datetime(2026, 11, 24, 9, 30)}, "timezone-aware"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        route(TEAM, **kwargs)
