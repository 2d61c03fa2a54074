"""Build outgoing RFC 5322 messages: Message-ID, threading headers, subject tag, Auto-Submitted,
text and HTML parts. Pure: no Flask, no database."""

from __future__ import annotations

import html
import random
import re
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr
from typing import Any

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


def _header_text(value: str, name: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8", header_name=name)


_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


class _Policy(Compat32):
    """compat32 with CRLF line endings (as SMTP needs) and a shortcut for the usual header: ASCII on one
    line that fits in 78 characters comes out unchanged, so it skips the Header folding machinery (which
    produces exactly the same line for it, at several times the cost)."""

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= 78
            and "\n" not in value
            and "\r" not in value
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)  # type: ignore[misc]


_POLICY = _Policy(linesep="\r\n")


def build(out: Outgoing, *, message_id: str, now: datetime) -> bytes:
    """The message as bytes (text and HTML alternatives, quoted-printable UTF-8).

    Built with the compat32 MIME classes: about 3x faster than EmailMessage, which matters because every
    new ticket queues an acknowledgement inside the intake transaction.
    """
    msg = MIMEMultipart("alternative")
    msg["From"] = formataddr((out.from_name, out.mail_from), charset="utf-8")
    msg["To"] = ", ".join(out.to)
    if out.cc:
        msg["Cc"] = ", ".join(out.cc)
    if out.reply_to:
        msg["Reply-To"] = out.reply_to
    msg["Subject"] = _header_text(out.subject, "Subject")  # type: ignore[assignment]
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
        msg[name] = _header_text(value, name)  # type: ignore[assignment]
    msg.attach(MIMEText(out.text, "plain", _UTF8_QP))
    msg.attach(MIMEText(text_to_html(out.text), "html", _UTF8_QP))
    # Both parts are quoted-printable, where "==" never occurs, so a boundary of the generator's own form
    # ("=" * 15 + digits + "==") cannot collide: chosen here, the generator skips searching the text for it.
    msg.set_boundary(f"{'=' * 15}{random.randrange(sys.maxsize):019d}==")
    return msg.as_bytes(policy=_POLICY)
