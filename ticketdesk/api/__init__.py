"""The JSON API under /api/v1: token authentication, the error format, cursor pagination."""

from __future__ import annotations

from flask import Blueprint, request

from ticketdesk.extensions import csrf

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # bearer tokens; browser-session writes are CSRF-checked in api.auth

PUBLIC_ENDPOINTS = {
    "api.openapi",
    "api.cti_events",
    "api.phone_lookup",
    "api.phone_ivr_verify",
    "api.sms_status",
    "api.sms_inbound",
    "api.sms_twilio_status",
    "api.sms_twilio_inbound",
}
# Webhooks authenticate themselves (HMAC signature or their own token) and add themselves here.


@bp.before_request
def _authenticate() -> None:
    from ticketdesk.api.auth import authenticate

    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    authenticate()


from ticketdesk.api import announcements, intake, me, openapi, organizations, phone, sms, tickets  # noqa: E402,F401  (routes)
