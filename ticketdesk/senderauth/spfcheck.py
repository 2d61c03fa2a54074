"""SPF with pyspf, over the DNS port.

pyspf has no resolver argument: every query goes through the module-level ``spf.DNSLookup``.
This module is the one place that replaces it, once, with a dispatcher that answers from the
:class:`~ticketdesk.ports.dns.DnsClient` bound to the current check (a context variable, so
concurrent checks in several threads each use their own port). Outside a check the dispatcher
falls back to pyspf's original lookup, so other users of pyspf are unaffected.
"""

from __future__ import annotations

import contextvars
import ipaddress
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import spf

from ticketdesk.ports.dns import DnsClient, DnsTempError
from ticketdesk.senderauth.headers import address_domain, normalize_domain
from ticketdesk.senderauth.results import NONE, PERMERROR, RESULT_WORDS, TEMPERROR, SpfResult

QUERY_TIME = 20.0  # RFC 7208 4.6.4: at least 20 s for the whole evaluation

_current: contextvars.ContextVar[DnsClient | None] = contextvars.ContextVar("spf_dns_port", default=None)
_install_lock = threading.Lock()
_original_lookup = spf.DNSLookup


def _port_lookup(name: str, qtype: str, strict: Any = True, timeout: Any = None) -> list[tuple[Any, Any]]:
    """pyspf's DNSLookup contract: [((name, type), value), ...]; TempError when DNS failed."""
    port = _current.get()
    if port is None:
        return _original_lookup(name, qtype, strict, timeout)  # type: ignore[no-any-return]
    key = (name, qtype)
    try:
        if qtype == "TXT":
            return [(key, [record]) for record in port.txt(name)]
        if qtype == "A":
            return [(key, address) for address in port.a(name)]
        if qtype == "AAAA":
            return [(key, address) for address in port.aaaa(name)]
        if qtype == "MX":
            return [(key, (preference, exchange)) for preference, exchange in port.mx(name)]
        if qtype == "PTR":
            return [(key, target) for target in port.ptr(name)]
    except DnsTempError as exc:
        raise spf.TempError(f"DNS {exc}") from exc
    return []  # type SPF (99) and anything else: no records


def install() -> None:
    """Point pyspf's DNS at the dispatcher (idempotent)."""
    with _install_lock:
        if spf.DNSLookup is not _port_lookup:
            spf.DNSLookup = _port_lookup


@contextmanager
def _using(port: DnsClient) -> Iterator[None]:
    install()
    token = _current.set(port)
    try:
        yield
    finally:
        _current.reset(token)


def check_spf(
    ip: str | None,
    mail_from: str | None,
    helo: str | None,
    dns: DnsClient,
    *,
    query_time: float = QUERY_TIME,
) -> SpfResult:
    """SPF for the MAIL FROM identity; for an empty MAIL FROM (bounces) the HELO identity, i.e.
    ``postmaster@<helo>`` as RFC 7208 2.4 says."""
    helo = (helo or "").strip() or None
    sender = (mail_from or "").strip().strip("<>").strip()
    envelope = sender
    identity: Literal["mailfrom", "helo"]
    if sender:
        identity = "mailfrom"
        domain = address_domain(sender)
        if "@" not in sender:
            sender = "postmaster@" + sender
    else:
        identity = "helo"
        domain = normalize_domain(helo) if helo else None
        sender = f"postmaster@{helo}" if helo else ""

    def outcome(result: str, reason: str) -> SpfResult:
        return SpfResult(result, domain, identity, ip, helo, envelope, reason)

    if not ip:
        return outcome(NONE, "no client IP address")
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return outcome(PERMERROR, f"bad client IP {ip!r}")
    if domain is None:
        return outcome(NONE, "no usable sender domain")
    try:
        with _using(dns):
            result, explanation = spf.check2(i=ip, s=sender, h=helo or domain, querytime=query_time)
    except DnsTempError as exc:  # defensive: pyspf converts TempError itself
        result, explanation = TEMPERROR, str(exc)
    except Exception as exc:  # noqa: BLE001 - pyspf raises assorted errors on hostile records
        result, explanation = PERMERROR, f"{type(exc).__name__}: {exc}"
    if result not in RESULT_WORDS:
        result = PERMERROR
    return outcome(result, str(explanation))
