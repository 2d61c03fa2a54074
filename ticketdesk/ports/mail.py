"""Outgoing mail transports: SMTP(S)/LMTP by URL, or a local mbox for the embedded default."""

from __future__ import annotations

import mailbox
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit


class TransportError(Exception):
    """The transport could not take the message; ``permanent`` means retrying will not help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class MailTransport(Protocol):
    name: str

    def send(self, mail_from: str, recipients: list[str], raw: bytes) -> None: ...


@dataclass
class SmtpTransport:
    """``smtp://user:pass@host:port`` (STARTTLS when offered), ``smtps://…`` (TLS), ``lmtp://host:port``."""

    url: str
    timeout: float = 20.0
    name: str = "smtp"

    def send(self, mail_from: str, recipients: list[str], raw: bytes) -> None:
        parts = urlsplit(self.url)
        host, scheme = parts.hostname or "127.0.0.1", parts.scheme
        try:
            if scheme == "smtps":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    host, parts.port or 465, timeout=self.timeout, context=ssl.create_default_context()
                )
            elif scheme == "lmtp":
                client = smtplib.LMTP(host, parts.port or 24, timeout=self.timeout)
            else:
                client = smtplib.SMTP(host, parts.port or 25, timeout=self.timeout)
            with client:
                client.ehlo_or_helo_if_needed()
                if scheme == "smtp" and client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if parts.username:
                    client.login(unquote(parts.username), unquote(parts.password or ""))
                refused = client.sendmail(mail_from, recipients, raw)
        except smtplib.SMTPRecipientsRefused as err:
            codes = [code for code, _ in err.recipients.values()]
            raise TransportError(
                f"all recipients refused: {err.recipients}", permanent=all(500 <= c < 600 for c in codes)
            ) from err
        except smtplib.SMTPResponseException as err:
            raise TransportError(
                f"{err.smtp_code} {err.smtp_error!r}", permanent=500 <= err.smtp_code < 600
            ) from err
        except (OSError, smtplib.SMTPException) as err:
            raise TransportError(f"{type(err).__name__}: {err}") from err
        if refused:
            raise TransportError(f"some recipients refused: {refused}", permanent=True)


@dataclass
class MboxTransport:
    """Appends to a local mbox file so a newcomer can read what would have been sent."""

    path: Path
    name: str = "mbox"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def send(self, mail_from: str, recipients: list[str], raw: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        msg = message_from_bytes(raw, policy=policy.compat32)
        msg["X-Ticketdesk-Envelope-To"] = ", ".join(recipients)
        with self._lock:
            box = mailbox.mbox(str(self.path), create=True)
            try:
                box.lock()
                box.add(mailbox.mboxMessage(msg))
                box.flush()
            finally:
                box.unlock()
                box.close()


def transport_from_url(url: str | None, *, mbox_path: Path) -> MailTransport:
    if not url:
        return MboxTransport(mbox_path)
    scheme = urlsplit(url).scheme
    if scheme == "mbox":
        return MboxTransport(Path(urlsplit(url).path or mbox_path))
    if scheme in {"smtp", "smtps", "lmtp"}:
        return SmtpTransport(url)
    raise ValueError(f"unsupported mail URL scheme {scheme!r}")
