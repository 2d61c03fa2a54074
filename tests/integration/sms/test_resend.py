"""Deliberate resends (seed 000): a new attempt of the same notification linked to the one it repeats,
bulk over a time range with an optional new text, skipping SMS whose reason has gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.fixtures.smsgateway import accept, refuse
from tests.integration.sms.helpers import attempts_of
from ticketdesk.extensions import db
from ticketdesk.jobs.runner import run_once
from ticketdesk.sms import control, service
from ticketdesk.sms.resend import ResendError, bulk_resend, resend_attempt
from ticketdesk.tickets import service as tickets
from ticketdesk.tickets.history import ActorRef

START = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def _requires_action(make_ticket: Any, contact: Any, agent: Any) -> Any:
    ticket = make_ticket(contact, now=START)
    tickets.add_agent_message(
        db.session, ticket, agent, kind="reply", text="Please confirm.", now=START, requires_action=True
    )
    db.session.commit()
    return ticket


def test_resend_is_a_new_linked_attempt_of_the_same_notification(app: Any, gateway: Any, admin: Any) -> None:
    gateway.plan_next(refuse(400, "route blocked"))
    notification = service.queue_sms(
        db.session, to="+420777123456", text="Your order is ready", kind="manual", now=START
    )
    db.session.commit()
    run_once(app)
    first = attempts_of(notification)[0]
    assert first.status == "failed"
    second = resend_attempt(
        db.session, first, now=START, by=admin.name, text="Your order is ready until 15.11."
    )
    db.session.commit()
    run_once(app)
    first, second = attempts_of(notification)
    assert second.resend_of_id == first.id and second.notification_id == first.notification_id
    assert second.idempotency_key != first.idempotency_key and second.status == "submitted"
    assert gateway.received[-1].text == "Your order is ready until 15.11."
    db.session.expire_all()
    assert db.session.get(type(notification), notification.id).status == "submitted"
    with pytest.raises(ResendError, match="already been resent"):
        resend_attempt(db.session, first, now=START, by=admin.name)


def test_bulk_resend_skips_those_whose_reason_has_gone(
    app: Any, gateway: Any, make_contact: Any, make_org: Any, make_ticket: Any, agent: Any, admin: Any
) -> None:
    org = make_org()
    gateway.set_default(refuse(400, "operator outage"))
    with time_machine.travel(START, tick=False):
        still = _requires_action(make_ticket, make_contact(org, phones=["+420777100001"]), agent)
        replied = _requires_action(make_ticket, make_contact(org, phones=["+420777100002"]), agent)
        closed = _requires_action(make_ticket, make_contact(org, phones=["+420777100003"]), agent)
        _requires_action(make_ticket, make_contact(org, phones=["+420777100004"]), agent)
        plain = service.queue_sms(
            db.session, to="+420777100005", text="pickup notice", kind="manual", now=START
        )
        db.session.commit()
        run_once(app)
    gateway.set_default(accept())
    later = START + timedelta(hours=2)
    contact = replied.requester
    tickets.add_client_message(
        db.session,
        replied,
        contact,
        tickets.NewMessage(text="Done.", from_addr=contact.primary_email),
        now=later,
    )
    tickets.change_status(db.session, closed, "resolved", ActorRef.agent(agent), now=later)
    control.add_stop(db.session, "+420777100004", now=later)
    db.session.commit()

    dry = bulk_resend(
        db.session, since=START - timedelta(minutes=1), until=later, now=later, by=admin.name, dry_run=True
    )
    assert len(dry.would_resend) == 2 and dry.resent == []
    report = bulk_resend(
        db.session,
        since=START - timedelta(minutes=1),
        until=later,
        now=later,
        by=admin.name,
        text="Updated: please confirm by Friday",
    )
    db.session.commit()
    reasons = {s.reason for s in report.skipped}
    assert reasons == {
        "the client has already replied",
        f"ticket {closed.number} is resolved",
        "the number is on the STOP list",
    }
    assert sorted(a.notification.to_e164 for a in report.resent) == ["+420777100001", "+420777100005"]
    assert all(
        a.resend_of_id is not None and a.text == "Updated: please confirm by Friday" for a in report.resent
    )
    run_once(app)
    assert sorted(r.to for r in gateway.received[-2:]) == ["+420777100001", "+420777100005"]
    again = bulk_resend(db.session, since=START - timedelta(minutes=1), until=later, now=later, by=admin.name)
    assert again.resent == [], "the latest attempts are no longer failed"
    assert still.number and plain.id


def test_urgent_ack_resend_skipped_once_an_agent_answered(
    app: Any, gateway: Any, make_contact: Any, make_ticket: Any, agent: Any, admin: Any
) -> None:
    from ticketdesk.admin.store import set_value

    set_value(db.session, "sms.on_urgent_ack", True)
    db.session.commit()
    gateway.set_default(refuse(400, "operator outage"))
    ticket = make_ticket(make_contact(phones=["+420777100009"]), priority="urgent", now=START)
    run_once(app)
    tickets.add_agent_message(
        db.session, ticket, agent, kind="reply", text="On it.", now=START + timedelta(minutes=5)
    )
    db.session.commit()
    report = bulk_resend(
        db.session,
        since=START - timedelta(hours=1),
        until=START + timedelta(hours=1),
        now=START + timedelta(hours=1),
        by=admin.name,
    )
    assert [s.reason for s in report.skipped] == ["an agent has already answered the ticket"]


def test_only_failed_or_unknown_can_be_resent(app: Any, admin: Any) -> None:
    with pytest.raises(ResendError):
        bulk_resend(
            db.session,
            since=START,
            until=START + timedelta(hours=1),
            now=START,
            by=admin.name,
            statuses=("delivered",),
        )
    queued = service.queue_sms(db.session, to="+420777123456", text="x", kind="manual", now=START).attempts[
        -1
    ]
    with pytest.raises(ResendError, match="only failed or unknown"):
        resend_attempt(db.session, queued, now=START, by=admin.name)
