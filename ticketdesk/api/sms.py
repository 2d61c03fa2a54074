"""SMS endpoints: attempts and their history, sending and resending, admin approval/pause, the STOP
list, ratios and alerts, and the gateway webhooks (delivery reports and inbound SMS).

The webhooks authenticate themselves, not with an API token: ``/sms/status`` and
``/sms/inbound`` with ``X-Ticketdesk-Signature`` (hex HMAC-SHA256 of the raw body with
TICKETDESK_SMS_WEBHOOK_SECRET), the Twilio routes with ``X-Twilio-Signature``. A bad signature is
403 and changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from flask import Flask, Response, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from ticketdesk.admin.store import app_settings
from ticketdesk.api import bp
from ticketdesk.api.auth import current_principal, require_admin, require_staff
from ticketdesk.api.common import body, decode_cursor, encode_cursor, int_arg, limit_arg
from ticketdesk.api.openapi import documents
from ticketdesk.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ticketdesk.extensions import db, limiter
from ticketdesk.ports.clock import utcnow
from ticketdesk.ports.registry import current_ports
from ticketdesk.ports.sms import (
    SIGNATURE_HEADER,
    parse_twilio_callback,
    verify_twilio_signature,
    verify_webhook,
)
from ticketdesk.sms import control, queries, service, webhooks
from ticketdesk.sms.groupcommit import GroupCommit
from ticketdesk.sms.models import SmsStop
from ticketdesk.sms.resend import ResendError, bulk_resend, resend_attempt
from ticketdesk.sms.states import SmsTransitionError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SendIn(Strict):
    text: str = Field(min_length=1, max_length=1600)
    to: str | None = None
    contact_id: int | None = None
    ticket: int | None = None
    critical: bool = False
    send_at: datetime | None = None


class ResendIn(Strict):
    text: str | None = Field(default=None, min_length=1, max_length=1600)


class BulkResendIn(Strict):
    since: datetime
    until: datetime
    statuses: list[Literal["failed", "unknown"]] = ["failed", "unknown"]
    text: str | None = Field(default=None, min_length=1, max_length=1600)
    kind: str | None = None
    organization_id: int | None = None
    dry_run: bool = False


class PauseIn(Strict):
    organization_id: int | None = None
    release: bool = True


class StopIn(Strict):
    number: str = Field(min_length=3, max_length=40)


class UnprocessableReport(DomainError):
    status, code = 422, "bad_report"


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed(f"{name} needs a time zone (e.g. 2026-12-01T08:00:00Z)")
    return value


def _time_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return webhooks.parse_time(raw)
    except webhooks.BadReport:
        raise ValidationFailed(f"{name} must be an ISO-8601 time") from None


def _by() -> str:
    principal = current_principal()
    return principal.agent.name if principal.agent else ""


def _attempt(attempt_id: int) -> Any:
    attempt = queries.get_attempt(db.session, attempt_id, org_scope=current_principal().org_scope)
    if attempt is None:
        raise NotFound(f"no SMS {attempt_id}")
    return attempt


def _detail(attempt: Any) -> dict[str, Any]:
    return queries.attempt_dict(attempt, ticket_number=queries.ticket_number_of(db.session, attempt))


# --- reading --------------------------------------------------------------------------------------


@bp.get("/sms")
def list_sms() -> Any:
    """SMS attempts with their status history (filter by ticket, status, kind, time)."""
    from ticketdesk.tickets.queries import get_ticket

    principal = current_principal()
    ticket_id = None
    number = int_arg("ticket")
    if number is not None:
        ticket_id = get_ticket(db.session, number, org_scope=principal.org_scope).id
    raw_status = request.args.get("status")
    f = queries.SmsFilter(
        ticket_id=ticket_id,
        notification_id=int_arg("notification"),
        kind=request.args.get("kind") or None,
        status=[s.strip() for s in raw_status.split(",") if s.strip()] if raw_status else None,
        since=_time_arg("since"),
        until=_time_arg("until"),
    )
    cursor = decode_cursor(request.args.get("cursor"))
    after = cursor.get("id") if cursor else None
    if after is not None and not isinstance(after, int):
        raise ValidationFailed("the cursor is not valid", code="bad_cursor")
    items, next_id = queries.list_attempts(
        db.session, f, org_scope=principal.org_scope, after_id=after, limit=limit_arg()
    )
    return jsonify({"items": items, "next": encode_cursor({"id": next_id}) if next_id else None})


@bp.get("/sms/<int:attempt_id>")
def get_sms(attempt_id: int) -> Any:
    """One SMS attempt with its full history."""
    return jsonify(_detail(_attempt(attempt_id)))


@bp.get("/sms/alerts")
def sms_alerts() -> Any:
    """Open SMS alerts and SMS waiting for an admin (the banner of the agent workspace)."""
    require_staff()
    return jsonify(queries.banner(db.session))


@bp.post("/sms/alerts/<int:alert_id>/resolve")
def resolve_sms_alert(alert_id: int) -> Any:
    """Mark an SMS alert as handled."""
    from ticketdesk.admin.models import Alert
    from ticketdesk.sms import monitor

    require_admin()
    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.kind != monitor.ALERT_KIND:
        raise NotFound(f"no SMS alert {alert_id}")
    if alert.resolved_at is None:
        monitor.resolve(db.session, alert, now=utcnow(), note=f"resolved by {_by()}")
        db.session.commit()
    return jsonify(queries.alert_dict(alert))


@bp.get("/sms/stats")
def sms_stats() -> Any:
    """Delivered ratios per gateway, country or operator, per hour or day."""
    require_staff()
    group = request.args.get("group", "gateway")
    bucket = request.args.get("bucket", "day")
    days = int_arg("days") or 7
    if group not in queries.GROUPS or bucket not in queries.BUCKETS or not 1 <= days <= 90:
        raise ValidationFailed("group: gateway|country|operator, bucket: hour|day, days: 1-90")
    rows = queries.ratios(db.session, now=utcnow(), days=days, bucket=bucket, group=group)
    return jsonify(
        {"group": group, "bucket": bucket, "days": days, "items": rows, "totals": queries.totals(rows)}
    )


# --- sending ----------------------------------------------------------------------------------------


@bp.post("/sms")
def send_sms() -> Any:
    """Send an SMS to a number or a contact (optionally about a ticket)."""
    from ticketdesk.contacts.service import get_contact
    from ticketdesk.tickets.queries import get_ticket

    require_staff()
    data = body(SendIn)
    now = utcnow()
    contact = get_contact(db.session, data.contact_id) if data.contact_id is not None else None
    ticket = get_ticket(db.session, data.ticket, org_scope=None) if data.ticket is not None else None
    to = data.to or (service.mobile_number(contact) if contact is not None else None)
    if not to:
        raise ValidationFailed("name the recipient: 'to' or a 'contact_id' with a mobile number")
    org = (
        contact.organization if contact is not None else (ticket.organization if ticket is not None else None)
    )
    try:
        notification = service.queue_sms(
            db.session,
            to=to,
            text=data.text,
            kind="manual",
            now=now,
            critical=data.critical,
            ticket=ticket,
            contact=contact,
            organization=org,
            language=(contact.language if contact else None) or "en",
            send_at=_aware(data.send_at, "send_at"),
        )
    except service.InvalidNumber as err:
        raise ValidationFailed(str(err), code="invalid_number") from None
    db.session.commit()
    return jsonify(_detail(notification.attempts[-1])), 201


@bp.post("/sms/<int:attempt_id>/resend")
def resend_sms(attempt_id: int) -> Any:
    """Resend a failed or unknown SMS on purpose (a new attempt of the same notification)."""
    require_staff()
    data = body(ResendIn)
    try:
        attempt = resend_attempt(db.session, _attempt(attempt_id), now=utcnow(), by=_by(), text=data.text)
    except ResendError as err:
        raise Conflict(str(err), code="not_resendable") from None
    db.session.commit()
    return jsonify(_detail(attempt)), 201


@bp.post("/sms/resend")
def bulk_resend_sms() -> Any:
    """Resend failed/unknown SMS of a time range, skipping those whose reason has gone."""
    require_admin()
    data = body(BulkResendIn)
    since, until = _aware(data.since, "since"), _aware(data.until, "until")
    assert since is not None and until is not None
    if until <= since:
        raise ValidationFailed("until must be after since")
    try:
        report = bulk_resend(
            db.session,
            since=since,
            until=until,
            now=utcnow(),
            by=_by(),
            statuses=tuple(data.statuses),
            text=data.text,
            kind=data.kind,
            organization_id=data.organization_id,
            dry_run=data.dry_run,
        )
    except ResendError as err:
        raise ValidationFailed(str(err)) from None
    db.session.commit()
    return jsonify(report.to_dict())


def _action(attempt_id: int, action: str) -> Any:
    if action == "cancel":
        require_staff()
    else:
        require_admin()
    attempt = _attempt(attempt_id)
    try:
        control.act(db.session, attempt, action, now=utcnow(), by=_by())
    except SmsTransitionError as err:
        raise Conflict(str(err), code="sms_transition") from None
    db.session.commit()
    return jsonify(_detail(attempt))


@bp.post("/sms/<int:attempt_id>/approve")
def approve_sms(attempt_id: int) -> Any:
    """Approve an SMS awaiting approval (admin)."""
    return _action(attempt_id, "approve")


@bp.post("/sms/<int:attempt_id>/pause")
def pause_sms(attempt_id: int) -> Any:
    """Hold one SMS for an admin."""
    return _action(attempt_id, "pause")


@bp.post("/sms/<int:attempt_id>/resume")
def resume_sms(attempt_id: int) -> Any:
    """Release a paused SMS (admin)."""
    return _action(attempt_id, "resume")


@bp.post("/sms/<int:attempt_id>/cancel")
def cancel_sms(attempt_id: int) -> Any:
    """Cancel an SMS not yet handed to the gateway."""
    return _action(attempt_id, "cancel")


@bp.post("/sms/pause")
def pause_all_sms() -> Any:
    """Pause all SMS sending, or one organisation's (admin)."""
    require_admin()
    data = body(PauseIn)
    count = control.pause_sending(db.session, now=utcnow(), by=_by(), organization_id=data.organization_id)
    db.session.commit()
    return jsonify({"paused": True, "organization_id": data.organization_id, "held": count})


@bp.post("/sms/resume")
def resume_all_sms() -> Any:
    """Lift a pause; with release (default) the paused SMS are queued again (admin)."""
    require_admin()
    data = body(PauseIn)
    count = control.resume_sending(
        db.session, now=utcnow(), by=_by(), organization_id=data.organization_id, release=data.release
    )
    db.session.commit()
    return jsonify({"paused": False, "organization_id": data.organization_id, "released": count})


# --- STOP list ------------------------------------------------------------------------------------


@bp.get("/sms/stop-list")
def stop_list() -> Any:
    """Numbers that asked not to receive SMS."""
    require_staff()
    rows = db.session.scalars(db.select(SmsStop).order_by(SmsStop.id.desc()).limit(limit_arg(200))).all()
    return jsonify(
        {
            "items": [
                {"number": r.e164, "text": r.source_text, "created_at": r.created_at.isoformat()}
                for r in rows
            ],
            "next": None,
        }
    )


@bp.post("/sms/stop-list")
def add_to_stop_list() -> Any:
    """Put a number on the STOP list (admin), e.g. after a request by phone."""
    from ticketdesk.phone.numbers import normalize

    require_admin()
    data = body(StopIn)
    e164 = normalize(data.number, app_settings().default_region)
    if e164 is None:
        raise ValidationFailed(f"{data.number!r} is not a valid phone number", code="invalid_number")
    count = control.add_stop(db.session, e164, now=utcnow(), text=f"added by {_by()}")
    db.session.commit()
    return jsonify({"number": e164, "stopped": count}), 201


@bp.delete("/sms/stop-list/<path:number>")
def remove_from_stop_list(number: str) -> Any:
    """Take a number off the STOP list (admin)."""
    require_admin()
    if not control.remove_stop(db.session, number.strip()):
        raise NotFound(f"{number} is not on the STOP list")
    db.session.commit()
    return "", 204


documents("api.send_sms", SendIn)
documents("api.resend_sms", ResendIn)
documents("api.bulk_resend_sms", BulkResendIn)
documents("api.pause_all_sms", PauseIn)
documents("api.resume_all_sms", PauseIn)
documents("api.add_to_stop_list", StopIn)


# --- webhooks (public: they authenticate with signatures) ---------------------------------------------


GROUP_COMMIT = "ticketdesk.sms_group_commit"  # app.extensions: the GroupCommit of this process


def _signed_json() -> Any:
    raw = request.get_data(cache=True)
    if not verify_webhook(raw, request.headers.get(SIGNATURE_HEADER), app_settings().sms_webhook_secret):
        raise Forbidden(f"bad or missing {SIGNATURE_HEADER}", code="bad_signature")
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("the body is not JSON", code="malformed_json") from None


def group_commit(app: Flask) -> GroupCommit:
    """This process's applier of delivery reports (see ``ticketdesk.sms.groupcommit``)."""
    applier = app.extensions.get(GROUP_COMMIT)
    if applier is None:
        applier = app.extensions.setdefault(GROUP_COMMIT, GroupCommit())
    return applier


def parse_reports(data: Any) -> tuple[list[webhooks.GatewayReport], bool]:
    """The reports of a status webhook's JSON (one object or a list) and whether it was a list;
    ``webhooks.BadReport`` when something in it is not a report."""
    batch = isinstance(data, list)
    return [webhooks.parse_generic(item) for item in (data if batch else [data])], batch


def report_answer(outcomes: list[webhooks.ReportOutcome], batch: bool) -> tuple[Any, int]:
    """The status webhook's JSON answer and HTTP status (200: every report matched, 202 otherwise)."""
    status = 200 if all(o.matched for o in outcomes) else 202
    return ({"items": [o.to_dict() for o in outcomes]} if batch else outcomes[0].to_dict()), status


@bp.post("/sms/status")
def sms_status() -> Any:
    """Delivery report webhook (one report object, or a list of them)."""
    try:
        reports, batch = parse_reports(_signed_json())
    except webhooks.BadReport as err:
        raise UnprocessableReport(str(err)) from None
    outcomes = group_commit(current_app).receive(db.session, reports, clock=utcnow)
    payload, status = report_answer(outcomes, batch)
    return jsonify(payload), status


@bp.post("/sms/inbound")
def sms_inbound() -> Any:
    """Inbound SMS webhook: STOP puts the sender on the STOP list, START takes it off."""
    data = _signed_json()
    if not isinstance(data, dict) or not data.get("from"):
        raise UnprocessableReport('an inbound SMS is {"from": "+…", "text": "…"}')
    try:
        outcome = webhooks.receive_inbound(
            db.session,
            str(data["from"]),
            str(data.get("text") or ""),
            now=utcnow(),
            region=app_settings().default_region,
        )
    except webhooks.BadReport as err:
        raise UnprocessableReport(str(err)) from None
    db.session.commit()
    return jsonify({"action": outcome.action, "from": outcome.number, "stopped": outcome.stopped_attempts})


def _twilio_checked() -> None:
    gateway = current_ports().sms
    token = getattr(gateway, "auth_token", None) if getattr(gateway, "name", "") == "twilio" else None
    if not token:
        raise NotFound("the Twilio driver is not configured (TICKETDESK_SMS_GATEWAY_URL=twilio://…)")
    params = list(request.form.items(multi=True))
    signature = request.headers.get("X-Twilio-Signature")
    public = app_settings().public_url.rstrip("/") + request.full_path.rstrip("?")
    if not any(verify_twilio_signature(url, params, signature, token) for url in (request.url, public)):
        raise Forbidden("bad or missing X-Twilio-Signature", code="bad_signature")


@bp.post("/sms/twilio/status")
def sms_twilio_status() -> Any:
    """Twilio status callback (MessageSid, MessageStatus, ErrorCode)."""
    _twilio_checked()
    parsed = parse_twilio_callback(request.form)
    if not parsed.gateway_id:
        raise UnprocessableReport("MessageSid is missing")
    if parsed.status is None:
        return "", 204  # a status we do not track (e.g. receiving)
    report = webhooks.GatewayReport(
        parsed.gateway_id, parsed.status, None, parsed.error, gateway_status=parsed.twilio_status or None
    )
    outcome = group_commit(current_app).receive(db.session, [report], clock=utcnow)[0]
    return jsonify(outcome.to_dict()), 200 if outcome.matched else 202


@bp.post("/sms/twilio/inbound")
def sms_twilio_inbound() -> Any:
    """Twilio inbound-message webhook (From, Body); answers empty TwiML."""
    _twilio_checked()
    try:
        webhooks.receive_inbound(
            db.session,
            request.form.get("From", ""),
            request.form.get("Body", ""),
            now=utcnow(),
            region=app_settings().default_region,
        )
    except webhooks.BadReport as err:
        raise UnprocessableReport(str(err)) from None
    db.session.commit()
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', mimetype="text/xml")


WEBHOOK_ENDPOINTS = frozenset(
    {"api.sms_status", "api.sms_inbound", "api.sms_twilio_status", "api.sms_twilio_inbound"}
)


@limiter.request_filter
def _unlimited_webhook() -> bool:
    """The gateway webhooks are not rate-limited (and skip the limiter's bookkeeping on every report).

    A limit would protect nothing: a request with a bad signature is refused after one HMAC, before
    anything is read or stored, which costs less than counting it would; a good one is a report the
    gateway must be able to deliver in bursts (and retries when refused, making the burst longer).
    """
    return request.endpoint in WEBHOOK_ENDPOINTS
