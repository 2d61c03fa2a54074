"""Phone endpoints: PBX call events, number lookup and PIN check for an IVR, calls for agents.

``/cti/events``, ``/phone/lookup`` and ``/phone/ivr/verify`` are called by the PBX: they take
``TICKETDESK_CTI_TOKEN`` as a bearer token (or as the HTTP Basic password, which is all sipgate.io
can send) or an agent's API token. The ``/calls`` endpoints are for agents (token or browser session).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from flask import Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from ticketdesk.admin.store import app_settings
from ticketdesk.api import bp
from ticketdesk.api.auth import authenticate, require_staff
from ticketdesk.api.common import BadJson, body, decode_cursor, encode_cursor, int_arg, limit_arg
from ticketdesk.api.openapi import documents
from ticketdesk.contacts.serialize import contact_dict, organization_dict
from ticketdesk.errors import Unauthorized, ValidationFailed
from ticketdesk.extensions import db
from ticketdesk.phone import queries, service, webhooks
from ticketdesk.phone.models import Call
from ticketdesk.phone.webhooks import BadEvent, CtiEvent
from ticketdesk.ports.clock import utcnow
from ticketdesk.tickets import queries as ticket_queries
from ticketdesk.tickets.queues import default_queue, queue_by_slug
from ticketdesk.tickets.serialize import iso, ticket_summary


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class VerifyIn(Strict):
    pin: str | None = Field(default=None, max_length=40)
    client_number: str | None = Field(default=None, max_length=40)


class IvrVerifyIn(Strict):
    call_id: str = Field(min_length=1, max_length=200, alias="callId")
    pin: str | None = Field(default=None, max_length=40)
    client_number: str | None = Field(default=None, max_length=40)
    from_: str | None = Field(default=None, max_length=80, alias="from")
    to: str | None = Field(default=None, max_length=80)


class CallTicketIn(Strict):
    subject: str = Field(min_length=1, max_length=500)
    text: str = Field(min_length=1)
    queue: str | None = None
    contact_id: int | None = None
    priority: str | None = Field(default=None, pattern="^(urgent|high|normal|low)$")


class AttachIn(Strict):
    ticket: int


def _region() -> str:
    return app_settings().default_region


def _pbx() -> str:
    """Let the PBX in with the CTI token (bearer or Basic password), or an agent with their token."""
    given = webhooks.credential(request.headers.get("Authorization"))
    if webhooks.is_cti_token(given, app_settings().cti_token):
        return "cti"
    if request.headers.get("Authorization", "").lower().startswith("basic"):
        raise Unauthorized("the CTI token is not valid", code="invalid_token")
    authenticate()
    require_staff()
    return "agent"


def _verification_response(call: Call, result: service.Verification) -> Any:
    db.session.commit()  # the attempt is recorded whatever the outcome
    if result.verified:
        return jsonify({"verified": True, "call": queries.call_dict(db.session, call)}), 200
    if result.outcome == "locked":
        until = result.locked_until
        seconds = max(1, int((until - utcnow()).total_seconds())) if until else 900
        resp = jsonify(
            {
                "verified": False,
                "attempts_left": 0,
                "locked_until": iso(until),
                "error": {
                    "code": "locked",
                    "message": "too many wrong attempts: PIN checks for this "
                    f"caller are locked until {iso(until)}",
                },
            }
        )
        resp.headers["Retry-After"] = str(seconds)
        return resp, 423
    message = (
        "the client number is not known"
        if result.outcome == "wrong_client_number"
        else "the PIN is not correct"
    )
    return jsonify(
        {
            "verified": False,
            "attempts_left": result.attempts_left,
            "locked_until": iso(result.locked_until),
            "error": {"code": result.outcome, "message": message},
        }
    ), 403


# --- PBX ---------------------------------------------------------------------------------------------


def _parse_event() -> CtiEvent:
    try:
        if request.mimetype == "application/json":
            data = request.get_json(silent=True)
            if data is None:
                raise BadJson("the request body is not valid JSON")
            return webhooks.parse_json_event(data)
        return webhooks.parse_form_event(request.form.to_dict(flat=False))
    except BadEvent as err:
        raise ValidationFailed(str(err), code="bad_event") from None


def _callback_url() -> str:
    """This endpoint's public address for sipgate.io's onAnswer/onHangup, with the Basic credentials it used."""
    public = urlsplit(app_settings().public_url.rstrip("/") + request.full_path.rstrip("?"))
    auth = request.authorization
    netloc = public.netloc
    if auth is not None and auth.type == "basic" and auth.password:
        netloc = f"{quote(auth.username or 'pbx', safe='')}:{quote(auth.password, safe='')}@{netloc}"
    return urlunsplit((public.scheme, netloc, public.path, public.query, ""))


@bp.post("/cti/events")
def cti_events() -> Any:
    """A call event from the PBX (generic JSON or sipgate.io form post); newCall answers who is calling."""
    _pbx()
    event = _parse_event()
    now = utcnow()
    call, _ = service.record_event(db.session, event, now=now, default_region=_region())
    if event.event == "dtmf":
        result = service.verify_caller(
            db.session,
            call,
            pin=event.dtmf,
            client_number=None,
            now=now,
            source="ivr",
            policy=service.pin_policy(db.session),
        )
        return _verification_response(call, result)
    db.session.commit()
    if request.args.get("reply") == "xml":
        url = _callback_url() if event.event == "newCall" else None
        return Response(webhooks.sipgate_response(url), mimetype="application/xml")
    return jsonify({"call": queries.call_dict(db.session, call)})


@bp.get("/phone/lookup")
def phone_lookup() -> Any:
    """Who a number belongs to (any form), and whether their organisation requires a PIN."""
    _pbx()
    number = (request.args.get("number") or "").strip()
    if not number:
        raise ValidationFailed("give the number: /phone/lookup?number=+420777123456")
    found = queries.match_number(db.session, number, called=request.args.get("to"), default_region=_region())
    contacts = queries.contacts_by_id(db.session, [c.contact_id for c in found.candidates])
    return jsonify(
        {
            "number": found.e164,
            "matches": [
                {"contact": contact_dict(c), "organization": organization_dict(c.organization)}
                for c in contacts
            ],
            "pin_required": any(c.organization.pin_set for c in contacts),
        }
    )


@bp.post("/phone/ivr/verify")
def phone_ivr_verify() -> Any:
    """PIN check for an IVR that collected the caller's digits: same limits as the agent's check."""
    _pbx()
    data = body(IvrVerifyIn)
    now = utcnow()
    call = queries.call_by_external_id(db.session, data.call_id, for_update=True)
    if call is None:  # the PBX did not report the call: register it now, so the attempt has a call
        event = CtiEvent(
            event="newCall",
            call_id=data.call_id,
            from_number=data.from_ or "",
            to_number=data.to or "",
            payload={"callId": data.call_id, "from": data.from_, "to": data.to, "via": "ivr"},
        )
        call, _ = service.record_event(db.session, event, now=now, default_region=_region())
    result = service.verify_caller(
        db.session,
        call,
        pin=data.pin,
        client_number=data.client_number,
        now=now,
        source="ivr",
        policy=service.pin_policy(db.session),
    )
    return _verification_response(call, result)


# --- agents --------------------------------------------------------------------------------------------


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise ValidationFailed(f"{name} must be true or false")


def _time_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(f"{name} must be an ISO 8601 time such as 2026-05-01T00:00:00Z") from None
    if value.tzinfo is None:
        raise ValidationFailed(f"{name} needs a time zone (e.g. 2026-05-01T00:00:00Z)")
    return value


def call_filter_from_args() -> queries.CallFilter:
    return queries.CallFilter(
        direction=request.args.get("direction") or None,
        state=request.args.get("state") or None,
        verified=_bool_arg("verified"),
        matched=_bool_arg("matched"),
        organization_id=int_arg("organization"),
        number=request.args.get("number") or None,
        since=_time_arg("since"),
        until=_time_arg("until"),
    )


@bp.get("/calls")
def list_calls() -> Any:
    """The call log, newest first, with filters."""
    require_staff()
    cursor = decode_cursor(request.args.get("cursor"))
    after = cursor.get("id") if cursor else None
    if after is not None and not isinstance(after, int):
        raise ValidationFailed("the cursor is not valid", code="bad_cursor")
    rows, next_id = queries.list_calls(db.session, call_filter_from_args(), after_id=after, limit=limit_arg())
    return jsonify(
        {
            "items": [queries.call_dict(db.session, c) for c in rows],
            "next": encode_cursor({"id": next_id}) if next_id else None,
        }
    )


@bp.get("/calls/<int:call_id>")
def get_call(call_id: int) -> Any:
    """One call: the caller, open tickets, every event and every PIN attempt."""
    require_staff()
    call = queries.get_call(db.session, call_id)
    data = queries.popup_dict(db.session, call)
    data["events"] = [queries.event_dict(e) for e in queries.events_of(db.session, call)]
    data["pin_attempts"] = [queries.attempt_dict(a) for a in queries.attempts_of(db.session, call)]
    return jsonify(data)


@bp.post("/calls/<int:call_id>/verify")
def verify_call(call_id: int) -> Any:
    """Check the PIN the caller states, or client number (+ PIN) from an unknown number."""
    principal = require_staff()
    data = body(VerifyIn)
    call = queries.get_call(db.session, call_id, for_update=True)
    result = service.verify_caller(
        db.session,
        call,
        pin=data.pin,
        client_number=data.client_number,
        now=utcnow(),
        source="agent",
        agent=principal.agent,
        policy=service.pin_policy(db.session),
    )
    return _verification_response(call, result)


@bp.post("/calls/<int:call_id>/ticket")
def call_ticket(call_id: int) -> Any:
    """Open a ticket for the caller (channel phone)."""
    principal = require_staff()
    data = body(CallTicketIn)
    call = queries.get_call(db.session, call_id, for_update=True)
    queue = queue_by_slug(db.session, data.queue) if data.queue else default_queue(db.session)
    ticket = service.open_ticket(
        db.session,
        call,
        agent=principal.agent,
        subject=data.subject,
        text=data.text,
        queue=queue,
        now=utcnow(),
        contact_id=data.contact_id,
        priority=data.priority,
    )
    db.session.commit()
    return jsonify({"ticket": ticket_summary(ticket), "call": queries.call_dict(db.session, call)}), 201


@bp.post("/calls/<int:call_id>/attach")
def call_attach(call_id: int) -> Any:
    """Attach the call to one of the caller's tickets."""
    principal = require_staff()
    data = body(AttachIn)
    call = queries.get_call(db.session, call_id, for_update=True)
    ticket = ticket_queries.get_ticket(db.session, data.ticket, org_scope=None)
    service.attach_ticket(db.session, call, ticket, agent=principal.agent, now=utcnow())
    db.session.commit()
    return jsonify({"ticket": ticket_summary(ticket), "call": queries.call_dict(db.session, call)})


for _endpoint, _model in {
    "api.verify_call": VerifyIn,
    "api.phone_ivr_verify": IvrVerifyIn,
    "api.call_ticket": CallTicketIn,
    "api.call_attach": AttachIn,
}.items():
    documents(_endpoint, _model)
