"""Agent sign-in plumbing: the Flask-Login user loader, the session keys the API reads, and the limits on
password attempts (per client IP and per e-mail address, so neither one address nor one machine can
guess at speed).

Only failed attempts count against the limits; a correct password is never slowed down by them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request, session
from flask_login import login_user, logout_user

from ticketdesk.accounts.models import Agent
from ticketdesk.extensions import db, login_manager

# Failed attempts allowed before the form answers 429 (Flask-Limiter syntax).
LIMIT_PER_IP = "30 per 10 minutes"
LIMIT_PER_EMAIL = "5 per minute; 20 per hour"
FAILED_STATUS = 401  # the login view answers this on a wrong password; only these are counted


def ip_key() -> str:
    return f"login-ip:{request.remote_addr or 'unknown'}"


def email_key() -> str:
    email = (request.form.get("email") or "").strip().lower()[:320]
    return f"login-email:{email}"


def failed(response: Any) -> bool:
    return bool(getattr(response, "status_code", 0) == FAILED_STATUS)


def load_user(user_id: str) -> Agent | None:
    kind, _, raw = (user_id or "").partition(":")
    if kind != "agent" or not raw.isdigit():
        return None
    agent = db.session.get(Agent, int(raw))
    if agent is None or not agent.active:
        return None
    return agent


def sign_in(agent: Agent) -> None:
    """A fresh session (no fixation) holding the agent for Flask-Login and the JSON API."""
    lang = session.get("lang")
    session.clear()
    g.pop("csrf_token", None)  # the old session's CSRF token must not outlive it
    login_user(agent)
    session["agent_id"] = agent.id
    session.permanent = True
    if lang:
        session["lang"] = lang


def sign_out() -> None:
    logout_user()
    g.pop("csrf_token", None)
    session.pop("agent_id", None)
    session.pop("contact_id", None)


def _fresh_request_state() -> None:
    """Per-request caches start empty (they live on ``g``, which a test's app context would share)."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def register(app: Flask) -> None:
    app.before_request(_fresh_request_state)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # type: ignore[assignment]
    login_manager.session_protection = "basic"
