"""Portal sign-in: one-time login links, the optional password, and how long a portal session lives.

Who may sign in: an *active technical* contact of an *active* organisation, found by one of its
registered e-mail addresses. Everything here answers the same way for an unknown address and a known
one (the view shows one page either way), so the portal never reveals which addresses are registered.

Login links: a random secret mailed once; only its SHA-256 is stored (``LoginLink.token_hash``). A link
is single use (redeemed by one guarded UPDATE, so two racing clicks cannot both sign in), expires after
``LINK_TTL``, and signing in retires the contact's other outstanding links. At most
``LINKS_PER_WINDOW`` links are mailed to one contact per ``LINK_WINDOW`` (more requests are silently
dropped; the per-IP limit is the view's Flask-Limiter rule).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import quote

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ticketdesk.accounts.models import LoginLink
from ticketdesk.accounts.service import hash_secret, normalize_email, verify_secret
from ticketdesk.accounts.sessions import (  # noqa: F401  (the portal's session rules live there)
    IDLE_TIMEOUT,
    MAX_SESSION_AGE,
    new_session_data,
    session_expired,
)
from ticketdesk.contacts.models import Contact
from ticketdesk.contacts.service import find_contact_by_email
from ticketdesk.errors import ValidationFailed
from ticketdesk.outbound.service import queue_template

log = logging.getLogger(__name__)

PURPOSE = "portal"
LINK_TTL = timedelta(minutes=30)
LINK_WINDOW = timedelta(minutes=15)
LINKS_PER_WINDOW = 3
PASSWORD_MIN_LENGTH = 10
SESSION_KEYS = ("contact_id", "portal_login_at", "portal_seen_at")


def may_sign_in(contact: Contact | None) -> bool:
    """Only an active technical contact of an active organisation uses the portal."""
    return bool(contact is not None and contact.active and contact.technical and contact.organization.active)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _plausible(token: str) -> bool:
    return bool(token) and len(token) <= 200


def safe_next(target: str | None) -> str | None:
    """A local portal path to continue to after sign-in (no open redirect), else None."""
    if not target or not target.startswith("/portal/") or "//" in target or "\\" in target:
        return None
    if any(ord(c) < 33 for c in target):
        return None
    return target


def _contact_for_address(session: Session, email: str) -> tuple[str, Contact] | None:
    try:
        address = normalize_email(email)
    except ValidationFailed:
        return None
    contact = find_contact_by_email(session, address)
    return (address, contact) if contact is not None and may_sign_in(contact) else None


def contact_language(contact: Contact) -> str | None:
    return contact.language or contact.organization.language


def request_login_link(
    session: Session, email: str, *, now: datetime, public_url: str, next_path: str | None = None
) -> LoginLink | None:
    """Mail a one-time link to ``email`` if it belongs to a contact who may sign in; None otherwise.

    The caller answers the same page whatever this returns.
    """
    found = _contact_for_address(session, email)
    if found is None:
        return None
    address, contact = found
    recent = (
        session.scalar(
            select(func.count(LoginLink.id)).where(
                LoginLink.contact_id == contact.id,
                LoginLink.purpose == PURPOSE,
                LoginLink.created_at > now - LINK_WINDOW,
            )
        )
        or 0
    )
    if recent >= LINKS_PER_WINDOW:
        log.info("portal: link request for contact %s throttled", contact.id)
        return None
    token = secrets.token_urlsafe(32)
    link = LoginLink(
        contact_id=contact.id,
        purpose=PURPOSE,
        token_hash=token_hash(token),
        expires_at=now + LINK_TTL,
        created_at=now,
    )
    session.add(link)
    session.flush()
    url = f"{public_url.rstrip('/')}/portal/link/{token}"
    target = safe_next(next_path)
    if target and target != "/portal/tickets":
        url += f"?next={quote(target, safe='/')}"
    queue_template(
        session,
        kind="portal_login",
        to=[address],
        language=contact_language(contact),
        now=now,
        name=contact.name,
        organization=contact.organization.name,
        url=url,
        minutes=int(LINK_TTL.total_seconds() // 60),
    )
    return link


def _usable(session: Session, token: str, now: datetime) -> LoginLink | None:
    if not _plausible(token):
        return None
    link = session.scalar(
        select(LoginLink).where(LoginLink.token_hash == token_hash(token), LoginLink.purpose == PURPOSE)
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link


def peek_link(session: Session, token: str, *, now: datetime) -> Contact | None:
    """The contact a still-valid link signs in (without using it up), else None."""
    link = _usable(session, token, now)
    contact = session.get(Contact, link.contact_id) if link is not None else None
    return contact if may_sign_in(contact) else None


def redeem_link(session: Session, token: str, *, now: datetime) -> Contact | None:
    """Use a link once: the contact it signs in, or None (unknown, used, expired or contact removed)."""
    if not _plausible(token):
        return None
    digest = token_hash(token)
    result = session.execute(
        update(LoginLink)
        .where(
            LoginLink.token_hash == digest,
            LoginLink.purpose == PURPOSE,
            LoginLink.used_at.is_(None),
            LoginLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    contact_id = session.scalar(select(LoginLink.contact_id).where(LoginLink.token_hash == digest))
    contact = session.get(Contact, contact_id) if contact_id is not None else None
    if not may_sign_in(contact):
        return None
    session.execute(  # one sign-in retires every other link still in the mail
        update(LoginLink)
        .where(LoginLink.contact_id == contact_id, LoginLink.purpose == PURPOSE, LoginLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return contact


def purge_links(session: Session, *, now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Delete portal links that expired more than ``keep`` ago (used or not); returns how many."""
    result = session.execute(
        delete(LoginLink)
        .where(LoginLink.purpose == PURPOSE, LoginLink.expires_at < now - keep)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@cache
def _dummy_hash() -> str:
    return hash_secret("ticketdesk-portal-dummy-password")


def password_sign_in(session: Session, email: str, password: str) -> Contact | None:
    """The contact if ``password`` is theirs (unknown addresses cost the same argon2 check)."""
    found = _contact_for_address(session, email)
    hashed = found[1].portal_password_hash if found else None
    ok = verify_secret(hashed or _dummy_hash(), password or "")
    return found[1] if found and hashed and ok else None


def set_portal_password(contact: Contact, password: str | None) -> None:
    """Set (or with None/empty, remove) the contact's optional portal password."""
    if not password:
        contact.portal_password_hash = None
        return
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValidationFailed(f"the password must have at least {PASSWORD_MIN_LENGTH} characters")
    contact.portal_password_hash = hash_secret(password)


# --- the portal session (a signed Flask cookie) ------------------------------------------------------
