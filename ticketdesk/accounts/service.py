"""Agents, password hashes (argon2) and API tokens (only their SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketdesk.accounts.models import Agent, ApiToken
from ticketdesk.errors import Conflict, NotFound, ValidationFailed

_hasher = PasswordHasher()
ROLES = ("agent", "admin")


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(hashed: str | None, secret: str) -> bool:
    if not hashed:
        return False
    try:
        return _hasher.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or " " in email or len(email) > 320:
        raise ValidationFailed(f"{email!r} is not an e-mail address")
    return email


def find_agent(session: Session, email: str) -> Agent | None:
    return session.scalar(select(Agent).where(func.lower(Agent.email) == email.strip().lower()))


def create_agent(
    session: Session,
    *,
    email: str,
    name: str,
    password: str | None = None,
    role: str = "agent",
    queues: list | None = None,
) -> Agent:
    email = normalize_email(email)
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}")
    if find_agent(session, email) is not None:
        raise Conflict(f"an agent with {email} exists", code="agent_exists")
    if password is not None and len(password) < 8:
        raise ValidationFailed("the password must have at least 8 characters")
    agent = Agent(
        email=email,
        name=name or email.split("@")[0],
        role=role,
        password_hash=hash_secret(password) if password else None,
    )
    if queues:
        agent.queues = list(queues)
    session.add(agent)
    session.flush()
    return agent


def set_password(agent: Agent, password: str) -> None:
    if len(password) < 8:
        raise ValidationFailed("the password must have at least 8 characters")
    agent.password_hash = hash_secret(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, agent: Agent, *, name: str = "", now: datetime) -> str:
    """Create an API token for ``agent``; the plain token is returned once and never stored."""
    secret = secrets.token_urlsafe(32)
    prefix = secrets.token_hex(4)
    token = f"td_{prefix}_{secret}"
    session.add(
        ApiToken(agent_id=agent.id, name=name, prefix=prefix, token_hash=_token_hash(token), created_at=now)
    )
    session.flush()
    return token


def agent_for_token(session: Session, token: str, *, now: datetime) -> Agent | None:
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or not row.agent.active:
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now  # at most once a minute: no write per request
    return row.agent


def get_agent(session: Session, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} not found")
    return agent
