"""DMARC policy discovery (RFC 7489 6.6.3) over the DNS port, and record parsing (pure)."""

from __future__ import annotations

from typing import Literal, cast

from ticketdesk.ports.dns import DnsClient
from ticketdesk.senderauth.alignment import organizational_domain
from ticketdesk.senderauth.results import DmarcPolicy

_POLICIES = ("none", "quarantine", "reject")


def _tags(text: str) -> list[tuple[str, str]]:
    tags = []
    for part in text.split(";"):
        if "=" in part:
            key, _, value = part.partition("=")
            tags.append((key.strip().lower(), value.strip()))
        elif part.strip():
            tags.append((part.strip().lower(), ""))
    return tags


def is_dmarc_record(text: str) -> bool:
    tags = _tags(text)
    return bool(tags) and tags[0][0] == "v" and tags[0][1].upper() == "DMARC1"


def parse_record(text: str, record_domain: str) -> DmarcPolicy | None:
    """A ``v=DMARC1`` record, or None when DMARC must not be applied from it.

    A record without a valid ``p=`` counts as ``p=none`` when it names a report address
    (``rua=``), and is ignored otherwise (RFC 7489 6.6.3 step 6). Unknown or invalid
    ``adkim``/``aspf``/``pct`` values fall back to the defaults (relaxed, 100).
    """
    if not is_dmarc_record(text):
        return None
    tags = dict(reversed(_tags(text)))  # the first occurrence of a tag wins
    p = tags.get("p", "").lower()
    sp: str | None = tags.get("sp", "").lower() or None
    if p not in _POLICIES or (sp is not None and sp not in _POLICIES):
        if "mailto:" not in tags.get("rua", "").lower():
            return None
        p, sp = "none", None
    try:
        pct = min(100, max(0, int(tags.get("pct", "100"))))
    except ValueError:
        pct = 100
    return DmarcPolicy(
        record_domain=record_domain,
        p=p,
        sp=sp,
        adkim=_mode(tags.get("adkim")),
        aspf=_mode(tags.get("aspf")),
        pct=pct,
        record=text.strip(),
    )


def _mode(value: str | None) -> Literal["r", "s"]:
    value = (value or "r").strip().lower()
    return cast(Literal["r", "s"], value if value in ("r", "s") else "r")


def _lookup(domain: str, dns: DnsClient) -> tuple[bool, DmarcPolicy | None]:
    """(found a DMARC record set, the policy or None); raises DnsTempError."""
    texts = [raw.decode("utf-8", "replace") for raw in dns.txt("_dmarc." + domain)]
    records = [text for text in texts if is_dmarc_record(text)]
    if not records:
        return False, None
    if len(records) > 1:
        return True, None  # several DMARC records: no DMARC processing (RFC 7489 6.6.3)
    return True, parse_record(records[0], domain)


def discover_policy(from_domain: str, dns: DnsClient) -> DmarcPolicy | None:
    """The DMARC policy for ``from_domain``: its own record, else its organisational domain's.

    Raises :class:`~ticketdesk.ports.dns.DnsTempError` when a lookup could not be completed.
    """
    found, policy = _lookup(from_domain, dns)
    if found:
        return policy
    org = organizational_domain(from_domain)
    if org != from_domain:
        return _lookup(org, dns)[1]
    return None


def applicable_policy(policy: DmarcPolicy, from_domain: str) -> str:
    """``p`` for the domain that published it, ``sp`` (else ``p``) for its subdomains."""
    if policy.record_domain == from_domain:
        return policy.p
    return policy.sp or policy.p
