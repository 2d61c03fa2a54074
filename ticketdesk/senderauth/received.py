"""The SMTP envelope of mail that reached us through another MTA (``ingest`` pipe, IMAP).

Our MTA stamps a Received header naming the connecting client (IP, HELO) when it accepts a
message; everything below it was written by the sender and can be forged. So only the Received
header(s) added by our own MTAs are read:

* ``TrustedMta(hops=N)``: our MTAs add the top N Received headers; the N-th records the
  connection from outside.
* ``TrustedMta(hosts=frozenset({"mx.example.net", ...}))``: walk down from the top while the
  ``by`` host is ours; hops whose client is ours too (or loopback) are internal, the first
  header with an outside client is the one.

MAIL FROM comes from ``envelope-from`` in that header when the MTA writes it (Exim), else from
the topmost Return-Path (written at final delivery).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ticketdesk.senderauth.headers import header_values

_KEYWORDS = ("from", "by", "via", "with", "id", "for")
_BRACKET_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
_BARE_IP = re.compile(r"(?<![\w:.])((?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)(?![\w:.])")
_HELO = re.compile(r"\bhelo[= ]\s*([^\s()\[\];]+)", re.IGNORECASE)
_RDNS = re.compile(r"([A-Za-z0-9][A-Za-z0-9.-]*)\.?\s+\[")
_ENVELOPE_FROM = re.compile(r"envelope-from[= ]\s*<?([^\s<>()]*)>?", re.IGNORECASE)


@dataclass(frozen=True)
class TrustedMta:
    hops: int = 1
    hosts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Received:
    ip: str | None = None
    helo: str | None = None
    rdns: str | None = None
    by: str | None = None
    envelope_from: str | None = None


@dataclass(frozen=True)
class Envelope:
    ip: str | None
    helo: str | None
    mail_from: str | None
    by: str | None


def _segments(text: str) -> list[str]:
    """Top-level words and parenthesised comments (nesting kept inside the comment)."""
    out: list[str] = []
    depth, start = 0, -1
    for i, ch in enumerate(text):
        if ch == "(":
            if depth == 0:
                start = i
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                out.append(text[start : i + 1])
        elif depth == 0 and not ch.isspace():
            if i == 0 or text[i - 1].isspace() or text[i - 1] == ")":
                out.append(ch)
            else:
                out[-1] += ch
    return out


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def parse_received(value: str) -> Received:
    """Client IP, HELO, reverse name, receiving host and envelope sender of one Received value."""
    value = value.rsplit(";", 1)[0] if ";" in value else value
    clauses: dict[str, list[str]] = {}
    current: str | None = None
    for segment in _segments(value):
        if segment.lower() in _KEYWORDS and not segment.startswith("("):
            current = segment.lower()
            clauses.setdefault(current, [])
        elif current is not None:
            clauses[current].append(segment)
    source = clauses.get("from", [])
    text = " ".join(source)
    ip = next((v for m in _BRACKET_IP.finditer(text) if (v := _valid_ip(m.group(1)))), None)
    if ip is None:
        ip = next((v for m in _BARE_IP.finditer(text) if (v := _valid_ip(m.group(1)))), None)
    helo_match = _HELO.search(text)
    helo = helo_match.group(1) if helo_match else None
    if helo is None and source and not source[0].startswith(("[", "(")) and source[0].lower() != "unknown":
        helo = source[0]
    rdns_match = _RDNS.search(" ".join(source[1:]))
    rdns = rdns_match.group(1).rstrip(".") if rdns_match else None
    by = clauses.get("by", [None])[0] if clauses.get("by") else None
    envelope = _ENVELOPE_FROM.search(value)
    return Received(ip, helo, rdns, by, envelope.group(1) if envelope else None)


def _is_ours(name: str | None, hosts: frozenset[str]) -> bool:
    return name is not None and name.lower().rstrip(".") in hosts


def trusted_envelope(headers: list[tuple[str, str]], trusted: TrustedMta) -> Envelope | None:
    """The envelope our MTA saw, or None when the Received chain does not show it."""
    received = header_values(headers, "Received")
    hosts = frozenset(h.lower().rstrip(".") for h in trusted.hosts)
    chosen: Received | None = None
    if hosts:
        for value in received:
            hop = parse_received(value)
            if not _is_ours(hop.by, hosts):
                return None
            loopback = hop.ip is not None and ipaddress.ip_address(hop.ip).is_loopback
            if loopback or _is_ours(hop.helo, hosts) or _is_ours(hop.rdns, hosts) or _is_ours(hop.ip, hosts):
                continue
            chosen = hop
            break
    elif 0 < trusted.hops <= len(received):
        chosen = parse_received(received[trusted.hops - 1])
    if chosen is None or chosen.ip is None:
        return None
    mail_from = chosen.envelope_from
    if mail_from is None:
        return_paths = header_values(headers, "Return-Path")
        if return_paths:
            mail_from = return_paths[0].strip().strip("<>").strip()
    return Envelope(chosen.ip, chosen.helo, mail_from, chosen.by)
