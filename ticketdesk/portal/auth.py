"""The portal session in the signed Flask cookie: who is signed in, and when it ends.

``session["contact_id"]`` is what the JSON API and Socket.IO read as a contact principal; the portal
adds the sign-in and last-seen times and ends the session after ``IDLE_TIMEOUT`` without a request or
``MAX_SESSION_AGE`` after sign-in (``service.session_expired``).
"""

from __future__ import annotations

from datetime import datetime

from flask import g, session

from ticketdesk.contacts.models import Contact
from ticketdesk.extensions import db
from ticketdesk.portal.service import SESSION_KEYS, may_sign_in, new_session_data, session_expired

_SEEN_EVERY = 60  # seconds: refresh "last seen" (and so the cookie) at most once a minute


def sign_in(contact: Contact, now: datetime) -> None:
    """A fresh session (nothing of an earlier one survives but the chosen language)."""
    lang = session.get("lang")
    session.clear()
    g.pop("csrf_token", None)  # the old session's CSRF token must not outlive it
    session.update(new_session_data(contact, now))
    session.permanent = True
    if lang:
        session["lang"] = lang


def sign_out() -> None:
    for key in SESSION_KEYS:
        session.pop(key, None)
    g.pop("csrf_token", None)


def current_contact(now: datetime) -> Contact | None:
    """The signed-in contact, or None (and the portal keys dropped) when the session has ended or the
    contact was removed meanwhile."""
    contact_id = session.get("contact_id")
    if not contact_id:
        return None
    if session_expired(session, now):
        sign_out()
        return None
    contact = db.session.get(Contact, contact_id) if isinstance(contact_id, int) else None
    if contact is None or not may_sign_in(contact):
        sign_out()
        return None
    if int(now.timestamp()) - int(session["portal_seen_at"]) >= _SEEN_EVERY:
        session["portal_seen_at"] = int(now.timestamp())
    return contact
