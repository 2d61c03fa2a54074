"""Holding a message: who is asked, how often, what a spoofer can make us send, and expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from flask import Flask

from tests.integration.senderauth.support import (
    STRANGER_IP,
    Intake,
    Zone,
    compose,
    confirm_path,
    fresh,
    hold_of,
    mail_text,
    outbound,
)
from ticketdesk.jobs.runner import run_once
from ticketdesk.ports.clock import utcnow
from ticketdesk.senderauth.holds import MAX_CONFIRMATIONS_PER_HOUR


def test_confirmation_goes_to_the_registered_address_never_to_reply_to(
    intake: Intake, zone: Zone, make_contact: Any, jana: Any
) -> None:
    make_contact(jana.organization, emails=["petr@acme.test", "Petr.Novak@acme.test"], name="Petr")
    spoof = compose(
        frm="Petr <PETR.NOVAK@ACME.TEST>",
        subject="Reset my password",
        headers=[("Reply-To", "attacker@evil.test"), ("Sender", "attacker@evil.test")],
    )
    raw = intake.send(spoof, mail_from="attacker@evil.test", source_ip=STRANGER_IP, helo="evil.test")
    assert raw.disposition == "held"
    [confirmation] = outbound("confirm_sender")
    assert confirmation.to_addrs == ["petr.novak@acme.test"]  # the registered address the mail claimed
    assert "attacker@evil.test" not in (confirmation.cc_addrs or [])
    text = mail_text(confirmation)
    assert "Reset my password" in text and "/confirm/" in text and "72 hours" in text


def test_ambiguous_author_is_asked_at_the_contacts_registered_address(
    intake: Intake, zone: Zone, jana: Any
) -> None:
    raw = intake.send(
        compose(frm="Mallory <mallory@evil.test>", extra_from=["jana@acme.test"]), source_ip=STRANGER_IP
    )
    assert raw.disposition == "held"
    assert [m.to_addrs for m in outbound("confirm_sender")] == [["jana@acme.test"]]


def test_czech_contact_gets_the_czech_confirmation(intake: Intake, zone: Zone, jana: Any) -> None:
    intake.send(compose(subject="Výpadek serveru"), source_ip=STRANGER_IP)
    [confirmation] = outbound("confirm_sender")
    assert confirmation.subject.startswith("Potvrďte prosím") and "Výpadek serveru" in confirmation.subject
    assert "potvrďte" in mail_text(confirmation)


def test_a_spoofer_makes_us_send_only_the_one_confirmation(
    app: Flask, intake: Intake, zone: Zone, jana: Any, client: Any
) -> None:
    zone.spf()
    zone.dmarc("v=DMARC1; p=reject")
    spoof = compose(
        subject="Urgent: transfer the domain",
        headers=[("Cc", "victim@third.test, boss@acme.test"), ("Reply-To", "attacker@evil.test")],
    )
    raw = intake.send(spoof, mail_from="jana@acme.test", source_ip=STRANGER_IP, helo="evil.test")
    assert raw.disposition == "held"
    run_once(app)
    mails = outbound()
    assert [(m.kind, m.to_addrs, m.cc_addrs) for m in mails] == [("confirm_sender", ["jana@acme.test"], [])]
    # once the real Jana confirms, she (and only then) gets the acknowledgement of the new ticket
    page = client.get(confirm_path(mails[0]))
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(confirm_path(mails[0]), data={"csrf_token": token}).status_code == 200
    assert [m.to_addrs for m in outbound("ack")] == [["jana@acme.test"]]
    assert fresh(raw).disposition == "ticket"


def test_at_most_a_few_confirmations_per_contact_per_hour(
    app: Flask, intake: Intake, zone: Zone, jana: Any
) -> None:
    with time_machine.travel(utcnow(), tick=True) as traveller:
        held = [
            intake.send(compose(subject=f"Flood {n}"), source_ip=STRANGER_IP)
            for n in range(MAX_CONFIRMATIONS_PER_HOUR + 2)
        ]
        assert {r.disposition for r in held} == {"held"}
        assert len(outbound("confirm_sender")) == MAX_CONFIRMATIONS_PER_HOUR
        quiet = fresh(held[-1])
        assert (
            "no confirmation sent" in quiet.disposition_detail and hold_of(quiet).confirmation_sent_at is None
        )
        traveller.shift(timedelta(minutes=61))
        intake.send(compose(subject="Next hour"), source_ip=STRANGER_IP)
    assert len(outbound("confirm_sender")) == MAX_CONFIRMATIONS_PER_HOUR + 1


def test_an_expired_hold_is_discarded_and_recorded(
    app: Flask, intake: Intake, zone: Zone, jana: Any, api: Any
) -> None:
    with time_machine.travel(utcnow(), tick=True) as traveller:
        raw = intake.send(compose(subject="Never confirmed"), source_ip=STRANGER_IP)
        traveller.shift(timedelta(hours=71, minutes=50))
        run_once(app)
        assert hold_of(raw).status == "pending"
        traveller.shift(timedelta(minutes=15))
        run_once(app)
    hold = hold_of(raw)
    assert hold.status == "expired"
    raw = fresh(raw)
    assert raw.disposition == "held" and raw.ticket_id is None and raw.blob_sha256  # kept, not lost
    assert "discarded" in raw.disposition_detail and "link was not used" in raw.disposition_detail
    [item] = api.get("/intake?disposition=held").get_json()["items"]
    assert item["id"] == raw.id and item["hold"]["status"] == "expired"
    assert item["auth"]["verdict"] == "rejected" and "discarded" in item["detail"]


def test_automatic_mail_is_never_answered_with_a_confirmation(intake: Intake, zone: Zone, jana: Any) -> None:
    loop = compose(
        subject="Your ticket", headers=[("Auto-Submitted", "auto-generated"), ("Precedence", "bulk")]
    )
    raw = intake.send(loop, mail_from="", source_ip=STRANGER_IP)
    assert raw.disposition in ("held", "auto_reply_ignored")
    assert outbound() == []


def test_two_clicks_at_once_release_the_message_once(
    app: Flask, intake: Intake, zone: Zone, jana: Any
) -> None:
    import threading

    from sqlalchemy import func, select

    from ticketdesk.errors import Conflict
    from ticketdesk.extensions import db
    from ticketdesk.intake.models import SenderHold
    from ticketdesk.senderauth import holds
    from ticketdesk.tickets.models import Ticket

    raw = intake.send(compose(), source_ip=STRANGER_IP)
    hold_id = hold_of(raw).id
    settings, dns = app.extensions["ticketdesk.settings"], app.extensions["ticketdesk.ports"].dns
    barrier, results = threading.Barrier(2), []

    def click() -> None:
        with app.app_context():
            try:
                hold = db.session.get(SenderHold, hold_id)
                db.session.rollback()
                barrier.wait(timeout=10)
                outcome = holds.confirm(db.session, hold, now=utcnow(), settings=settings, dns=dns)
                results.append(outcome.disposition)
            except Conflict as err:
                results.append(err.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["link_used", "ticket"]
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    db.session.rollback()
