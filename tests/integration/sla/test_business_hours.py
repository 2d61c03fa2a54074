"""Due times on real tickets: business hours across weekends, public holidays and a DST change, 24x7 for
urgent tickets, an organisation's own calendar, and the acknowledgement that carries them."""

from __future__ import annotations

from typing import Any

import time_machine

from tests.integration.sla.helpers import events, mail_text, mails, prague
from ticketdesk.extensions import db
from ticketdesk.sla import service
from ticketdesk.sla.hours import BusinessCalendar
from ticketdesk.sla.targets import DEFAULT_TARGETS, SlaPolicy, SlaTarget
from ticketdesk.tickets.serialize import ticket_summary


def _open(make_ticket: Any, contact: Any, when: Any, priority: str | None = "normal", **kw: Any) -> Any:
    with time_machine.travel(when, tick=False):
        return make_ticket(contact, now=when, priority=priority, **kw)


def test_weekend_and_holiday_across_the_dst_change(app: Any, make_ticket: Any, make_contact: Any) -> None:
    # Friday 23 Oct 2026 16:00 CEST; clocks go back on Sunday; Wednesday 28 Oct is a Czech public holiday
    ticket = _open(make_ticket, make_contact(), prague(2026, 10, 23, 16))
    assert ticket.first_response_due == prague(2026, 10, 26, 11)  # 1 h on Friday + 3 h on Monday (CET)
    assert ticket.resolution_due == prague(2026, 10, 29, 16)  # 3 business days, skipping the 28th
    assert ticket_summary(ticket)["sla"] == {
        "first_response_due": "2026-10-26T10:00:00Z",
        "resolution_due": "2026-10-29T15:00:00Z",
    }


def test_christmas_holidays_and_the_acknowledgement(app: Any, make_ticket: Any, make_contact: Any) -> None:
    # Wednesday 23 Dec 2026 15:00: 24, 25 and 26 Dec are Czech public holidays, then a Sunday
    ticket = _open(make_ticket, make_contact(), prague(2026, 12, 23, 15))
    assert ticket.first_response_due == prague(2026, 12, 28, 10)
    assert ticket.resolution_due == prague(2026, 12, 30, 15)
    (ack,) = mails(ticket, "ack")
    text = mail_text(ack)
    assert "2026-12-28 10:00 CET" in text and "2026-12-30 15:00 CET" in text  # the team's local time
    (initial,) = events(ticket, "sla.due_times")
    assert initial.after["first_response_due"] == "2026-12-28T09:00:00Z" and initial.client_visible


def test_high_priority_over_a_weekend(app: Any, make_ticket: Any, make_contact: Any) -> None:
    ticket = _open(make_ticket, make_contact(), prague(2026, 12, 18, 16, 30), priority="high")
    assert ticket.first_response_due == prague(2026, 12, 21, 8, 30)
    assert ticket.resolution_due == prague(2026, 12, 21, 16, 30)


def test_urgent_counts_around_the_clock(app: Any, make_ticket: Any, make_contact: Any) -> None:
    ticket = _open(make_ticket, make_contact(), prague(2026, 12, 19, 3), priority="urgent")  # Saturday night
    assert ticket.first_response_due == prague(2026, 12, 19, 3, 30)
    assert ticket.resolution_due == prague(2026, 12, 19, 7)


def test_urgent_words_give_urgent_due_times(app: Any, make_ticket: Any, make_contact: Any) -> None:
    ticket = _open(
        make_ticket,
        make_contact(),
        prague(2026, 12, 19, 3),
        priority=None,
        subject="Výpadek",
        text="Máme výpadek všech služeb, nic nefunguje.",
    )
    assert ticket.priority == "urgent" and ticket.priority_source == "auto"
    assert ticket.first_response_due == prague(2026, 12, 19, 3, 30)


def test_team_calendar_edited_by_admins(app: Any, make_ticket: Any, make_contact: Any) -> None:
    # a Bavarian team, 09:00-12:00 and 13:00-18:00, short Friday; 6 Jan is a holiday in Bavaria
    calendar = BusinessCalendar.from_dict(
        {
            "timezone": "Europe/Berlin",
            "country": "DE",
            "subdivision": "BY",
            "hours": ["09:00-12:00", "13:00-18:00"],
            "hours_by_weekday": {"fri": ["09:00-13:00"]},
        }
    )
    service.save_team_policy(db.session, SlaPolicy(calendar=calendar))
    db.session.commit()
    ticket = _open(make_ticket, make_contact(), prague(2027, 1, 5, 17))  # Tuesday 17:00 in Berlin too
    # 1 h on Tuesday, Wednesday 6 Jan is a holiday, Thursday 09:00-12:00 (3 h) → 12:00
    assert ticket.first_response_due == prague(2027, 1, 7, 12)


def test_an_organisations_own_calendar_and_targets(
    app: Any, make_ticket: Any, make_contact: Any, make_org: Any
) -> None:
    finnish = make_org(name="Nordic Oy")
    helsinki = BusinessCalendar.from_dict(
        {"timezone": "Europe/Helsinki", "country": "FI", "hours": ["08:00-16:00"]}
    )
    targets = dict(DEFAULT_TARGETS) | {"normal": SlaTarget(120, 960)}
    service.save_org_override(db.session, finnish.id, targets, helsinki)
    db.session.commit()
    # Tuesday 5 Jan 2027 15:00 in Helsinki (14:00 Prague); 6 Jan (Epiphany) is a Finnish holiday
    opened = prague(2027, 1, 5, 14)
    theirs = _open(make_ticket, make_contact(finnish), opened)
    assert theirs.first_response_due == prague(2027, 1, 7, 8)  # 1 h Tuesday, Thursday 08:00-09:00 Helsinki
    assert theirs.resolution_due == prague(2027, 1, 8, 14)  # 16 h = 1 + 8 (Thursday) + 7 (Friday → 15:00 EET)
    others = _open(make_ticket, make_contact(), opened)  # the team's calendar and targets still apply
    assert others.first_response_due == prague(2027, 1, 6, 9)
    service.delete_org_override(db.session, finnish.id)
    db.session.commit()
    assert service.policy_for(db.session, finnish.id) == service.policy_for(db.session, None)


def test_the_pure_core_imports_neither_flask_nor_the_database() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, ticketdesk.sla.hours, ticketdesk.sla.targets, ticketdesk.sla.clock, ticketdesk.tickets.routing\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_sqlalchemy'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3])
