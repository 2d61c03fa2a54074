"""The silent-failure detector under time control (seed 000: accepted by the gateway, nothing arrived):
missing reports, failures and a fall below the gateway's baseline raise one alert (row, e-mail to
admins, Socket.IO ``sms.alert``), which resolves itself once delivery is healthy again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from tests.fixtures.smsgateway import refuse
from tests.integration.sms.helpers import count
from ticketdesk.admin.models import Alert
from ticketdesk.admin.store import set_value
from ticketdesk.extensions import db, socketio
from ticketdesk.jobs.runner import run_once
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.sms import monitor, service
from ticketdesk.sms.models import SmsAttempt

START = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def _send(app: Any, n: int, now: datetime, prefix: str = "+42077760") -> list[SmsAttempt]:
    for i in range(n):
        service.queue_sms(
            db.session, to=f"{prefix}{i:04d}", text=f"Pickup notice {i}", kind="manual", now=now
        )
    db.session.commit()
    run_once(app)
    db.session.expire_all()
    rows = list(
        db.session.scalars(db.select(SmsAttempt).where(SmsAttempt.created_at == now).order_by(SmsAttempt.id))
    )
    db.session.commit()
    return rows


def _report(client: Any, gateway: Any, attempts: list[SmsAttempt], status: str, at: datetime) -> None:
    for attempt in attempts:
        body, headers = gateway.build_report(attempt.gateway_id, status, at=at)
        assert client.post("/api/v1/sms/status", data=body, headers=headers).status_code == 200


def _open() -> list[Alert]:
    db.session.expire_all()
    alerts = monitor.open_alerts(db.session)
    db.session.commit()
    return alerts


def test_missing_reports_raise_one_alert_mail_and_event(
    app: Any, client: Any, gateway: Any, admin: Any, make_token: Any
) -> None:
    sio = socketio.test_client(app, auth={"token": make_token(admin)})
    assert sio.emit("join", {"room": "agents"}, callback=True)["ok"] is True
    with time_machine.travel(START, tick=False) as clock:
        attempts = _send(app, 20, START)
        _report(client, gateway, attempts[:15], "delivered", START + timedelta(seconds=10))
        clock.shift(timedelta(minutes=4))
        run_once(app)
        assert _open() == [], "reports are not yet overdue"
        clock.shift(timedelta(minutes=2))  # 6 minutes after: 5 of 20 (25 %) have no final report
        run_once(app)
        (alert,) = _open()
        assert alert.severity == "critical" and "5 of 20" in alert.message and "http" in alert.message
        assert alert.details["rule"] == "missing"
        mails = db.session.scalars(db.select(OutboundMail).where(OutboundMail.kind == "sms_alert")).all()
        assert len(mails) == 1 and mails[0].to_addrs == [admin.email] and "SMS alert" in mails[0].subject
        events = [e for e in sio.get_received() if e["name"] == "sms.alert"]
        assert len(events) == 1 and events[0]["args"][0]["id"] == alert.id
        clock.shift(timedelta(minutes=1))
        run_once(app)
        assert len(_open()) == 1 and count(OutboundMail, OutboundMail.kind == "sms_alert") == 1, "no repeat"
        # the operator catches up: the late reports arrive and delivery is healthy again
        _report(client, gateway, attempts[15:], "delivered", START + timedelta(minutes=8))
        clock.shift(timedelta(minutes=1))
        run_once(app)
        assert _open() == []
        db.session.expire_all()
        assert db.session.get(Alert, alert.id).resolved_at == START + timedelta(minutes=8)
    sio.disconnect()


def test_failed_share_raises_an_alert(app: Any, client: Any, gateway: Any, admin: Any) -> None:
    with time_machine.travel(START, tick=False) as clock:
        gateway.plan_next(*[refuse(400, "blocked route")] * 4)
        attempts = _send(app, 12, START)
        _report(
            client, gateway, [a for a in attempts if a.gateway_id], "delivered", START + timedelta(seconds=5)
        )
        clock.shift(timedelta(minutes=1))
        run_once(app)
        (alert,) = _open()
        assert alert.details["rule"] == "failed" and alert.details["failed"] == 4


def test_drop_below_the_gateways_baseline(app: Any, client: Any, gateway: Any, admin: Any) -> None:
    set_value(db.session, "sms.monitor", {"threshold": 0.5, "min_baseline_sample": 20})
    db.session.commit()
    with time_machine.travel(START - timedelta(days=2), tick=False) as clock:
        history = _send(app, 40, START - timedelta(days=2), prefix="+42077750")
        _report(client, gateway, history, "delivered", START - timedelta(days=2))
        clock.move_to(START)
        window = _send(app, 20, START)
        _report(
            client, gateway, window[:15], "delivered", START + timedelta(seconds=30)
        )  # 75 % against 100 %
        clock.shift(timedelta(minutes=6))
        run_once(app)
        (alert,) = _open()
        assert alert.details["rule"] == "baseline" and alert.details["baseline"] == 1.0


def test_quiet_or_small_windows_decide_nothing_and_the_log_gateway_is_not_watched(
    app: Any, client: Any, gateway: Any
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        _send(app, 5, START)  # below min_sample
        clock.shift(timedelta(minutes=6))
        run_once(app)
        assert _open() == []
    db.session.execute(db.update(SmsAttempt).values(gateway="log"))
    db.session.commit()
    set_value(db.session, "sms.monitor", {"min_sample": 1})
    db.session.commit()
    with time_machine.travel(START + timedelta(minutes=6), tick=False):
        assert monitor.check(db.session, now=START + timedelta(minutes=6)) == []


def test_evaluate_is_a_plain_function() -> None:
    cfg = monitor.MonitorConfig()
    healthy = monitor.Window(
        "http", total=40, old_enough=30, missing=3, failed=2, delivered=27, baseline=0.95
    )
    assert monitor.evaluate(healthy, cfg) is True
    silent = monitor.Window("http", total=40, old_enough=30, missing=30, failed=0, delivered=0, baseline=0.95)
    finding = monitor.evaluate(silent, cfg)
    assert isinstance(finding, monitor.Finding) and finding.rule == "missing"
    assert monitor.evaluate(monitor.Window("http", 3, 3, 3, 0, 0, None), cfg) is None
