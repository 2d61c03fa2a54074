"""Header fields straight from the raw bytes (no re-serialising), and the author (From) domain."""

from __future__ import annotations

import re
from email.policy import default as default_policy

import dns.exception
import dns.name

_LINE = re.compile(rb"\r?\n")
_FIELD = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def split_headers(raw: bytes) -> list[tuple[str, str]]:
    """(name, unfolded value) pairs of the header block, top to bottom.

    Lines that are neither a field nor a continuation (an mbox ``From `` line, garbage) are
    skipped. Values are decoded as UTF-8 with undecodable bytes replaced.
    """
    fields: list[tuple[bytes, list[bytes]]] = []
    for line in _LINE.split(raw):
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            if fields:
                fields[-1][1].append(line)
            continue
        match = _FIELD.match(line)
        if match:
            fields.append((match.group(1), [line[match.end() :]]))
    return [
        (
            name.decode("ascii"),
            " ".join(part.strip() for part in b" ".join(parts).decode("utf-8", "replace").split()),
        )
        for name, parts in fields
    ]


def header_values(headers: list[tuple[str, str]], name: str) -> list[str]:
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


def normalize_domain(domain: str) -> str | None:
    """Lower-case A-label form of a host name, or None when it is not a usable domain."""
    domain = domain.strip().rstrip(".")
    if not domain or domain.startswith("["):
        return None
    try:
        ascii_name = dns.name.from_text(domain + ".").to_text(omit_final_dot=True).lower()
    except (dns.exception.DNSException, UnicodeError, ValueError):
        return None
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return ascii_name


def author_domain(headers: list[tuple[str, str]]) -> tuple[str | None, str]:
    """(From domain, "") or (None, why not): exactly one From field with exactly one address."""
    values = header_values(headers, "From")
    if not values:
        return None, "no From header"
    if len(values) > 1:
        return None, f"{len(values)} From headers"
    try:
        parsed = default_policy.header_factory("From", values[0])
        addresses = parsed.addresses
        defects = parsed.defects
    except Exception as exc:  # noqa: BLE001 - the email package raises assorted errors on hostile input
        return None, f"unparsable From ({type(exc).__name__})"
    if any(type(d).__name__ == "InvalidHeaderDefect" for d in defects):
        return None, "unparsable From"
    if len(addresses) != 1:
        return None, "no address in From" if not addresses else f"{len(addresses)} addresses in From"
    domain = normalize_domain(addresses[0].domain or "")
    if domain is None:
        return None, "From address has no valid domain"
    return domain, ""


def address_domain(address: str) -> str | None:
    """Domain of an envelope address (``<user@host>``, ``user@host`` or a bare domain)."""
    address = address.strip().strip("<>").strip()
    if not address:
        return None
    return normalize_domain(address.rpartition("@")[2])
