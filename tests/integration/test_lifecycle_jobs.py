"""The worker closes resolved tickets after the reopen window and returns scheduled tickets on their date;
client replies reopen only inside the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from ticketdesk.extensions import db
from ticketdesk.jobs.runner import run_once
from ticketdesk.tickets import service
from ticketdesk.tickets.history import ActorRef
from ticketdesk.tickets.models import Ticket
from ticketdesk.tickets.states import ReopenWindowPassed

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _reload(number: int) -> Ticket:
    db.session.expire_all()
    return db.session.scalar(db.select(Ticket).where(Ticket.number == number))


def test_autoclose_after_exact_window(app: Any, make_ticket: Any, agent: Any) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        ticket = make_ticket(now=START)
        service.change_status(db.session, ticket, "resolved", ActorRef.agent(agent), now=START)
        db.session.commit()
        traveller.move_to(START + timedelta(days=13, hours=23, minutes=59))
        run_once(app)
        assert _reload(ticket.number).status == "resolved"
        traveller.move_to(START + timedelta(days=14, minutes=1))
        run_once(app)
        closed = _reload(ticket.number)
        assert closed.status == "closed" and closed.closed_at is not None
        last = db.session.scalars(
            db.select(db.text("kind FROM ticket_events ORDER BY id DESC LIMIT 1"))
        ).first()
        assert last == "status.closed"


def test_admin_configured_window(app: Any, make_ticket: Any, agent: Any) -> None:
    from ticketdesk.admin.store import set_value

    set_value(db.session, "reopen_days", 3)
    db.session.commit()
    with time_machine.travel(START, tick=False) as traveller:
        ticket = make_ticket(now=START)
        service.change_status(db.session, ticket, "resolved", ActorRef.agent(agent), now=START)
        db.session.commit()
        traveller.move_to(START + timedelta(days=3, minutes=1))
        run_once(app)
        assert _reload(ticket.number).status == "closed"


def test_scheduled_ticket_returns_on_its_date(app: Any, make_ticket: Any, agent: Any) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        ticket = make_ticket(now=START)
        due = START + timedelta(days=2)
        service.change_status(
            db.session, ticket, "scheduled", ActorRef.agent(agent), now=START, scheduled_for=due
        )
        db.session.commit()
        traveller.move_to(due - timedelta(minutes=1))
        run_once(app)
        assert _reload(ticket.number).status == "scheduled"
        traveller.move_to(due + timedelta(seconds=30))
        run_once(app)
        back = _reload(ticket.number)
        assert back.status == "queued" and back.scheduled_for is None


def test_client_reply_reopens_only_inside_window(app: Any, make_ticket: Any, agent: Any) -> None:
    ticket = make_ticket(now=START)
    service.change_status(db.session, ticket, "resolved", ActorRef.agent(agent), now=START)
    db.session.commit()
    contact = ticket.requester
    msg = service.NewMessage(text="Still broken!", from_addr=contact.primary_email)
    service.add_client_message(
        db.session, ticket, contact, msg, now=START + timedelta(days=13, hours=23, minutes=59)
    )
    db.session.commit()
    reopened = _reload(ticket.number)
    # back to its owner when routing assigned one, else to the shared queue
    assert reopened.status == ("in_progress" if reopened.assignee_id else "queued")
    assert reopened.resolved_at is None

    ticket = _reload(ticket.number)
    service.change_status(
        db.session, ticket, "resolved", ActorRef.agent(agent), now=START + timedelta(days=14)
    )
    db.session.commit()
    with pytest.raises(ReopenWindowPassed):
        service.add_client_message(
            db.session, ticket, contact, msg, now=START + timedelta(days=28, minutes=1)
        )
    db.session.rollback()
    assert _reload(ticket.number).status == "resolved"


def test_waiting_ticket_goes_back_when_client_replies(app: Any, make_ticket: Any, agent: Any) -> None:
    ticket = make_ticket(now=START)
    service.change_status(db.session, ticket, "waiting_for_client", ActorRef.agent(agent), now=START)
    db.session.commit()
    assert _reload(ticket.number).sla_paused_since == START
    ticket = _reload(ticket.number)
    service.add_client_message(
        db.session,
        ticket,
        ticket.requester,
        service.NewMessage(text="Here is the info"),
        now=START + timedelta(hours=2),
    )
    db.session.commit()
    back = _reload(ticket.number)
    assert back.status == ("in_progress" if back.assignee_id else "queued")
    assert back.sla_paused_since is None and back.sla_paused_minutes > 0
