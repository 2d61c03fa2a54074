"""What ties an inbound message to a ticket: Message-IDs, the subject tag, the signed plus address.

Matching tries, in order, ``reference_ids`` against the Message-IDs we sent and received, the signed
``plus_address`` the message was sent to, and the ``[TD#1234]`` subject tag.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ticketdesk.intake.parse import ParsedMail

_MSGID = re.compile(r"<([^<>]{1,900})>")
_BARE_MSGID = re.compile(r"^[^\s<>@]+@[^\s<>@]+$")
_MAC_CHARS = 10  # base32: 50 bits, lower case so that MTAs that fold case do not break it
_PLUS = re.compile(rf"\+t(\d{{1,12}})\.([a-z2-7]{{{_MAC_CHARS}}})@", re.I)
_PREFIX = re.compile(
    r"^\s*(?:"
    r"re|aw|odp|odpověď|vs|sv|fwd?|wg|tr|rv|ynt|antw|doorst|vl|vb|ant|r|res|enc|fs|pd|přep|fw|odg|atb|rif|i"
    r"|vá|továbbítás|回复|回覆|转发|轉寄|答复|返信|転送"
    r")\s*(?:\[\d{1,4}\]|\(\d{1,4}\)|\^\d{1,4}|\*\d{1,4})?\s*[:：]\s*",
    re.I,
)
_TAG_BRACKETS = re.compile(r"^\s*\[(?:fwd?|ext(?:ernal)?|extern|ulkoinen|externí|zewnętrzny)\]\s*", re.I)


def message_ids(value: str) -> list[str]:
    """Message-IDs in a header value, normalised to ``<local@domain>`` (folding whitespace removed).

    Bare ``local@domain`` tokens are accepted when no bracketed id is present (broken clients).
    """
    found = ["<" + "".join(m.group(1).split()) + ">" for m in _MSGID.finditer(value)]
    if not found:
        tokens = (tok.strip(",;") for tok in value.split())
        found = [f"<{tok}>" for tok in tokens if _BARE_MSGID.match(tok)]
    return [i.replace("\x00", "") for i in found if len(i) > 2]


def first_message_id(value: str | None) -> str | None:
    """The first Message-ID in a header value (Message-ID, In-Reply-To), normalised."""
    ids = message_ids(value or "")
    return ids[0] if ids else None


def reference_list(values: list[str], limit: int = 200) -> list[str]:
    """The ids of References header values in order, de-duplicated; past ``limit`` the first (the
    thread's root) and the newest are kept."""
    ids = list(dict.fromkeys(i for value in values for i in message_ids(value)))
    return ids if len(ids) <= limit else ids[:1] + ids[-(limit - 1) :]


def reference_ids(parsed: ParsedMail) -> list[str]:
    """In-Reply-To and References, newest first, without duplicates."""
    ids = ([parsed.in_reply_to] if parsed.in_reply_to else []) + list(reversed(parsed.references))
    return list(dict.fromkeys(ids))


def subject_tag(number: int, prefix: str = "TD") -> str:
    """``[TD#1234]``: the tag our outgoing subjects carry."""
    return f"[{prefix}#{int(number)}]"


def find_ticket_number_in_subject(subject: str, prefix: str = "TD") -> int | None:
    """The ticket number of the first ``[TD#1234]`` tag in a subject (spacing and case tolerated)."""
    m = re.search(rf"\[\s*{re.escape(prefix)}\s*#\s*(\d{{1,12}})\s*\]", subject or "", re.I)
    return int(m.group(1)) if m else None


def _mac(number: int, secret: str | bytes) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    digest = hmac.new(key, f"ticketdesk-plus-address:{int(number)}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:_MAC_CHARS]


def plus_address(local: str, domain: str, number: int, secret: str | bytes) -> str:
    """``support+t1234.<mac>@domain``: a reply address that names its ticket and cannot be forged
    (HMAC-SHA256 of the number, truncated, base32 lower case)."""
    return f"{local}+t{int(number)}.{_mac(number, secret)}@{domain}"


def parse_plus_address(addr: str, secret: str | bytes) -> int | None:
    """The ticket number of a plus address we issued, or None (no plus part, or a wrong MAC)."""
    m = _PLUS.search(addr or "")
    if not m:
        return None
    number = int(m.group(1))
    return number if hmac.compare_digest(_mac(number, secret), m.group(2).lower()) else None


def strip_reply_prefixes(subject: str) -> str:
    """The subject without leading reply/forward prefixes in the languages our clients use
    (``Re:``, ``AW:``, ``Odp:``, ``VS:``, ``SV:``, ``Fwd:``, ``WG:``, ``RE[2]:``, ``[Fwd]`` …)."""
    text = " ".join((subject or "").split())
    while True:
        stripped = _TAG_BRACKETS.sub("", _PREFIX.sub("", text, count=1), count=1)
        if stripped == text:
            return text
        text = stripped
