"""The SLA admin pages: admins only, CSRF, the team calendar and targets, an organisation's own targets and
calendar, escalation settings, and agents' availability for routing; a saved change reaches the next ticket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from tests.integration.sla.helpers import prague
from tests.web.workspace.helpers import login, post_form
from ticketdesk.admin.store import clear_cache, get_value
from ticketdesk.extensions import db
from ticketdesk.sla import service

PAGE = "/admin/sla/"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


@pytest.fixture
def admin_client(client: Any, admin: Any) -> Any:
    from ticketdesk.extensions import limiter

    limiter.reset()
    login(client, admin.email)
    return client


def _targets(**changes: tuple[int, int, bool]) -> dict[str, Any]:
    values = {
        "urgent": (30, 240, True),
        "high": (60, 540, False),
        "normal": (240, 1620, False),
        "low": (540, 5400, False),
    } | changes
    form: dict[str, Any] = {}
    for p, (first, resolution, around) in values.items():
        form[f"{p}_first"], form[f"{p}_resolution"] = str(first), str(resolution)
        if around:
            form[f"{p}_247"] = "1"
    return form


def test_only_admins_and_csrf(app: Any, client: Any, agent: Any, admin_client: Any) -> None:
    other = app.test_client()
    assert other.get(PAGE).status_code == 302
    login(other, agent.email)
    for page in (PAGE, "/admin/sla/agents", f"/admin/sla/agents/{agent.id}"):
        assert other.get(page).status_code == 403, page
    assert admin_client.post("/admin/sla/targets", data=_targets()).status_code == 400  # no CSRF token
    for page in (PAGE, "/admin/sla/agents", f"/admin/sla/agents/{agent.id}"):
        assert admin_client.get(page).status_code == 200, page


def test_team_calendar_and_targets(admin_client: Any, make_ticket: Any) -> None:
    page = admin_client.get(PAGE).get_data(as_text=True)
    assert "Europe/Prague" in page and "A ticket opened now would be promised" in page
    resp = post_form(
        admin_client,
        PAGE,
        "/admin/sla/calendar",
        {
            "timezone": "Europe/Berlin",
            "working_days": WEEKDAYS,
            "hours": "09:00-12:00, 13:00-18:00",
            "hours_fri": "09:00-13:00",
            "country": "DE",
            "subdivision": "by",
            "closed_dates": "2026-12-31",
        },
    )
    assert resp.status_code == 303
    clear_cache()
    stored = get_value(db.session, "sla.policy")
    assert (
        stored["calendar"]["subdivision"] == "BY"
        and stored["calendar"]["hours_by_weekday"] == {"fri": ["09:00-13:00"]}
        and stored["calendar"]["closed_dates"] == ["2026-12-31"]
    )
    page = admin_client.get(PAGE).get_data(as_text=True)
    assert "Heilige Drei Könige" in page or "Epiphany" in page  # coming days off in Bavaria
    assert (
        post_form(admin_client, PAGE, "/admin/sla/targets", _targets(normal=(120, 960, False))).status_code
        == 303
    )
    opened = prague(2027, 1, 5, 17)  # Tuesday 17:00; 6 Jan is a holiday in Bavaria
    with time_machine.travel(opened, tick=False):
        ticket = make_ticket(now=opened, priority="normal")
    assert ticket.first_response_due == prague(2027, 1, 7, 10)  # 1 h Tuesday + 1 h Thursday from 09:00
    # a bad value is refused with the reason and changes nothing
    resp = post_form(
        admin_client, PAGE, "/admin/sla/calendar", {"timezone": "Mars/Olympus", "working_days": WEEKDAYS}
    )
    assert "unknown time zone" in admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    resp = post_form(admin_client, PAGE, "/admin/sla/targets", _targets(high=(600, 60, False)))
    assert "cannot be shorter" in admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    clear_cache()
    assert get_value(db.session, "sla.policy")["calendar"]["timezone"] == "Europe/Berlin"


def test_organisation_targets_and_calendar(
    admin_client: Any, make_org: Any, make_contact: Any, make_ticket: Any
) -> None:
    org = make_org(name="Nordic Oy")
    resp = post_form(admin_client, PAGE, "/admin/sla/organizations", {"organization_id": str(org.id)})
    assert resp.headers["Location"].endswith(f"/admin/sla/organizations/{org.id}")
    page = f"/admin/sla/organizations/{org.id}"
    assert "follows the team" in admin_client.get(page).get_data(as_text=True)
    assert (
        post_form(
            admin_client,
            page,
            page,
            {
                **_targets(normal=(120, 960, True)),
                "own_calendar": "1",
                "timezone": "Europe/Helsinki",
                "working_days": WEEKDAYS,
                "hours": "08:00-16:00",
                "country": "FI",
            },
        ).status_code
        == 303
    )
    override = service.org_overrides(db.session)[org.id]
    assert (
        override.targets["normal"].first_response_minutes == 120
        and override.targets["normal"].around_the_clock
    )
    assert override.calendar is not None and override.calendar.timezone == "Europe/Helsinki"
    assert "Nordic Oy" in admin_client.get(PAGE).get_data(as_text=True)
    saturday = datetime(2026, 11, 14, 10, 0, tzinfo=UTC)
    with time_machine.travel(saturday, tick=False):
        ticket = make_ticket(make_contact(org), now=saturday, priority="normal")
    assert ticket.first_response_due == datetime(2026, 11, 14, 12, 0, tzinfo=UTC)  # around the clock for them
    assert post_form(admin_client, PAGE, f"/admin/sla/organizations/{org.id}/delete").status_code == 303
    assert org.id not in service.org_overrides(db.session)


def test_escalation_settings(admin_client: Any) -> None:
    assert (
        post_form(
            admin_client,
            PAGE,
            "/admin/sla/escalation",
            {
                "warn_percent": "75",
                "warn_minutes": "",
                "notify_threshold_minutes": "30",
                "notify_delay_seconds": "120",
            },
        ).status_code
        == 303
    )
    clear_cache()
    settings = service.escalation_settings(db.session)
    assert settings == service.Escalation(0.75, None, False, 30, 120)


def test_agents_availability(admin_client: Any, make_agent: Any) -> None:
    worker = make_agent(name="Wanda Worker")
    page = admin_client.get("/admin/sla/agents").get_data(as_text=True)
    assert "Wanda Worker" in page and "offline" in page
    assert (
        post_form(
            admin_client, "/admin/sla/agents", "/admin/sla/agents/settings", {"online_minutes": "15"}
        ).status_code
        == 303
    )
    clear_cache()
    assert get_value(db.session, "routing.online_minutes") == 15
    hours = f"/admin/sla/agents/{worker.id}"
    assert (
        post_form(
            admin_client,
            hours,
            hours,
            {
                "own_calendar": "1",
                "timezone": "Europe/Prague",
                "working_days": ["sat", "sun"],
                "hours": "10:00-18:00",
                "country": "",
            },
        ).status_code
        == 303
    )
    from ticketdesk.tickets import triage

    clear_cache()
    calendar = triage.agent_calendars(db.session)[worker.id]
    assert calendar.working_days == frozenset({5, 6}) and calendar.country is None
    assert "sat, sun 10:00-18:00" in admin_client.get("/admin/sla/agents").get_data(as_text=True)
    assert post_form(admin_client, hours, hours, {"timezone": "Europe/Prague"}).status_code == 303
    clear_cache()
    assert worker.id not in triage.agent_calendars(db.session)
