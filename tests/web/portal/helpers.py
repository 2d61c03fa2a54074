"""Helpers for the portal tests: CSRF tokens from pages, signing in, the mailed links."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from typing import Any

from sqlalchemy import select

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK = re.compile(r"https?://\S+?(/portal/link/[A-Za-z0-9_\-]+(?:\?next=\S+)?)")


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def csrf(client: Any, page: str = "/portal/login") -> str:
    return csrf_from(client.get(page).get_data(as_text=True))


def with_csrf(data: dict[str, Any] | None, token: str) -> dict[str, Any]:
    """``data`` plus the CSRF token, also under the prefix of a prefixed form (``pw-csrf_token``)."""
    data = dict(data or {})
    prefixes = {key.split("-", 1)[0] for key in data if "-" in key and "@" not in key}
    data.update({"csrf_token": token, **{f"{p}-csrf_token": token for p in prefixes}})
    return data


def post(
    client: Any, action: str, data: dict[str, Any] | None = None, *, page: str = "/portal/login", **kw: Any
) -> Any:
    """Post ``data`` to ``action`` with a CSRF token taken from ``page``, as a browser would."""
    return client.post(action, data=with_csrf(data, csrf(client, page)), **kw)


def sign_in(client: Any, contact: Any) -> None:
    """A portal session for ``contact`` (what a redeemed login link leaves in the cookie)."""
    from ticketdesk.portal.service import new_session_data
    from ticketdesk.ports.clock import utcnow

    with client.session_transaction() as session:
        session.clear()
        session.update(new_session_data(contact, utcnow()))


def mails(kind: str | None = None, to: str | None = None) -> list[Any]:
    """Queued outgoing mails (the stored message), oldest first."""
    from ticketdesk.db.blobs import load_blob
    from ticketdesk.extensions import db
    from ticketdesk.outbound.models import OutboundMail

    db.session.expire_all()
    stmt = select(OutboundMail).order_by(OutboundMail.id)
    if kind:
        stmt = stmt.where(OutboundMail.kind == kind)
    rows = [m for m in db.session.scalars(stmt) if to is None or to in (m.to_addrs or [])]
    return [
        message_from_bytes(load_blob(db.session, m.blob_sha256) or b"", policy=policy.default) for m in rows
    ]


def body_of(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def link_in(text: str) -> str:
    """The path of the sign-in link in a mail body."""
    match = LINK.search(text)
    assert match, f"no sign-in link in: {text!r}"
    return match.group(1)


def last_link(to: str) -> str:
    found = mails("portal_login", to)
    assert found, f"no sign-in mail to {to}"
    return link_in(body_of(found[-1]))
