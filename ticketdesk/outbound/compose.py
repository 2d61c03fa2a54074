"""Build outgoing RFC 5322 messages: Message-ID, threading headers, subject tag, Auto-Submitted,
text and HTML parts. Pure: no Flask, no database."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from datetime import datetime

TAG_RE = re.compile(r"\[(?P<prefix>[A-Za-z0-9]+)#(?P<number>\d+)\]")


@dataclass(frozen=True)
class Outgoing:
    mail_from: str
    to: list[str]
    subject: str
    text: str
    cc: list[str] = field(default_factory=list)
    from_name: str = "Support"
    reply_to: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    auto_submitted: str | None = None  # auto-replied | auto-generated | None for a person's reply
    language: str = "en"
    extra_headers: dict[str, str] = field(default_factory=dict)


def new_message_id(domain: str, hint: str = "td") -> str:
    return f"<{hint}.{uuid.uuid4().hex}@{domain}>"


def tagged_subject(subject: str, prefix: str, number: int | None) -> str:
    subject = " ".join((subject or "").split())
    if number is None:
        return subject
    tag = f"[{prefix}#{number}]"
    if tag in subject:
        return subject
    return f"{tag} {subject}".strip()


def text_to_html(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return f'<!doctype html><html><body style="font-family:sans-serif">{body}</body></html>'


def build(out: Outgoing, *, message_id: str, now: datetime) -> bytes:
    msg = EmailMessage()
    msg["From"] = formataddr((out.from_name, out.mail_from))
    msg["To"] = ", ".join(out.to)
    if out.cc:
        msg["Cc"] = ", ".join(out.cc)
    if out.reply_to:
        msg["Reply-To"] = out.reply_to
    msg["Subject"] = out.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    if out.in_reply_to:
        msg["In-Reply-To"] = out.in_reply_to
    refs = [r for r in dict.fromkeys(out.references) if r]
    if refs:
        msg["References"] = " ".join(refs[-20:])
    if out.auto_submitted:
        msg["Auto-Submitted"] = out.auto_submitted
        msg["X-Auto-Response-Suppress"] = "All"
    msg["Content-Language"] = out.language
    for name, value in out.extra_headers.items():
        msg[name] = value
    msg.set_content(out.text)
    msg.add_alternative(text_to_html(out.text), subtype="html")
    return msg.as_bytes(policy=SMTP)  # CRLF line endings, as SMTP needs
