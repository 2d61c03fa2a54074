"""The SMS admin page: admins only; alerts, delivered ratios per gateway and per country/operator, held
SMS with their actions, pause and bulk resend through CSRF-protected forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from tests.web.workspace.helpers import csrf_from, login
from ticketdesk.admin.models import Alert
from ticketdesk.extensions import db
from ticketdesk.sms import service
from ticketdesk.sms.models import SmsAttempt


def _now() -> datetime:
    return datetime.now(UTC)


def test_only_admins(client: Any, agent: Any) -> None:
    resp = client.get("/admin/sms/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    login(client, agent.email)
    assert client.get("/admin/sms/").status_code == 403


def test_page_shows_alerts_ratios_and_held_sms(client: Any, admin: Any) -> None:
    now = _now()
    delivered = service.queue_sms(db.session, to="+420777123456", text="ok", kind="manual", now=now).attempts[
        -1
    ]
    failed = service.queue_sms(db.session, to="+358401234567", text="lost", kind="manual", now=now).attempts[
        -1
    ]
    held = service.queue_sms(
        db.session, to="+420777123458", text="see http://evil.example/x", kind="manual", now=now
    ).attempts[-1]
    db.session.flush()
    for attempt, status in ((delivered, "delivered"), (failed, "failed")):
        db.session.execute(
            update(SmsAttempt)
            .where(SmsAttempt.id == attempt.id)
            .values(status=status, gateway="http", submitted_at=now - timedelta(minutes=1))
        )
    db.session.add(
        Alert(
            kind="sms.silent_failure",
            severity="critical",
            message="SMS delivery problem: test",
            dedupe_key="sms.monitor:http",
            created_at=now,
        )
    )
    db.session.commit()
    login(client, admin.email)
    page = client.get("/admin/sms/").get_data(as_text=True)
    assert "SMS delivery problem: test" in page
    assert "evil.example" in page and f'action="/admin/sms/{held.id}/approve"' in page
    assert f'action="/admin/sms/{failed.id}/resend"' in page
    assert ">FI<" in page or "FI</td>" in page, "per-country totals"
    assert "50.0 %" in page, "the http gateway delivered one of two"
    by_country = client.get("/admin/sms/?group=country&bucket=hour&days=1").get_data(as_text=True)
    assert "CZ" in by_country and "FI" in by_country

    token = csrf_from(page)
    resp = client.post(f"/admin/sms/{held.id}/approve", data={"csrf_token": token})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(SmsAttempt, held.id).status == "queued"
    assert client.post(f"/admin/sms/{held.id}/approve", data={}).status_code == 400, "CSRF required"

    client.post("/admin/sms/pause", data={"csrf_token": token, "organization_id": ""})
    assert "All SMS sending is paused." in client.get("/admin/sms/").get_data(as_text=True)
    client.post("/admin/sms/resume", data={"csrf_token": token, "release": "1"})
    db.session.expire_all()
    assert db.session.get(SmsAttempt, held.id).status == "queued"

    since = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    until = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(
        "/admin/sms/resend",
        data={"csrf_token": token, "since": since, "until": until, "status": ["failed"], "text": "New text"},
        follow_redirects=True,
    )
    assert "1 SMS resent, 0 skipped" in resp.get_data(as_text=True)
    db.session.expire_all()
    resent = db.session.scalar(db.select(SmsAttempt).where(SmsAttempt.resend_of_id == failed.id))
    assert resent is not None and resent.text == "New text"

    alert_id = db.session.scalar(db.select(Alert.id))
    client.post(f"/admin/sms/alerts/{alert_id}/resolve", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Alert, alert_id).resolved_at is not None


def test_banner_helper_renders_for_the_workspace(app: Any, admin: Any) -> None:
    from flask import render_template_string
    from flask_login import login_user

    db.session.add(
        Alert(
            kind="sms.silent_failure",
            severity="critical",
            message="SMS delivery problem: silent",
            dedupe_key="sms.monitor:http",
            created_at=_now(),
        )
    )
    db.session.commit()
    with app.test_request_context("/"):
        login_user(admin)
        html = render_template_string('{% include "sms/_banner.html" %}')
    assert "SMS delivery problem: silent" in html and "/admin/sms/" in html
