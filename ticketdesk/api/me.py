"""``GET /api/v1/me``: who the caller is (and, for browser sessions, the CSRF token for writes)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_wtf.csrf import generate_csrf

from ticketdesk.api import bp
from ticketdesk.api.auth import current_principal
from ticketdesk.contacts.serialize import contact_dict
from ticketdesk.tickets.serialize import agent_ref


@bp.get("/me")
def me() -> Any:
    """The authenticated agent or contact."""
    p = current_principal()
    data: dict[str, Any] = {
        "kind": "agent" if p.agent else "contact",
        "agent": None if p.agent is None else {**(agent_ref(p.agent) or {}), "role": p.agent.role},
        "contact": None if p.contact is None else contact_dict(p.contact),
    }
    if p.via_session:
        data["csrf_token"] = generate_csrf()
    return jsonify(data)
