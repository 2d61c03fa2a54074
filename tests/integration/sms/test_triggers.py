"""What sends an SMS and where it starts: a reply requiring the client's action (mail and SMS in one
transaction, in the contact's language, to the requester or all technical contacts), the urgent
acknowledgement, the on-call escalation, quiet hours, approval holds, admin pause, and STOP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from tests.integration.sms.helpers import count, fresh, pending_jobs
from ticketdesk.admin.store import set_value
from ticketdesk.contacts.service import update_organization
from ticketdesk.extensions import db
from ticketdesk.jobs.runner import run_once
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.ports.sms import sign_webhook
from ticketdesk.sms import control, service
from ticketdesk.sms.models import SmsAttempt, SmsNotification, SmsStop
from ticketdesk.tickets import service as tickets
from ticketdesk.tickets.models import TicketEvent

START = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # 11:00 in Prague


def _notifications(**where: Any) -> list[SmsNotification]:
    db.session.expire_all()
    query = select(SmsNotification).order_by(SmsNotification.id)
    for key, value in where.items():
        query = query.where(getattr(SmsNotification, key) == value)
    return list(db.session.scalars(query))


def test_requires_action_reply_sends_mail_and_sms_together(
    app: Any, gateway: Any, make_contact: Any, make_org: Any, make_ticket: Any, agent: Any
) -> None:
    org = make_org(name="Vaski", language="cs")
    contact = make_contact(org, phones=["777 123 456"], language="cs", name="Jana")
    ticket = make_ticket(contact, subject="Výpadek serveru www1")
    tickets.add_agent_message(
        db.session,
        ticket,
        agent,
        kind="reply",
        text="Prosím potvrďte restart.",
        now=START,
        requires_action=False,
    )
    db.session.commit()
    assert _notifications() == []
    msg = tickets.add_agent_message(
        db.session,
        ticket,
        agent,
        kind="reply",
        text="Potvrďte prosím okno údržby.",
        now=START,
        requires_action=True,
    )
    db.session.rollback()  # nothing of a rolled-back reply leaves the building
    assert _notifications() == []
    msg = tickets.add_agent_message(
        db.session,
        ticket,
        agent,
        kind="reply",
        text="Potvrďte prosím okno údržby.",
        now=START,
        requires_action=True,
    )
    db.session.commit()
    (sms,) = _notifications()
    assert sms.kind == "requires_action" and sms.to_e164 == "+420777123456" and sms.language == "cs"
    assert sms.critical and sms.contact_id == contact.id and sms.reason_ref["message_id"] == msg.id
    assert f"{ticket.number}" in sms.text and "čeká na Vaši akci" in sms.text
    assert count(OutboundMail, OutboundMail.message_id == msg.id) == 1
    assert db.session.scalar(select(TicketEvent.kind).where(TicketEvent.kind == "sms.queued")) == "sms.queued"
    run_once(app)
    assert gateway.received[0].to == "+420777123456"


def test_requires_action_to_all_technical_contacts(
    app: Any, make_contact: Any, make_org: Any, make_ticket: Any, agent: Any
) -> None:
    org = make_org()
    requester = make_contact(org, phones=["+420777100001"])
    colleague = make_contact(org, phones=["+420777100002"], language="de")
    make_contact(org, phones=["+420777100003"], technical=False)  # not technical: no SMS
    make_contact(org, phones=["+420212345678"])  # a landline only: no SMS
    opted_out = make_contact(org, phones=["+420777100005"])
    opted_out.notify_sms = False
    set_value(db.session, "sms.requires_action_recipients", "technical")
    db.session.commit()
    ticket = make_ticket(requester)
    tickets.add_agent_message(
        db.session, ticket, agent, kind="reply", text="Please act.", now=START, requires_action=True
    )
    db.session.commit()
    sent = _notifications()
    assert [n.to_e164 for n in sent] == ["+420777100001", "+420777100002"]
    assert sent[1].contact_id == colleague.id and "Ihr Handeln" in sent[1].text


def test_urgent_acknowledgement_sms_is_configurable(app: Any, make_contact: Any, make_ticket: Any) -> None:
    contact = make_contact(phones=["+420777123456"])
    make_ticket(contact, subject="Server down", priority="urgent")
    assert _notifications() == []
    set_value(db.session, "sms.on_urgent_ack", True)
    db.session.commit()
    ticket = make_ticket(contact, subject="Server down again", priority="urgent")
    (sms,) = _notifications()
    assert sms.kind == "urgent_ack" and sms.ticket_id == ticket.id and "urgent" in sms.text
    make_ticket(contact, subject="A question", priority="normal")
    assert len(_notifications()) == 1


def test_on_call_agent_gets_the_escalation(app: Any, make_agent: Any, make_ticket: Any) -> None:
    on_call = make_agent(on_call=True, phone_e164="+420603111222", language="cs")
    make_agent(on_call=False, phone_e164="+420603111333")
    make_agent(on_call=True)  # no phone
    ticket = make_ticket(priority="urgent", subject="Data centre unreachable")
    created = service.notify_on_call(db.session, text=None, now=START, ticket=ticket)
    db.session.commit()
    (sms,) = created
    assert sms.agent_id == on_call.id and sms.kind == "escalation" and sms.critical
    assert sms.organization_id is None and "URGENTNÍ" in sms.text and str(ticket.number) in sms.text
    custom = service.notify_on_call(db.session, text="Outage at DC1, call the NOC", now=START)
    assert custom[0].text == "Outage at DC1, call the NOC"


def test_quiet_hours_hold_non_critical_sms_until_morning(app: Any, gateway: Any, make_org: Any) -> None:
    org = make_org()
    update_organization(
        db.session, org, {"quiet_hours": {"start": "22:00", "end": "07:00"}, "timezone": "Europe/Prague"}
    )
    db.session.commit()
    night = datetime(2026, 11, 3, 22, 30, tzinfo=UTC)  # 23:30 in Prague
    with time_machine.travel(night, tick=False) as clock:
        calm = service.queue_sms(
            db.session,
            to="+420777123456",
            text="Maintenance tomorrow",
            kind="announcement",
            now=night,
            organization=org,
        ).attempts[-1]
        urgent = service.queue_sms(
            db.session,
            to="+420777123457",
            text="Outage now",
            kind="announcement",
            now=night,
            organization=org,
            critical=True,
        ).attempts[-1]
        db.session.commit()
        assert calm.status == "scheduled" and urgent.status == "queued"
        morning = datetime(2026, 11, 4, 6, 0, tzinfo=UTC)  # 07:00 in Prague
        assert calm.scheduled_for == morning and "quiet hours" in calm.hold_reason
        run_once(app)
        assert [r.text for r in gateway.received] == ["Outage now"]
        clock.move_to(morning + timedelta(seconds=1))
        run_once(app)
    assert fresh(calm.id).status == "submitted" and len(gateway.received) == 2


def test_link_not_on_the_allow_list_awaits_approval(app: Any, gateway: Any, admin: Any) -> None:
    held = service.queue_sms(
        db.session, to="+420777123456", text="Pay at http://bit.ly/x1", kind="manual", now=START
    ).attempts[-1]
    own = service.queue_sms(
        db.session,
        to="+420777123457",
        text="See http://127.0.0.1:5000/portal/tickets/1",
        kind="manual",
        now=START,
    ).attempts[-1]
    db.session.commit()
    assert held.status == "awaiting_approval" and "bit.ly" in held.hold_reason and own.status == "queued"
    run_once(app)
    assert len(gateway.received) == 1
    control.act(db.session, held, "approve", now=START, by=admin.name)
    db.session.commit()
    run_once(app)
    assert fresh(held.id).status == "submitted" and len(gateway.received) == 2
    set_value(db.session, "sms.allowed_link_hosts", ["bit.ly"])
    db.session.commit()
    again = service.queue_sms(db.session, to="+420777123458", text="bit.ly/x2", kind="manual", now=START)
    assert again.attempts[-1].status == "queued"


def test_volume_above_the_daily_threshold_awaits_approval(app: Any, make_org: Any) -> None:
    org = make_org()
    update_organization(db.session, org, {"sms_daily_threshold": 3, "timezone": "Europe/Prague"})
    db.session.commit()
    states = [
        service.queue_sms(
            db.session, to=f"+42077712345{i}", text="Hi", kind="announcement", now=START, organization=org
        )
        .attempts[-1]
        .status
        for i in range(5)
    ]
    assert states == ["queued", "queued", "queued", "awaiting_approval", "awaiting_approval"]
    next_day = datetime(2026, 11, 3, 23, 30, tzinfo=UTC)  # 00:30 on the 4th in Prague: a new day
    fresh_day = service.queue_sms(
        db.session,
        to="+420777123450",
        text="Hi",
        kind="announcement",
        now=next_day,
        organization=org,
        critical=True,
    )
    assert fresh_day.attempts[-1].status == "queued"


def test_admin_pause_holds_everything_until_resumed(
    app: Any, gateway: Any, admin: Any, make_org: Any
) -> None:
    waiting = service.queue_sms(
        db.session, to="+420777123456", text="one", kind="manual", now=START
    ).attempts[-1]
    db.session.commit()
    assert control.pause_sending(db.session, now=START, by=admin.name) == 1
    later = service.queue_sms(db.session, to="+420777123457", text="two", kind="manual", now=START).attempts[
        -1
    ]
    db.session.commit()
    assert later.status == "paused" and fresh(waiting.id).status == "paused"
    run_once(app)
    assert gateway.received == []
    assert control.resume_sending(db.session, now=START, by=admin.name) == 2
    db.session.commit()
    run_once(app)
    assert sorted(r.text for r in gateway.received) == ["one", "two"]
    org = make_org()
    control.pause_sending(db.session, now=START, by=admin.name, organization_id=org.id)
    held = service.queue_sms(
        db.session, to="+420777123458", text="x", kind="manual", now=START, organization=org
    )
    other = service.queue_sms(db.session, to="+420777123459", text="y", kind="manual", now=START)
    assert held.attempts[-1].status == "paused" and other.attempts[-1].status == "queued"


def test_inbound_stop_puts_the_number_on_the_stop_list(app: Any, client: Any, gateway: Any) -> None:
    waiting = service.queue_sms(
        db.session,
        to="+420777123456",
        text="later",
        kind="manual",
        now=START,
        send_at=START + timedelta(hours=1),
    ).attempts[-1]
    db.session.commit()
    secret = app.extensions["ticketdesk.settings"].sms_webhook_secret
    body = b'{"from": "+420 777 123 456", "text": "Stop"}'
    bad = client.post("/api/v1/sms/inbound", data=body, headers={"X-Ticketdesk-Signature": "00"})
    assert bad.status_code == 403 and count(SmsStop) == 0
    resp = client.post(
        "/api/v1/sms/inbound", data=body, headers={"X-Ticketdesk-Signature": sign_webhook(body, secret)}
    )
    assert resp.status_code == 200 and resp.get_json() == {
        "action": "stopped",
        "from": "+420777123456",
        "stopped": 1,
    }
    assert fresh(waiting.id).status == "stopped"
    blocked = service.queue_sms(
        db.session, to="+420777123456", text="new", kind="manual", now=START
    ).attempts[-1]
    assert blocked.status == "stopped"
    db.session.commit()
    start = b'{"from": "+420777123456", "text": "START"}'
    resp = client.post(
        "/api/v1/sms/inbound", data=start, headers={"X-Ticketdesk-Signature": sign_webhook(start, secret)}
    )
    assert resp.get_json()["action"] == "started" and count(SmsStop) == 0
    other = b'{"from": "+420777123456", "text": "Thanks, all good"}'
    resp = client.post(
        "/api/v1/sms/inbound", data=other, headers={"X-Ticketdesk-Signature": sign_webhook(other, secret)}
    )
    assert resp.get_json()["action"] == "ignored"
    assert pending_jobs("sms.send") == 0 or count(SmsAttempt, SmsAttempt.status == "queued") == 0
