"""Caller verification: caller ID is never enough, PIN checks lock out, every attempt is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from ticketdesk.errors import Conflict, ValidationFailed
from ticketdesk.extensions import db
from ticketdesk.phone import queries, service
from ticketdesk.phone.models import CallEvent, PinAttempt
from ticketdesk.phone.webhooks import CtiEvent
from ticketdesk.ports.clock import utcnow
from ticketdesk.tickets.models import TicketEvent
from ticketdesk.tickets.queues import queue_by_slug

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PIN = "4711"


@pytest.fixture
def acme(make_org: Any, make_contact: Any) -> tuple[Any, Any]:
    org = make_org("ACME s.r.o.", client_number="C1001", pin=PIN, default_region="CZ")
    return org, make_contact(org, name="Jana Nováková", phones=["+420 777 123 456"])


@pytest.fixture
def nopin(make_org: Any, make_contact: Any) -> tuple[Any, Any]:
    org = make_org("Open Oy", client_number="F2002", default_region="FI")
    return org, make_contact(org, name="Matti Virtanen", phones=["040 123 4567"])


_ids = iter(range(1, 10_000))


def ring(number: str, *, now: datetime | None = None) -> Any:
    event = CtiEvent(
        event="newCall", call_id=f"call-{next(_ids)}", from_number=number, to_number="+420222333444"
    )
    call, created = service.record_event(db.session, event, now=now or utcnow(), default_region="CZ")
    db.session.commit()
    assert created
    return call


def check(
    call: Any, *, pin: str | None = None, client_number: str | None = None, agent: Any = None
) -> service.Verification:
    result = service.verify_caller(
        db.session,
        call,
        pin=pin,
        client_number=client_number,
        now=utcnow(),
        agent=agent,
        policy=service.pin_policy(db.session),
    )
    db.session.commit()
    return result


def test_spoofed_number_with_wrong_pin_is_not_authorised(acme: tuple[Any, Any], agent: Any) -> None:
    """Someone fakes Jana's caller ID: the popup recognises the number, but without the PIN nothing is
    discussed, and a wrong PIN leaves the caller unverified."""
    org, jana = acme
    call = ring("+420777123456")
    shown = queries.call_dict(db.session, call)
    assert shown["caller"]["contact"]["id"] == jana.id and shown["caller"]["organization"]["id"] == org.id
    assert shown["pin_required"] is True and shown["verified"] is False and shown["status"] == "pin_required"

    with pytest.raises(Conflict) as err:
        service.open_ticket(
            db.session,
            call,
            agent=agent,
            subject="Reset my root password",
            text="…",
            queue=queue_by_slug(db.session, "support"),
            now=utcnow(),
        )
    assert err.value.code == "verification_required"
    db.session.rollback()

    result = check(call, pin="1234", agent=agent)
    assert (result.verified, result.outcome, result.attempts_left) == (False, "wrong_pin", 4)
    db.session.refresh(call)
    assert call.verified is False and call.verified_method is None
    attempt = db.session.scalars(select(PinAttempt)).one()
    assert (attempt.outcome, attempt.success, attempt.organization_id, attempt.agent_id) == (
        "wrong_pin",
        False,
        org.id,
        agent.id,
    )
    assert "1234" not in repr(db.session.scalars(select(CallEvent.payload)).all())  # the PIN is never stored


def test_right_pin_verifies_and_ticket_records_it(acme: tuple[Any, Any], agent: Any) -> None:
    org, jana = acme
    call = ring("00420 777 123 456")
    assert check(call, pin=" 47 11 ", agent=agent).verified
    db.session.refresh(call)
    assert (call.verified, call.verified_method, call.contact_id) == (True, "pin", jana.id)
    ticket = service.open_ticket(
        db.session,
        call,
        agent=agent,
        subject="Server down",
        text="The web is down.",
        queue=queue_by_slug(db.session, "support"),
        now=utcnow(),
    )
    db.session.commit()
    assert ticket.channel == "phone" and ticket.requester_id == jana.id and call.ticket_id == ticket.id
    linked = db.session.scalars(select(TicketEvent).where(TicketEvent.kind == "call.linked")).one()
    assert (
        linked.after["verified"] is True
        and linked.after["method"] == "pin"
        and linked.client_visible is False
    )


def test_known_number_without_pin_is_recognised_not_verified(nopin: tuple[Any, Any], agent: Any) -> None:
    org, matti = nopin
    call = ring("+358401234567")
    data = queries.call_dict(db.session, call)
    assert data["status"] == "recognised" and data["status_text"] == "number recognised, not verified"
    assert data["verified"] is False and data["pin_required"] is False
    ticket = service.open_ticket(
        db.session,
        call,
        agent=agent,
        subject="Question",
        text="About invoices",
        queue=queue_by_slug(db.session, "support"),
        now=utcnow(),
    )
    db.session.commit()
    event = db.session.scalars(select(TicketEvent).where(TicketEvent.kind == "call.linked")).one()
    assert event.after["verified"] is False and event.after["status"] == "recognised"
    # a PIN for an organisation that has none cannot be checked; the client number verifies
    with pytest.raises(Conflict):
        check(call, pin="0000")
    db.session.rollback()
    assert check(call, client_number="f2002").verified
    db.session.refresh(call)
    assert call.verified_method == "client_number"
    kinds = db.session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)).all()
    assert "call.verification" in kinds  # verified after the ticket was opened: the ticket learns it too


def test_unknown_number_client_number_and_pin(acme: tuple[Any, Any], agent: Any) -> None:
    org, jana = acme
    call = ring("+420 608 000 000")
    assert queries.call_dict(db.session, call)["status"] == "unknown"
    with pytest.raises(ValidationFailed) as err:
        check(call, pin=PIN)
    assert err.value.code == "client_number_required"
    db.session.rollback()
    with pytest.raises(ValidationFailed) as err:
        check(call, client_number="C1001")
    assert err.value.code == "pin_required"
    db.session.rollback()
    assert check(call, client_number="C9999", pin=PIN).outcome == "wrong_client_number"
    assert check(call, client_number="C1001", pin="9999").outcome == "wrong_pin"
    result = check(call, client_number="C1001", pin=PIN)
    assert result.verified and result.organization.id == org.id
    db.session.refresh(call)
    assert call.organization_id == org.id and call.verified_method == "client_number+pin"
    assert call.contact_id is None  # the number told us nothing: the agent picks who is calling
    with pytest.raises(ValidationFailed):
        service.open_ticket(
            db.session,
            call,
            agent=agent,
            subject="x",
            text="y",
            queue=queue_by_slug(db.session, "support"),
            now=utcnow(),
        )
    db.session.rollback()
    ticket = service.open_ticket(
        db.session,
        call,
        agent=agent,
        subject="x",
        text="y",
        contact_id=jana.id,
        queue=queue_by_slug(db.session, "support"),
        now=utcnow(),
    )
    assert ticket.requester_id == jana.id
    outcomes = db.session.scalars(select(PinAttempt.outcome).order_by(PinAttempt.id)).all()
    assert outcomes == ["wrong_client_number", "wrong_pin", "ok"]


def test_lockout_after_five_failures_and_its_expiry(acme: tuple[Any, Any], agent: Any) -> None:
    org, _ = acme
    with time_machine.travel(T0, tick=False) as clock:
        call = ring("+420777123456")
        lefts = []
        for _ in range(5):
            result = check(call, pin="0000", agent=agent)
            lefts.append(result.attempts_left)
            clock.shift(timedelta(seconds=20))
        assert lefts == [4, 3, 2, 1, 0]
        locked_at = T0 + timedelta(seconds=80)
        assert result.locked_until == locked_at + timedelta(minutes=15)

        # locked: even the right PIN is refused unchecked, and a new call does not reset the organisation's lock
        refused = check(call, pin=PIN)
        assert (refused.verified, refused.outcome, refused.locked_until) == (
            False,
            "locked",
            result.locked_until,
        )
        redial = ring("+420777123456")
        assert check(redial, pin=PIN).outcome == "locked"
        clock.move_to(locked_at + timedelta(minutes=14, seconds=59))
        assert check(redial, pin=PIN).outcome == "locked"

        # refusals do not extend the lock: at exactly 15 minutes it is over
        clock.move_to(locked_at + timedelta(minutes=15))
        fresh = check(redial, pin="0000")
        assert (fresh.outcome, fresh.attempts_left) == ("wrong_pin", 4)
        assert check(redial, pin=PIN).verified
    outcomes = db.session.scalars(select(PinAttempt.outcome).order_by(PinAttempt.id)).all()
    assert outcomes == ["wrong_pin"] * 5 + ["locked"] * 3 + ["wrong_pin", "ok"]
    assert all(a.organization_id == org.id for a in db.session.scalars(select(PinAttempt)))


def test_per_call_limit_covers_guessed_client_numbers(acme: tuple[Any, Any]) -> None:
    """Guessing client numbers names no organisation, so the call's own limit stops it."""
    with time_machine.travel(T0, tick=False):
        call = ring("+420 608 111 222")
        for n in range(5):
            assert check(call, client_number=f"X{n}", pin="1111").outcome == "wrong_client_number"
        assert check(call, client_number="C1001", pin=PIN).outcome == "locked"
        # the organisation itself is not locked by a stranger's guesses at other client numbers
        other = ring("+420777123456")
        assert check(other, pin=PIN).verified


def test_failures_are_forgotten_after_an_hour_and_success_resets(acme: tuple[Any, Any]) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        call = ring("+420777123456")
        for _ in range(4):
            check(call, pin="0000")
        clock.shift(timedelta(hours=1, seconds=1))
        assert check(call, pin="0000").attempts_left == 4
        assert check(call, pin=PIN).verified
        assert check(call, pin="0000").attempts_left == 4


def test_lockout_rule_is_adjustable(acme: tuple[Any, Any]) -> None:
    from ticketdesk.admin.store import set_value

    set_value(db.session, "phone.pin_max_failures", 3)
    set_value(db.session, "phone.pin_lockout_minutes", 30)
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        call = ring("+420777123456")
        results = [check(call, pin="0000") for _ in range(3)]
        assert [r.attempts_left for r in results] == [2, 1, 0]
        assert results[-1].locked_until == T0 + timedelta(minutes=30)


def test_attach_call_to_ticket(
    acme: tuple[Any, Any], agent: Any, make_ticket: Any, make_contact: Any
) -> None:
    org, jana = acme
    mine = make_ticket(jana, subject="Backup failed")
    stranger = make_ticket(make_contact(), subject="Someone else's")
    call = ring("+420777123456")
    with pytest.raises(Conflict):
        service.attach_ticket(db.session, call, mine, agent=agent, now=utcnow())
    db.session.rollback()
    assert check(call, pin=PIN).verified
    with pytest.raises(ValidationFailed):
        service.attach_ticket(db.session, call, stranger, agent=agent, now=utcnow())
    db.session.rollback()
    service.attach_ticket(db.session, call, mine, agent=agent, now=utcnow())
    db.session.commit()
    event = db.session.scalars(select(TicketEvent).where(TicketEvent.kind == "call.attached")).one()
    assert event.ticket_id == mine.id and event.after["verified"] is True and event.actor_id == agent.id
    assert [t.number for t in queries.open_tickets(db.session, org.id, jana.id)] == [mine.number]


def test_call_events_are_logged_idempotently(acme: tuple[Any, Any]) -> None:
    first = CtiEvent(event="newCall", call_id="abc", from_number="+420777123456", to_number="+420222333444")
    call, created = service.record_event(db.session, first, now=utcnow(), default_region="CZ")
    again, created_again = service.record_event(db.session, first, now=utcnow(), default_region="CZ")
    assert created and not created_again and again.id == call.id
    service.record_event(
        db.session,
        CtiEvent(event="answer", call_id="abc", users=("Petra",)),
        now=utcnow(),
        default_region="CZ",
    )
    service.record_event(
        db.session,
        CtiEvent(event="hangup", call_id="abc", cause="normalClearing"),
        now=utcnow(),
        default_region="CZ",
    )
    # a hangup for a call never announced still lands in the log
    orphan, _ = service.record_event(
        db.session,
        CtiEvent(event="hangup", call_id="zzz", from_number="777123456"),
        now=utcnow(),
        default_region="CZ",
    )
    db.session.commit()
    assert (call.state, call.agent_user) == ("ended", "Petra") and call.answered_at and call.ended_at
    assert [e.event for e in queries.events_of(db.session, call)] == [
        "newCall",
        "newCall",
        "answer",
        "hangup",
    ]
    assert orphan.state == "ended" and orphan.contact_id == acme[1].id
