"""A DNS failure is temperror: the message is held quietly, the worker checks again, and only after about
30 minutes of failures is the sender asked to confirm. Never a crash, never a lost mail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from flask import Flask

from tests.integration.senderauth.support import (
    DOMAIN,
    STRANGER_IP,
    Intake,
    Zone,
    compose,
    fresh,
    hold_of,
    outbound,
    signed,
)
from ticketdesk.jobs.runner import run_once
from ticketdesk.ports.clock import utcnow
from ticketdesk.senderauth.holds import RECHECK_DELAYS


def _break(zone: Zone, on: bool = True) -> None:
    """SERVFAIL for every name of the customer's domain (a broken upstream resolver answers this way)."""
    for name in (f"sel._domainkey.{DOMAIN}", DOMAIN, f"_dmarc.{DOMAIN}"):
        zone.server.servfail(name, on)


def test_dns_down_holds_without_mail_then_releases_after_recovery(
    app: Flask, intake: Intake, zone: Zone, jana: Any
) -> None:
    zone.dkim()
    zone.server.down = True  # no answer at all: every look-up times out
    with time_machine.travel(utcnow(), tick=True) as traveller:
        raw = intake.send(signed(compose(subject="Outage")), source_ip=STRANGER_IP)
        assert raw.disposition == "held" and raw.auth["temporary"] is True
        assert raw.auth["dkim"] == "temperror"
        hold = hold_of(raw)
        assert hold is not None and hold.status == "rechecking" and hold.confirmation_sent_at is None
        assert outbound() == []  # neither an acknowledgement nor a confirmation

        traveller.shift(timedelta(minutes=1))
        run_once(app)
        assert hold_of(raw).status == "rechecking" and hold_of(raw).recheck_attempts == 0  # not due yet

        zone.server.down = False
        traveller.shift(RECHECK_DELAYS[0])
        run_once(app)
    raw = fresh(raw)
    assert raw.disposition == "ticket" and raw.ticket_id and raw.auth["verdict"] == "authenticated"
    assert raw.auth["dkim"] == "pass"
    assert hold_of(raw).status == "released"
    assert outbound("confirm_sender") == [] and len(outbound("ack")) == 1


def test_half_an_hour_of_dns_failures_then_the_sender_is_asked(
    app: Flask, intake: Intake, zone: Zone, jana: Any
) -> None:
    zone.dkim()
    zone.spf()
    _break(zone)
    with time_machine.travel(utcnow(), tick=True) as traveller:
        raw = intake.send(signed(compose()), source_ip=STRANGER_IP)
        assert raw.disposition == "held" and hold_of(raw).status == "rechecking"
        for delay in RECHECK_DELAYS[:-1]:
            traveller.shift(delay)
            run_once(app)
            hold = hold_of(raw)
            assert hold.status == "rechecking", fresh(raw).disposition_detail
            assert outbound() == []
        traveller.shift(RECHECK_DELAYS[-1])
        run_once(app)
    hold = hold_of(raw)
    assert hold.status == "pending" and hold.recheck_attempts == len(RECHECK_DELAYS)
    assert timedelta(minutes=29) <= hold.confirmation_sent_at - raw.received_at <= timedelta(minutes=35)
    [confirmation] = outbound("confirm_sender")
    assert confirmation.to_addrs == ["jana@acme.test"]
    assert outbound("ack") == []
    raw = fresh(raw)
    assert (
        raw.disposition == "held"
        and raw.ticket_id is None
        and "confirmation link sent" in raw.disposition_detail
    )


def test_recovered_dns_without_a_pass_asks_at_once(app: Flask, intake: Intake, zone: Zone, jana: Any) -> None:
    """After the outage the domain turns out to publish nothing: no more waiting, the link goes out."""
    _break(zone)
    with time_machine.travel(utcnow(), tick=True) as traveller:
        raw = intake.send(compose(), mail_from="bounces@acme.test")
        assert hold_of(raw).status == "rechecking"
        _break(zone, on=False)
        traveller.shift(RECHECK_DELAYS[0])
        run_once(app)
    assert hold_of(raw).status == "pending"
    assert [m.to_addrs for m in outbound("confirm_sender")] == [["jana@acme.test"]]
    assert fresh(raw).auth["spf"] == "none"


def test_a_recheck_never_processes_a_message_twice(app: Flask, intake: Intake, zone: Zone, jana: Any) -> None:
    """The sweep or a second worker got there first: the re-check only marks the hold released."""
    from ticketdesk.extensions import db
    from ticketdesk.intake.models import SenderHold
    from ticketdesk.senderauth import holds

    zone.dkim()
    _break(zone)
    raw = intake.send(signed(compose()), source_ip=STRANGER_IP)
    _break(zone, on=False)
    settings, dns = app.extensions["ticketdesk.settings"], app.extensions["ticketdesk.ports"].dns
    with time_machine.travel(utcnow() + RECHECK_DELAYS[0], tick=True):
        assert holds.recheck(db.session, now=utcnow(), settings=settings, dns=dns) == 1
        db.session.execute(
            SenderHold.__table__.update().values(status="rechecking", next_recheck_at=utcnow())
        )
        db.session.commit()
        assert holds.recheck(db.session, now=utcnow(), settings=settings, dns=dns) == 0
    assert fresh(raw).disposition == "ticket"
    assert hold_of(raw).status == "released"
    assert len(outbound("ack")) == 1
