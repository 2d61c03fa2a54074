"""Admin pages for SLA and routing availability (blueprint ``sla_admin`` under /admin/sla).

* ``/admin/sla/`` — the team's business calendar (time zone, working days and hours, public holidays of a
  country/subdivision, closed dates, or 24x7), targets per priority, escalation and client-update
  settings, what a ticket opened now would be promised, and the organisations with their own targets;
* ``/admin/sla/organizations/<id>`` — an organisation's own targets and (optionally) calendar;
* ``/admin/sla/agents`` — who counts as available for routing: online window, each agent's working hours.

Views read the form and call ``ticketdesk.sla.service``; a refusal comes back as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import holidays
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ticketdesk.accounts.models import Agent
from ticketdesk.admin.store import get_value, set_value
from ticketdesk.contacts.models import Organization
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow
from ticketdesk.sla import service
from ticketdesk.sla.hours import WEEKDAY_NAMES, BusinessCalendar, is_open, next_open
from ticketdesk.sla.targets import PRIORITIES, SlaPolicy, SlaTarget, due_times
from ticketdesk.tickets import triage

bp = Blueprint("sla_admin", __name__, url_prefix="/admin/sla")


@bp.before_request
def _admins_only() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if not getattr(current_user, "is_admin", False):
        abort(403, description=_("Only admins can open this page."))
    return None


def _me() -> str:
    return str(current_user.email)


def _done(action: Callable[[], Any], message: str, back: str) -> Any:
    try:
        action()
        db.session.commit()
        flash(message, "info")
    except ValueError as err:
        db.session.rollback()
        flash(str(err), "error")
    return redirect(back, code=303)


# --- reading forms ----------------------------------------------------------------------------------


def calendar_from_form(form: MultiDict[str, str], prefix: str = "") -> BusinessCalendar:
    """A business calendar from the calendar fields (``templates/sla/_calendar.html``); ValueError if bad."""

    def field(name: str) -> str:
        return (form.get(prefix + name) or "").strip()

    data: dict[str, Any] = {
        "timezone": field("timezone") or "Europe/Prague",
        "always_open": field("always_open") == "1",
        "working_days": form.getlist(prefix + "working_days"),
        "hours": field("hours") or "08:00-17:00",
        "hours_by_weekday": {day: spec for day in WEEKDAY_NAMES if (spec := field(f"hours_{day}"))},
        "country": field("country").upper() or None,
        "subdivision": field("subdivision").upper() or None,
        "closed_dates": field("closed_dates").replace(",", " ").split(),
    }
    return BusinessCalendar.from_dict(data)


def targets_from_form(form: MultiDict[str, str]) -> dict[str, SlaTarget]:
    targets = {}
    for priority in PRIORITIES:
        first, resolution = (
            (form.get(f"{priority}_first") or "").strip(),
            (form.get(f"{priority}_resolution") or "").strip(),
        )
        if not first.isdigit() or not resolution.isdigit():
            raise ValueError(_("SLA targets are whole numbers of minutes (%(p)s).", p=priority))
        targets[priority] = SlaTarget(int(first), int(resolution), form.get(f"{priority}_247") == "1")
    return targets


# --- what pages show ----------------------------------------------------------------------------------


def describe(cal: BusinessCalendar) -> str:
    if cal.always_open:
        return _("around the clock (%(tz)s)", tz=cal.timezone)
    days = ", ".join(WEEKDAY_NAMES[d] for d in sorted(cal.working_days))
    text = f"{days} {', '.join(cal.to_dict()['hours'])} {cal.timezone}"
    if cal.hours_by_weekday:
        text += (
            " ("
            + "; ".join(f"{d}: {', '.join(h)}" for d, h in cal.to_dict()["hours_by_weekday"].items())
            + ")"
        )
    if cal.country:
        text += " · " + _(
            "holidays: %(c)s", c=cal.country + (f"-{cal.subdivision}" if cal.subdivision else "")
        )
    return text


def upcoming_closures(
    cal: BusinessCalendar, today: date, days: int = 365, limit: int = 20
) -> list[tuple[date, str]]:
    """Public holidays and closed dates in the next ``days`` days that fall on a working day."""
    found: dict[date, str] = {}
    if cal.country and not cal.always_open:
        names = holidays.country_holidays(
            cal.country, subdiv=cal.subdivision, years=[today.year, today.year + 1]
        )
        found.update({d: str(n) for d, n in names.items()})
    if not cal.always_open:
        found.update({d: _("closed") for d in cal.closed_dates if d not in found})
    end = today + timedelta(days=days)
    return sorted((d, n) for d, n in found.items() if today <= d <= end and d.weekday() in cal.working_days)[
        :limit
    ]


def _countries() -> list[tuple[str, str, list[str]]]:
    from babel import Locale

    from ticketdesk.i18n import get_locale

    try:
        names = Locale.parse(str(get_locale() or "en")).territories
    except (ValueError, TypeError):
        names = Locale("en").territories
    supported = holidays.list_supported_countries()
    return sorted(
        ((code, names.get(code, code), list(subs)) for code, subs in supported.items() if len(code) == 2),
        key=lambda c: c[1],
    )


def _calendar_context(cal: BusinessCalendar) -> dict[str, Any]:
    return {"cal": cal.to_dict(), "weekdays": WEEKDAY_NAMES, "countries": _countries()}


# --- the team policy ---------------------------------------------------------------------------------


@bp.get("/")
def index() -> Any:
    now = utcnow()
    policy = service.policy_for(db.session, None)
    promise = {p: due_times(policy, p, now) for p in PRIORITIES}
    overrides = service.org_overrides(db.session)
    orgs = {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(overrides)))}
    others = db.session.execute(
        select(Organization.id, Organization.name)
        .where(Organization.id.not_in(overrides) if overrides else Organization.id.is_not(None))
        .order_by(Organization.name)
    ).all()
    cal = policy.calendar
    return render_template(
        "sla/index.html",
        policy=policy,
        priorities=PRIORITIES,
        promise=promise,
        now=now,
        open_now=is_open(cal, now),
        next_opening=next_open(cal, now),
        describe=describe,
        closures=upcoming_closures(cal, now.astimezone(cal.zone).date()),
        overrides=[(orgs[i], o) for i, o in overrides.items() if i in orgs],
        other_orgs=others,
        escalation=service.escalation_settings(db.session),
        section="sla",
        **_calendar_context(cal),
    )


def _team_base() -> SlaPolicy:
    """The stored team policy (not overlaid with global policy rows), defaults when none is stored."""
    stored = get_value(db.session, "sla.policy") or {}
    return SlaPolicy.from_dict(stored) if stored else SlaPolicy()


@bp.post("/calendar")
def save_calendar() -> Any:
    def save() -> None:
        base = _team_base()
        service.save_team_policy(
            db.session, SlaPolicy(calendar_from_form(request.form), base.targets), by=_me()
        )

    return _done(
        save,
        _("Business calendar saved. It applies to tickets opened from now on."),
        url_for("sla_admin.index"),
    )


@bp.post("/targets")
def save_targets() -> Any:
    def save() -> None:
        base = _team_base()
        service.save_team_policy(
            db.session, SlaPolicy(base.calendar, targets_from_form(request.form)), by=_me()
        )

    return _done(
        save, _("SLA targets saved. They apply to tickets opened from now on."), url_for("sla_admin.index")
    )


@bp.post("/escalation")
def save_escalation() -> Any:
    def save() -> None:
        def whole(name: str, default: int) -> int:
            raw = (request.form.get(name) or "").strip()
            if not raw:
                return default
            if not raw.isdigit():
                raise ValueError(_("%(field)s must be a whole number.", field=name))
            return int(raw)

        percent = whole("warn_percent", 80)
        minutes = (request.form.get("warn_minutes") or "").strip()
        if minutes and not minutes.isdigit():
            raise ValueError(_("Warning minutes must be a whole number."))
        service.save_escalation_settings(
            db.session,
            service.Escalation(
                warn_fraction=percent / 100,
                warn_minutes=int(minutes) if minutes else None,
                sms_on_urgent=request.form.get("sms_on_urgent") == "1",
                notify_threshold_minutes=whole("notify_threshold_minutes", 60),
                notify_delay_seconds=whole("notify_delay_seconds", 60),
            ),
            by=_me(),
        )

    return _done(save, _("Escalation settings saved."), url_for("sla_admin.index"))


# --- organisations -------------------------------------------------------------------------------------


@bp.post("/organizations")
def add_organization() -> Any:
    org_id = request.form.get("organization_id", "")
    if not org_id.isdigit() or db.session.get(Organization, int(org_id)) is None:
        flash(_("Choose an organisation."), "error")
        return redirect(url_for("sla_admin.index"), code=303)
    return redirect(url_for("sla_admin.organization", org_id=int(org_id)), code=303)


@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
def organization(org_id: int) -> Any:
    org = db.session.get(Organization, org_id)
    if org is None:
        abort(404)
    back = url_for("sla_admin.organization", org_id=org_id)
    if request.method == "POST":

        def save() -> None:
            calendar = None if request.form.get("own_calendar") != "1" else calendar_from_form(request.form)
            service.save_org_override(db.session, org_id, targets_from_form(request.form), calendar)

        return _done(save, _("Targets of %(org)s saved.", org=org.name), back)
    override = service.org_overrides(db.session).get(org_id)
    team = service.policy_for(db.session, None)
    targets = override.targets if override else team.targets
    cal = override.calendar if override and override.calendar else team.calendar
    return render_template(
        "sla/organization.html",
        org=org,
        override=override,
        targets=targets,
        priorities=PRIORITIES,
        own_calendar=bool(override and override.calendar),
        team=team,
        describe=describe,
        section="sla",
        **_calendar_context(cal),
    )


@bp.post("/organizations/<int:org_id>/delete")
def delete_organization(org_id: int) -> Any:
    return _done(
        lambda: service.delete_org_override(db.session, org_id),
        _("The organisation follows the team's targets again."),
        url_for("sla_admin.index"),
    )


# --- agents: availability for routing --------------------------------------------------------------------


@bp.get("/agents")
def agents() -> Any:
    now = utcnow()
    minutes = int(get_value(db.session, "routing.online_minutes", triage.ONLINE_MINUTES))
    team = service.policy_for(db.session, None).calendar
    own = triage.agent_calendars(db.session)
    rows = []
    for agent in db.session.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.name)):
        cal = own.get(agent.id, team)
        rows.append(
            {
                "agent": agent,
                "online": triage.is_online(agent, now=now, online_minutes=minutes),
                "own": agent.id in own,
                "calendar": describe(cal),
                "working": agent.on_call or is_open(cal, now),
            }
        )
    return render_template(
        "sla/agents.html", rows=rows, online_minutes=minutes, now=now, team=describe(team), section="sla"
    )


@bp.post("/agents/settings")
def save_agent_settings() -> Any:
    raw = (request.form.get("online_minutes") or "").strip()

    def save() -> None:
        if not raw.isdigit() or int(raw) > 24 * 60:
            raise ValueError(_("The online window is a whole number of minutes (0 to 1440)."))
        set_value(db.session, "routing.online_minutes", int(raw), by=_me())

    return _done(save, _("Routing settings saved."), url_for("sla_admin.agents"))


@bp.route("/agents/<int:agent_id>", methods=["GET", "POST"])
def agent_hours(agent_id: int) -> Any:
    agent = db.session.get(Agent, agent_id)
    if agent is None:
        abort(404)
    stored: dict[str, Any] = dict(get_value(db.session, "routing.agent_calendars") or {})
    if request.method == "POST":

        def save() -> None:
            if request.form.get("own_calendar") == "1":
                stored[str(agent_id)] = calendar_from_form(request.form).to_dict()
            else:
                stored.pop(str(agent_id), None)
            set_value(db.session, "routing.agent_calendars", stored, by=_me())

        return _done(
            save,
            _("Working hours of %(name)s saved.", name=agent.name),
            url_for("sla_admin.agent_hours", agent_id=agent_id),
        )
    team = service.policy_for(db.session, None).calendar
    mine = triage.agent_calendars(db.session).get(agent_id)
    return render_template(
        "sla/agent.html",
        agent=agent,
        own_calendar=mine is not None,
        team=describe(team),
        section="sla",
        **_calendar_context(mine or team),
    )
