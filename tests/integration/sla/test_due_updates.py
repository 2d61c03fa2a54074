"""The client is told when the due times change: after a priority change always, otherwise only when a
due time moved by more than the threshold; a burst of changes gives one mail, and a status mail that
already carried the new times is not repeated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine

from tests.integration.sla.helpers import events, mail_text, mails, prague, reload
from ticketdesk.admin.store import set_value
from ticketdesk.extensions import db
from ticketdesk.jobs.runner import run_once
from ticketdesk.tickets import service as tickets
from ticketdesk.tickets.history import ActorRef

OPENED = prague(2026, 11, 10, 9)  # Tuesday


def test_priority_change_is_mailed_in_the_clients_language(
    app: Any, make_ticket: Any, make_contact: Any, make_org: Any, agent: Any
) -> None:
    contact = make_contact(make_org(language="cs"), language="cs", name="Jana")
    with time_machine.travel(OPENED, tick=False) as clock:
        ticket = make_ticket(contact, now=OPENED, priority="normal")
        later = OPENED + timedelta(minutes=10)
        clock.move_to(later)
        tickets.set_priority(db.session, ticket, "urgent", ActorRef.agent(agent), now=later)
        db.session.commit()
        assert reload(ticket.number).first_response_due == OPENED + timedelta(minutes=30)
        clock.shift(timedelta(seconds=61))
        run_once(app)
        (update,) = mails(ticket, "sla_update")
        text = mail_text(update)
        assert "Nové předpokládané termíny" in text and "z normální na urgentní" in text
        assert "10. 11. 2026 09:30 CET" in text  # the new first-response time, local
        clock.shift(timedelta(minutes=5))
        run_once(app)
        assert len(mails(ticket, "sla_update")) == 1, "told once"


def test_a_burst_of_changes_that_cancel_out_sends_nothing(
    app: Any, make_ticket: Any, make_contact: Any, agent: Any
) -> None:
    with time_machine.travel(OPENED, tick=False) as clock:
        ticket = make_ticket(make_contact(), now=OPENED, priority="normal")
        for priority in ("high", "normal"):
            clock.shift(timedelta(seconds=10))
            tickets.set_priority(
                db.session,
                reload(ticket.number),
                priority,
                ActorRef.agent(agent),
                now=OPENED + timedelta(seconds=10),
            )
            db.session.commit()
        clock.shift(timedelta(minutes=3))
        run_once(app)
        assert len(events(ticket, "sla.changed")) == 2
        assert mails(ticket, "sla_update") == []


def test_threshold_is_an_admin_setting(app: Any, make_ticket: Any, make_contact: Any, agent: Any) -> None:
    set_value(db.session, "sla.notify_threshold_minutes", 10)
    db.session.commit()
    with time_machine.travel(OPENED, tick=False) as clock:
        ticket = make_ticket(make_contact(), now=OPENED, priority="normal")
        tickets.change_status(db.session, ticket, "waiting_for_client", ActorRef.agent(agent), now=OPENED)
        db.session.commit()
        back = OPENED + timedelta(minutes=25)
        clock.move_to(back)
        tickets.change_status(
            db.session, reload(ticket.number), "in_progress", ActorRef.agent(agent), now=back
        )
        db.session.commit()
        clock.shift(timedelta(minutes=2))
        run_once(app)
        assert len(mails(ticket, "sla_update")) == 1


def test_status_mail_already_told_the_new_times(
    app: Any, make_ticket: Any, make_contact: Any, agent: Any
) -> None:
    with time_machine.travel(OPENED, tick=False) as clock:
        ticket = make_ticket(make_contact(), now=OPENED, priority="normal")
        tickets.change_status(db.session, ticket, "waiting_for_client", ActorRef.agent(agent), now=OPENED)
        db.session.commit()
        later = OPENED + timedelta(days=1)
        clock.move_to(later)
        tickets.change_status(
            db.session,
            reload(ticket.number),
            "scheduled",
            ActorRef.agent(agent),
            now=later,
            scheduled_for=later + timedelta(days=3),
        )
        db.session.commit()
        clock.shift(timedelta(minutes=2))
        run_once(app)
        assert mails(ticket, "sla_update") == []
        assert len(mails(ticket, "status")) == 2
        assert events(ticket, "sla.notified")[-1].detail.endswith("(in the status mail)")


def test_resolved_tickets_get_no_updates(app: Any, make_ticket: Any, make_contact: Any, agent: Any) -> None:
    with time_machine.travel(OPENED, tick=False) as clock:
        ticket = make_ticket(make_contact(), now=OPENED, priority="normal")
        tickets.set_priority(db.session, ticket, "low", ActorRef.agent(agent), now=OPENED)
        tickets.change_status(db.session, ticket, "resolved", ActorRef.agent(agent), now=OPENED)
        db.session.commit()
        clock.shift(timedelta(minutes=2))
        run_once(app)
        assert mails(ticket, "sla_update") == []
