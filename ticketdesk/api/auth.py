"""Who is calling the API: an agent by bearer token (or browser session), or a portal contact by session.

Every query below is scoped with ``Principal.org_scope``: None for staff, the contact's organisation
otherwise, so a contact never reaches another organisation's data.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request, session

from ticketdesk.accounts.models import Agent
from ticketdesk.accounts.service import agent_for_token
from ticketdesk.accounts.sessions import session_expired
from ticketdesk.contacts.models import Contact
from ticketdesk.errors import Forbidden, Unauthorized
from ticketdesk.extensions import csrf, db
from ticketdesk.ports.clock import utcnow


@dataclass(frozen=True)
class Principal:
    agent: Agent | None = None
    contact: Contact | None = None
    via_session: bool = False

    @property
    def is_staff(self) -> bool:
        return self.agent is not None

    @property
    def is_admin(self) -> bool:
        return self.agent is not None and self.agent.is_admin

    @property
    def org_scope(self) -> int | None:
        return None if self.agent is not None else (self.contact.organization_id if self.contact else -1)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def session_principal() -> Principal | None:
    agent_id = session.get("agent_id")
    if agent_id:
        agent = db.session.get(Agent, agent_id)
        if agent is not None and agent.active:
            return Principal(agent=agent, via_session=True)
    contact_id = session.get("contact_id")
    if contact_id and not session_expired(session, utcnow()):
        contact = db.session.get(Contact, contact_id)
        if contact is not None and contact.active and contact.technical:
            return Principal(contact=contact, via_session=True)
    return None


def authenticate() -> Principal:
    token = bearer_token()
    if token is not None:
        agent = agent_for_token(db.session, token, now=utcnow())
        if agent is None:
            raise Unauthorized("the API token is not valid", code="invalid_token")
        principal = Principal(agent=agent)
    else:
        found = session_principal()
        if found is None:
            raise Unauthorized("authentication required: send 'Authorization: Bearer <token>'")
        principal = found
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()  # a browser session writing through the API needs the CSRF token header
    g.principal = principal
    return principal


def current_principal() -> Principal:
    return g.principal


def require_staff() -> Principal:
    principal = current_principal()
    if not principal.is_staff:
        raise Forbidden("only agents can do this")
    return principal


def require_admin() -> Principal:
    principal = current_principal()
    if not principal.is_admin:
        raise Forbidden("only admins can do this")
    return principal
