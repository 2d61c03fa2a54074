"""Escalation under time control: when a first response or resolution nears its due time, agents get
``ticket.sla_warning`` live, the history records it, ``sla_escalated_at`` is set, and for urgent tickets
the on-call agent gets an SMS through the local gateway. Each warning fires once per due time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from tests.integration.sla.helpers import events, reload
from ticketdesk.admin.store import set_value
from ticketdesk.extensions import db
from ticketdesk.jobs.runner import run_once
from ticketdesk.sms.models import SmsNotification
from ticketdesk.tickets import service as tickets

START = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)  # Tuesday 11:00 in Prague


def _warnings(sio: Any) -> list[dict[str, Any]]:
    return [e["args"][0] for e in sio.get_received() if e["name"] == "ticket.sla_warning"]


def _sms() -> list[SmsNotification]:
    db.session.expire_all()
    return list(db.session.scalars(select(SmsNotification).order_by(SmsNotification.id)))


def test_urgent_ticket_warns_once_per_kind_and_texts_the_on_call_agent(
    app: Any, gateway: Any, sio_agent: Any, make_agent: Any, make_ticket: Any, make_contact: Any
) -> None:
    on_call = make_agent(name="Ota On-Call", on_call=True, phone_e164="+420777000111", language="cs")
    make_agent(name="Not On Call", phone_e164="+420777000222")
    with time_machine.travel(START, tick=False) as clock:
        urgent = make_ticket(make_contact(), now=START, priority="urgent", subject="Server down")
        normal = make_ticket(make_contact(), now=START, priority="normal", subject="Question")
        clock.move_to(START + timedelta(minutes=20))
        run_once(app)
        assert _warnings(sio_agent) == [] and events(urgent, "sla.warning") == []

        clock.move_to(START + timedelta(minutes=24, seconds=30))  # 80 % of the 30-minute first response
        run_once(app)
        (live,) = _warnings(sio_agent)
        assert (
            live["number"] == urgent.number and live["kind"] == "first_response" and live["state"] == "near"
        )
        assert (
            live["due"] == "2026-11-10T10:30:00Z"
            and live["priority"] == "urgent"
            and live["queue"] == "support"
        )
        (warning,) = events(urgent, "sla.warning")
        assert warning.after["kind"] == "first_response" and not warning.client_visible
        assert reload(urgent.number).sla_escalated_at == START + timedelta(minutes=24, seconds=30)
        (sms,) = _sms()
        assert sms.kind == "escalation" and sms.agent_id == on_call.id and sms.to_e164 == "+420777000111"
        assert warning.after["sms"] == [sms.id]
        (received,) = gateway.wait_for(1)
        assert (
            received.to == "+420777000111"
            and str(urgent.number) in received.text
            and "URGENTNÍ" in received.text
        )

        for minutes in (26, 31, 45):  # still near, then breached: the first-response warning does not repeat
            clock.move_to(START + timedelta(minutes=minutes))
            run_once(app)
        assert _warnings(sio_agent) == [] and len(events(urgent, "sla.warning")) == 1 and len(_sms()) == 1

        # 80 % of the 4-hour resolution (around the clock) and of the normal ticket's 4 business hours
        clock.move_to(START + timedelta(minutes=193))
        run_once(app)
        got = {(w["number"], w["kind"]) for w in _warnings(sio_agent)}
        assert got == {(urgent.number, "resolution"), (normal.number, "first_response")}
        assert len(_sms()) == 2, "only the urgent ticket texts the on-call agent"
        assert events(normal, "sla.warning")[0].after["sms"] == []
        clock.move_to(START + timedelta(minutes=300))
        run_once(app)
        assert len(events(urgent, "sla.warning")) == 2 and len(_sms()) == 2


def test_answered_or_paused_tickets_do_not_warn(
    app: Any, make_ticket: Any, make_contact: Any, agent: Any
) -> None:
    from ticketdesk.tickets.history import ActorRef

    with time_machine.travel(START, tick=False) as clock:
        answered = make_ticket(make_contact(), now=START, priority="urgent")
        waiting = make_ticket(make_contact(), now=START, priority="urgent")
        tickets.add_agent_message(db.session, answered, agent, kind="reply", text="On it.", now=START)
        tickets.add_agent_message(db.session, waiting, agent, kind="reply", text="Which server?", now=START)
        tickets.change_status(db.session, waiting, "waiting_for_client", ActorRef.agent(agent), now=START)
        db.session.commit()
        clock.move_to(START + timedelta(minutes=25))
        run_once(app)
        assert events(answered, "sla.warning") == [] and events(waiting, "sla.warning") == []
        clock.move_to(START + timedelta(minutes=200))
        run_once(app)
        assert [w.after["kind"] for w in events(answered, "sla.warning")] == ["resolution"]
        assert events(waiting, "sla.warning") == []


def test_sms_can_be_switched_off_and_warning_point_set(
    app: Any, make_agent: Any, make_ticket: Any, make_contact: Any
) -> None:
    make_agent(on_call=True, phone_e164="+420777000111")
    set_value(db.session, "sla.escalation_sms", False)
    set_value(db.session, "sla.warn_minutes", 10)
    db.session.commit()
    with time_machine.travel(START, tick=False) as clock:
        ticket = make_ticket(make_contact(), now=START, priority="urgent")
        clock.move_to(START + timedelta(minutes=19))
        run_once(app)
        assert events(ticket, "sla.warning") == []
        clock.move_to(START + timedelta(minutes=21))
        run_once(app)
        assert len(events(ticket, "sla.warning")) == 1 and _sms() == []


def test_a_new_due_time_can_warn_again(app: Any, make_ticket: Any, make_contact: Any, agent: Any) -> None:
    from ticketdesk.tickets.history import ActorRef

    with time_machine.travel(START, tick=False) as clock:
        ticket = make_ticket(make_contact(), now=START, priority="urgent")
        clock.move_to(START + timedelta(minutes=25))
        run_once(app)
        assert len(events(ticket, "sla.warning")) == 1
        # the priority goes down and the first response moves to 4 business hours: a new promise
        tickets.set_priority(
            db.session,
            reload(ticket.number),
            "normal",
            ActorRef.agent(agent),
            now=START + timedelta(minutes=25),
        )
        db.session.commit()
        clock.move_to(START + timedelta(minutes=193))
        run_once(app)
        kinds = [(w.after["kind"], w.after["due"]) for w in events(ticket, "sla.warning")]
        assert kinds[0] == ("first_response", "2026-11-10T10:30:00Z")
        assert ("first_response", "2026-11-10T14:00:00Z") in kinds[1:]
