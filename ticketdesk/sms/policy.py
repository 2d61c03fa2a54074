"""Pure sending rules: fitting a text into its segment budget, links that need approval, quiet
hours, the local day, and the operator a number was issued by. No Flask, no database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import carrier

from ticketdesk.sms.text import segments, transliterate_for_gsm, truncate_to_segments

# http(s)://…, www.…, and bare host/path forms such as bit.ly/abc or example.com/x
_LINK = re.compile(
    r"(?i)\b(?:https?://[^\s<>\"']+|www\.[^\s<>\"']+|(?:[a-z0-9-]+\.)+[a-z]{2,24}/[^\s<>\"']*)"
)


def fit_text(text: str, max_segments: int) -> str:
    """The text as it will be sent: unchanged when it fits, else transliterated to GSM-7 (Czech
    diacritics would turn it into UCS-2 with 70 characters a segment), then cut at a word."""
    text = text.strip()
    if segments(text).segments <= max_segments:
        return text
    plain = transliterate_for_gsm(text)
    if segments(plain).segments <= max_segments:
        return plain
    return truncate_to_segments(plain, max_segments)


def link_hosts(text: str) -> list[str]:
    """Host names of the links in ``text`` (lower case, in order, without duplicates)."""
    hosts: list[str] = []
    for match in _LINK.finditer(text):
        raw = match.group(0).rstrip(".,;:!?)]}")
        url = raw if "://" in raw else "http://" + raw
        try:
            host = (urlsplit(url).hostname or "").lower().rstrip(".")
        except ValueError:
            host = ""
        if host and host not in hosts:
            hosts.append(host)
    return hosts


def host_allowed(host: str, allowed: list[str]) -> bool:
    """``host`` equals an allowed host or is a subdomain of one."""
    host = host.lower().rstrip(".")
    for item in allowed:
        item = (item or "").lower().strip().rstrip(".").removeprefix("*.")
        if item and (host == item or host.endswith("." + item)):
            return True
    return False


def unapproved_links(text: str, allowed: list[str]) -> list[str]:
    return [h for h in link_hosts(text) if not host_allowed(h, allowed)]


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock(value: Any) -> time:
    hours, _, minutes = str(value).strip().partition(":")
    return time(int(hours) % 24, int(minutes or 0))


def quiet_until(now: datetime, quiet_hours: dict[str, Any] | None, timezone: str | None) -> datetime | None:
    """When quiet hours end (UTC), or None when ``now`` is outside them.

    ``quiet_hours`` is ``{"start": "22:00", "end": "07:00"}`` in the organisation's local time; a
    window may cross midnight. Equal start and end, or a malformed value, means no quiet hours.
    """
    if not quiet_hours:
        return None
    try:
        start, end = _clock(quiet_hours["start"]), _clock(quiet_hours["end"])
    except (KeyError, ValueError, TypeError):
        return None
    if start == end:
        return None
    zone = _zone(timezone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def local_midnight(now: datetime, timezone: str | None) -> datetime:
    """The start of ``now``'s day in ``timezone``, as UTC."""
    zone = _zone(timezone)
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)


def operator_of(e164: str) -> str | None:
    """The operator that issued the number (from libphonenumber's data; ported numbers keep it)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    name = carrier.name_for_valid_number(number, "en")
    return name[:80] or None
