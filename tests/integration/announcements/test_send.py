"""Sending announcements: nothing goes out while a placeholder is unfilled; each recipient gets one
mail in their language (and one SMS), follow-ups quote the earlier messages newest first; delivery
per recipient carries the outbound mail and SMS states."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from tests.fixtures.smtpsink import SmtpSink
from tests.integration.announcements.helpers import World, maintenance_values, outage_values
from ticketdesk.announcements import queries, service
from ticketdesk.announcements.compose import PlaceholdersUnfilled
from ticketdesk.announcements.models import Announcement, AnnouncementDelivery, AnnouncementUpdate
from ticketdesk.announcements.states import AnnouncementStateError
from ticketdesk.extensions import db
from ticketdesk.jobs.runner import run_once
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.sms.models import SmsNotification

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
START, END = datetime(2026, 5, 6, 20, 0, tzinfo=UTC), datetime(2026, 5, 6, 22, 0, tzinfo=UTC)


def subject(received: Any) -> str:
    # the outbound composer folds a non-ASCII subject right after "Subject:" (compat32), which parses
    # with a leading space; mail clients strip it
    return str(received.message["Subject"]).strip()


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    """The worker runs at the time of the test's story (no reminders from the real clock)."""
    with time_machine.travel(T0, tick=False):
        yield


def count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_unfilled_placeholders_block_the_send_and_are_all_named(world: World) -> None:
    with pytest.raises(PlaceholdersUnfilled) as caught:
        service.create_announcement(
            db.session,
            kind="maintenance",
            groups=[world.groups["sms"]],
            template=world.templates["maintenance_en"],
            values={"what_to_do": {"cs": "Nic."}},
            now=T0,
        )
    err = caught.value
    assert err.status == 422 and err.code == "placeholders_unfilled"
    # start/expected_end in both languages, and the English text of what_to_do
    assert err.details["missing"] == ["start", "expected_end", "what_to_do"]
    assert "start" in err.message and "expected_end" in err.message and "what_to_do" in err.message
    db.session.rollback()
    assert (
        count(Announcement) == count(AnnouncementUpdate) == count(OutboundMail) == count(SmsNotification) == 0
    )


def test_leftover_marker_blocks_the_send(world: World) -> None:
    values = {**maintenance_values(START, END), "impact": "Payments via &^ will fail"}
    with pytest.raises(PlaceholdersUnfilled) as caught:
        service.create_announcement(
            db.session,
            kind="maintenance",
            groups=[world.groups["sms"]],
            template=world.templates["maintenance_en"],
            values=values,
            now=T0,
        )
    leftovers = caught.value.details["leftovers"]
    assert {(item["language"], item["field"], item["marker"]) for item in leftovers} == {
        ("en", "body", "&^"),
        ("cs", "body", "&^"),
    }
    db.session.rollback()
    assert count(OutboundMail) == 0


def test_each_recipient_gets_one_mail_and_sms_in_their_language(
    app: Any, world: World, smtp_sink: SmtpSink, gateway: Any
) -> None:
    ann = service.create_announcement(
        db.session,
        kind="maintenance",
        groups=[world.groups["sms"], world.groups["manual"], world.groups["alfa"]],
        template=world.templates["maintenance_en"],
        values=maintenance_values(START, END),
        starts_at=START,
        expected_end=END,
        now=T0,
    )
    db.session.commit()
    assert (
        ann.status == "scheduled"
        and ann.public
        and ann.title == "Planned maintenance: SMS gateway (Scheduled)"
    )
    rows = queries.deliveries(db.session, ann)
    mails = sorted(
        (r.contact_name, r.delivery.address, r.delivery.language)
        for r in rows
        if r.delivery.channel == "email"
    )
    assert mails == [
        ("Alice Nováková", "alice@alfa.test", "cs"),
        ("Bea Partner", "bea@partner.test", "en"),
        ("Bob Builder", "bob@beta.test", "en"),
    ]
    sms = {r.contact_name: (r.delivery.address, r.delivery.note) for r in rows if r.delivery.channel == "sms"}
    assert sms == {
        "Alice Nováková": ("+420777111222", None),
        "Bob Builder": ("+4915123456789", None),
        "Bea Partner": ("", "no mobile number"),
    }
    assert {r.state for r in rows if r.delivery.channel == "email"} == {"queued"}

    run_once(app)
    received = smtp_sink.wait_for(3)
    alice = smtp_sink.to("alice@alfa.test")[0]
    assert subject(alice) == "Plánovaná údržba: SMS gateway (Naplánováno)"
    assert "od 6. 5. 2026 22:00 CEST (20:00 UTC) do 7. 5. 2026 0:00 CEST" not in alice.text  # 24h clock
    assert "od 6. 5. 2026 22:00 CEST (20:00 UTC) do 7. 5. 2026 00:00 CEST (22:00 UTC)" in alice.text
    assert "http://127.0.0.1:5000/status/" in alice.text
    bob = smtp_sink.to("bob@beta.test")[0]
    assert subject(bob) == "Planned maintenance: SMS gateway (Scheduled)"
    assert all(len(m.rcpt_tos) == 1 for m in received)  # nobody sees the other recipients
    texts = sorted(r.text for r in gateway.wait_for(2))
    assert texts[0].startswith("Maintenance SMS gateway 2026-05-06 22:00 CEST")
    assert texts[1].startswith("Udrzba SMS gateway 6. 5. 2026 22:00 CEST")

    db.session.expire_all()
    states = {(r.contact_name, r.delivery.channel): r.state for r in queries.deliveries(db.session, ann)}
    assert states[("Alice Nováková", "email")] == "sent"
    assert states[("Alice Nováková", "sms")] == "submitted"
    assert states[("Bea Partner", "sms")] == "not_sent"


def test_follow_ups_quote_earlier_messages_newest_first(app: Any, world: World, smtp_sink: SmtpSink) -> None:
    groups = [world.groups["alfa"], world.groups["subs"]]
    values = {**maintenance_values(START, END), "services": {"en": "Payments", "cs": "Platby"}}
    ann = service.create_announcement(
        db.session,
        kind="maintenance",
        groups=groups,
        channels=["email"],
        template=world.templates["maintenance_en"],
        values=values,
        starts_at=START,
        expected_end=END,
        now=T0,
    )
    db.session.commit()
    service.add_update(db.session, ann, status="in_progress", now=START)
    db.session.commit()
    later = END + timedelta(hours=1)
    service.add_update(
        db.session,
        ann,
        status="in_progress",
        expected_end=later,
        values={"impact": {"en": "Extended by one hour.", "cs": "Prodlouženo o hodinu."}},
        now=END - timedelta(minutes=10),
    )
    db.session.commit()
    service.add_update(db.session, ann, status="completed", values={"impact": " "}, now=later)
    db.session.commit()
    with time_machine.travel(later + timedelta(minutes=1), tick=False):  # every message is due
        run_once(app)
    mails = smtp_sink.wait_for(4 * 4)  # four messages each to Alice (Alfa), Bob, Bea and Carl (subscriptions)
    alice = [m for m in mails if "alice@alfa.test" in m.rcpt_tos]
    assert len(alice) == 4
    last = alice[-1].text
    assert subject(alice[-1]) == "Plánovaná údržba: Platby (Dokončeno)"
    own, _, quoted = last.partition("----- Předchozí zpráva")
    assert "Stav: Dokončeno" in own
    # newest first: the extension, then "in progress", then the first announcement
    first = quoted.index("Prodlouženo o hodinu.")
    second = quoted.index("(Probíhá, odesláno 6. 5. 2026 22:00 CEST")
    third = quoted.index("(Naplánováno, odesláno 4. 5. 2026 10:00 CEST")
    assert first < second < third
    assert "> Vážený zákazníku," in quoted and "Dear customer" not in last
    assert last.count("----- Předchozí zpráva") == 3  # earlier messages are quoted once each, never nested
    assert "do 7. 5. 2026 01:00 CEST (23:00 UTC)" in own  # the extension moved the expected end
    assert (
        "do 7. 5. 2026 00:00 CEST (22:00 UTC)" in quoted.partition("(Probíhá, odesláno 6. 5. 2026 22:00")[2]
    )
    bob_last = [m for m in mails if "bob@beta.test" in m.rcpt_tos][-1].text
    assert bob_last.count("----- Earlier message") == 3 and "Extended by one hour." in bob_last
    ann = db.session.get(Announcement, ann.id)
    assert ann.status == "completed" and ann.completion_sent_at == later and ann.expected_end == later
    with pytest.raises(AnnouncementStateError):
        service.add_update(db.session, ann, status="in_progress", now=later)


def test_internal_incident_then_announced(world: World, smtp_sink: SmtpSink) -> None:
    ann = service.create_announcement(
        db.session,
        kind="outage",
        groups=[],
        template=None,
        internal=True,
        title="Payments failing at O2",
        now=T0,
    )
    db.session.commit()
    assert ann.last_update_at is None and ann.starts_at == T0 and count(OutboundMail) == 0
    with pytest.raises(PlaceholdersUnfilled) as caught:
        service.add_update(
            db.session,
            ann,
            template=world.templates["outage_en"],
            groups=[world.groups["subs"]],
            now=T0 + timedelta(minutes=5),
        )
    assert caught.value.details["missing"] == ["affected", "what_to_do"]
    db.session.rollback()
    ann = db.session.get(Announcement, ann.id)
    update = service.add_update(
        db.session,
        ann,
        template=world.templates["outage_en"],
        values=outage_values(),
        groups=[world.groups["subs"]],
        status="identified",
        now=T0 + timedelta(minutes=6),
    )
    db.session.commit()
    assert update.status == "identified" and ann.title == "Payments failing at O2"
    assert [g.id for g in ann.groups] == [world.groups["subs"].id]
    assert (
        count(AnnouncementDelivery) == 3 + 3
    )  # 3 mails; SMS to Bob and Carl, Bea's row says "no mobile number"
    assert update.body.startswith(
        "Since 2026-05-04 10:00 CEST (08:00 UTC) we have a problem with Subscriptions"
    )
