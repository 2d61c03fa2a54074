"""The worker reminds on-call staff (alert, mail, Socket.IO event, SMS) until a maintenance gets its
completion notice, when an outage stays unannounced past the threshold, and when an outage update is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from tests.integration.announcements.helpers import World, maintenance_values, outage_values
from ticketdesk.admin.models import Alert
from ticketdesk.admin.store import set_value
from ticketdesk.announcements import service
from ticketdesk.announcements.models import Announcement
from ticketdesk.extensions import db, socketio
from ticketdesk.jobs.runner import run_once
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.sms.models import SmsNotification

T0 = datetime(2026, 5, 4, 18, 0, tzinfo=UTC)


def alerts() -> list[Alert]:
    db.session.expire_all()
    found = list(
        db.session.scalars(select(Alert).where(Alert.kind == "announcement.reminder").order_by(Alert.id))
    )
    db.session.commit()
    return found


def open_alerts() -> list[Alert]:
    return [a for a in alerts() if a.resolved_at is None]


def reminder_mails() -> list[OutboundMail]:
    found = list(
        db.session.scalars(
            select(OutboundMail).where(OutboundMail.kind == "announcement_reminder").order_by(OutboundMail.id)
        )
    )
    db.session.commit()
    return found


def reload(ann: Announcement) -> Announcement:
    db.session.expire_all()
    return db.session.get(Announcement, ann.id)


def test_maintenance_is_reminded_until_its_completion_notice(
    app: Any, world: World, make_agent: Any, make_token: Any
) -> None:
    on_call = make_agent(
        name="Olga On-call", email="olga@support.test", on_call=True, phone_e164="+420603000111"
    )
    make_agent(name="Off Duty", email="off@support.test")
    sio = socketio.test_client(app, auth={"token": make_token(on_call)})
    assert sio.emit("join", {"room": "agents"}, callback=True)["ok"] is True
    start, end = T0 + timedelta(hours=2), T0 + timedelta(hours=4)
    with time_machine.travel(T0, tick=False) as clock:
        ann = service.create_announcement(
            db.session,
            kind="maintenance",
            groups=[world.groups["sms"]],
            template=world.templates["maintenance_en"],
            values=maintenance_values(start, end),
            now=T0,
        )
        db.session.commit()
        assert ann.starts_at == start and ann.expected_end == end  # the time placeholders set the fields
        clock.move_to(start)
        service.add_update(db.session, reload(ann), status="in_progress", now=start)
        db.session.commit()
        clock.move_to(end - timedelta(minutes=1))
        run_once(app)
        assert alerts() == [], "not due before the planned end"

        clock.move_to(end)
        run_once(app)
        (alert,) = open_alerts()
        assert alert.dedupe_key == f"announcement:{ann.id}:completion_due" and alert.severity == "warning"
        assert alert.details["count"] == 1 and "no completion notice" in alert.message
        (mail,) = reminder_mails()
        assert mail.to_addrs == ["olga@support.test"] and mail.subject.startswith("[reminder] Maintenance")
        events = [e["args"][0] for e in sio.get_received() if e["name"] == "announcement.reminder"]
        assert [(e["announcement_id"], e["reason"], e["count"]) for e in events] == [
            (ann.id, "completion_due", 1)
        ]
        sms = db.session.scalars(select(SmsNotification).where(SmsNotification.agent_id == on_call.id)).all()
        assert len(sms) == 1 and "no completion notice" in sms[0].text

        clock.shift(timedelta(minutes=5))
        run_once(app)
        assert len(reminder_mails()) == 1 and open_alerts()[0].details["count"] == 1, (
            "not again within 15 min"
        )

        clock.shift(timedelta(minutes=10))
        run_once(app)
        (alert,) = open_alerts()
        assert alert.details["count"] == 2 and len(reminder_mails()) == 2, "repeated until it is sent"

        done = end + timedelta(minutes=20)
        clock.move_to(done)
        service.add_update(db.session, reload(ann), status="completed", now=done)
        db.session.commit()
        assert open_alerts() == [] and alerts()[0].resolved_at == done
        clock.shift(timedelta(hours=3))
        run_once(app)
        assert open_alerts() == [] and len(reminder_mails()) == 2
    sio.disconnect()


def test_outage_threshold_then_updates_every_30_minutes(app: Any, world: World, make_agent: Any) -> None:
    make_agent(name="Olga On-call", email="olga@support.test", on_call=True)
    with time_machine.travel(T0, tick=False) as clock:
        ann = service.create_announcement(
            db.session,
            kind="outage",
            groups=[world.groups["subs"]],
            template=world.templates["outage_en"],
            internal=True,
            title="Subscriptions billing fails",
            now=T0,
        )
        db.session.commit()
        clock.move_to(T0 + timedelta(minutes=14, seconds=59))
        run_once(app)
        assert alerts() == []

        clock.move_to(T0 + timedelta(minutes=15))
        run_once(app)
        (alert,) = open_alerts()
        assert alert.details["reason"] == "outage_unannounced" and alert.severity == "critical"
        assert "open 15 min without an announcement" in alert.message
        assert reminder_mails()[0].to_addrs == ["olga@support.test"]

        announced = T0 + timedelta(minutes=20)
        clock.move_to(announced)
        service.add_update(
            db.session, reload(ann), values=outage_values(), status="identified", now=announced
        )
        db.session.commit()
        assert open_alerts() == []

        clock.move_to(announced + timedelta(minutes=29))
        run_once(app)
        assert open_alerts() == []
        clock.move_to(announced + timedelta(minutes=30))
        run_once(app)
        (alert,) = open_alerts()
        assert alert.details["reason"] == "outage_update_due" and "30 min ago" in alert.message

        update_at = announced + timedelta(minutes=35)
        clock.move_to(update_at)
        service.add_update(db.session, reload(ann), status="monitoring", now=update_at)
        db.session.commit()
        assert open_alerts() == []
        clock.move_to(update_at + timedelta(minutes=30))
        run_once(app)
        assert [a.details["reason"] for a in open_alerts()] == ["outage_update_due"]

        resolved = update_at + timedelta(minutes=31)
        clock.move_to(resolved)
        service.add_update(db.session, reload(ann), status="resolved", now=resolved)
        db.session.commit()
        clock.shift(timedelta(hours=2))
        run_once(app)
        assert open_alerts() == [] and len(alerts()) == 3
        assert reload(ann).ended_at == resolved


def test_threshold_is_a_setting_and_admins_are_told_when_nobody_is_on_call(
    app: Any, world: World, admin: Any
) -> None:
    set_value(db.session, "announcements.outage_threshold_minutes", 20)
    db.session.commit()
    with time_machine.travel(T0, tick=False) as clock:
        ann = service.create_announcement(
            db.session,
            kind="outage",
            groups=[],
            template=None,
            internal=True,
            title="DNS slow",
            starts_at=T0 - timedelta(minutes=10),
            now=T0,
        )
        db.session.commit()
        clock.move_to(T0 + timedelta(minutes=9))
        run_once(app)
        assert alerts() == []  # 19 minutes since the outage began
        clock.move_to(T0 + timedelta(minutes=10))
        run_once(app)
        (alert,) = open_alerts()
        assert "open 20 min" in alert.message and reminder_mails()[0].to_addrs == [admin.email]
        # a false alarm: closed without telling anyone, the reminder ends
        service.close_internal(db.session, reload(ann), now=T0 + timedelta(minutes=11))
        db.session.commit()
        assert open_alerts() == [] and reload(ann).status == "resolved"
