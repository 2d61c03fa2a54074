"""The resolution clock stops while a ticket waits for the client and restarts on the client's reply;
the due time moves by the business minutes spent waiting, and no warning fires meanwhile."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine

from tests.integration.sla.helpers import events, mail_text, mails, prague, reload
from ticketdesk.extensions import db
from ticketdesk.jobs.runner import run_once
from ticketdesk.sla import service
from ticketdesk.tickets import service as tickets
from ticketdesk.tickets.history import ActorRef


def _client_reply(ticket: Any, contact: Any, now: Any) -> None:
    tickets.add_client_message(
        db.session,
        ticket,
        contact,
        tickets.NewMessage(
            text="Here are the logs you asked for.", from_addr=contact.primary_email, subject=ticket.subject
        ),
        now=now,
    )
    db.session.commit()


def test_waiting_for_the_client_pauses_the_resolution_clock(
    app: Any, make_ticket: Any, make_contact: Any, agent: Any
) -> None:
    contact = make_contact()
    opened = prague(2026, 11, 9, 9)  # Monday
    with time_machine.travel(opened, tick=False) as clock:
        ticket = make_ticket(contact, now=opened, priority="normal")
        assert ticket.resolution_due == prague(2026, 11, 12, 9)
        asked = prague(2026, 11, 9, 10)
        clock.move_to(asked)
        tickets.add_agent_message(
            db.session, ticket, agent, kind="reply", text="Please send the logs.", now=asked
        )
        tickets.change_status(db.session, ticket, "waiting_for_client", ActorRef.agent(agent), now=asked)
        db.session.commit()
        paused = reload(ticket.number)
        assert paused.sla_paused_since == asked and paused.first_responded_at == asked
        assert service.clock_state(db.session, paused, now=asked)["resolution"]["state"] == "paused"
        assert service.clock_state(db.session, paused, now=asked)["first_response"]["state"] == "met"

        # Thursday 10:00: the original resolution due time has passed, but the clock stands still
        replied = prague(2026, 11, 12, 10)
        clock.move_to(replied)
        run_once(app)
        assert events(ticket, "sla.warning") == []
        _client_reply(reload(ticket.number), contact, replied)
        resumed = reload(ticket.number)
        assert resumed.status in ("queued", "in_progress") and resumed.sla_paused_since is None
        # paused Mon 10-17, Tue, Wed, Thu 8-10 = 1620 business minutes; Tuesday 17 Nov is a public holiday
        assert resumed.sla_paused_minutes == 1620
        assert resumed.resolution_due == prague(2026, 11, 18, 9)
        assert resumed.first_response_due == prague(2026, 11, 9, 13)  # the first response is never paused
        (change,) = events(ticket, "sla.changed")
        assert change.before["resolution_due"] == "2026-11-12T08:00:00Z"
        assert change.after["resolution_due"] == "2026-11-18T08:00:00Z" and not change.client_visible

        # the client hears about it once, after the short delay that lets changes settle
        run_once(app)
        assert mails(ticket, "sla_update") == []
        clock.shift(timedelta(minutes=2))
        run_once(app)
        (update,) = mails(ticket, "sla_update")
        text = mail_text(update)
        assert "2026-11-18 09:00 CET" in text and "(was 2026-11-12 09:00 CET)" in text
        assert "waited for your reply" in text and update.to_addrs == [contact.primary_email]
        (told,) = events(ticket, "sla.notified")
        assert told.client_visible and told.after["resolution_due"] == "2026-11-18T08:00:00Z"


def test_pause_while_urgent_counts_every_minute(
    app: Any, make_ticket: Any, make_contact: Any, agent: Any
) -> None:
    contact = make_contact()
    opened = prague(2026, 11, 14, 22)  # Saturday night
    with time_machine.travel(opened, tick=False) as clock:
        ticket = make_ticket(contact, now=opened, priority="urgent")
        tickets.change_status(db.session, ticket, "waiting_for_client", ActorRef.agent(agent), now=opened)
        db.session.commit()
        back = opened + timedelta(hours=3)
        clock.move_to(back)
        _client_reply(reload(ticket.number), contact, back)
        resumed = reload(ticket.number)
        assert resumed.sla_paused_minutes == 180 and resumed.resolution_due == opened + timedelta(hours=7)


def test_a_short_wait_changes_the_due_time_without_mail(
    app: Any, make_ticket: Any, make_contact: Any, agent: Any
) -> None:
    contact = make_contact()
    opened = prague(2026, 11, 10, 9)
    with time_machine.travel(opened, tick=False) as clock:
        ticket = make_ticket(contact, now=opened, priority="normal")
        due = ticket.resolution_due
        tickets.change_status(db.session, ticket, "waiting_for_client", ActorRef.agent(agent), now=opened)
        db.session.commit()
        clock.shift(timedelta(minutes=25))
        _client_reply(reload(ticket.number), contact, opened + timedelta(minutes=25))
        assert reload(ticket.number).resolution_due == due + timedelta(minutes=25)
        clock.shift(timedelta(minutes=5))
        run_once(app)
        assert len(events(ticket, "sla.changed")) == 1
        assert mails(ticket, "sla_update") == [], "25 minutes are below the 60-minute threshold"
