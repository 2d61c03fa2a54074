"""Build inbound mail as bytes, and push it through the real intake."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from ticketdesk.intake.service import receive
from ticketdesk.intake.store import Envelope


def mail(
    frm: str,
    subject: str = "Server question",
    body: str = "Hello, we have a question.",
    *,
    to: str = "support@support.test",
    cc: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = frm
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@client.test>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def deliver(
    app: Any,
    raw: bytes,
    *,
    to: str = "support@support.test",
    mail_from: str | None = None,
    source: str = "ingest",
) -> Any:
    return receive(app, raw, Envelope(source=source, mail_from=mail_from, rcpt_to=(to,)))
