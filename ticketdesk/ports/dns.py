"""DNS port: one dnspython resolver behind a small interface with a TTL-respecting cache.

Sender authentication (DKIM keys, SPF, DMARC) asks this port and nothing else. Absent data
(NXDOMAIN, no records of that type, a name that cannot exist) is an empty list; a lookup that
could not be completed (timeout, SERVFAIL, no server reachable) raises :class:`DnsTempError`,
so callers can tell "the domain publishes nothing" from "ask again later".
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver
import dns.reversename

DEFAULT_NEGATIVE_TTL = 30.0  # when a negative answer carries no SOA
MAX_TTL = 3600.0  # never trust an answer longer than this, whatever its TTL


class DnsTempError(Exception):
    """A lookup could not be completed (timeout, SERVFAIL, no server reachable); retry later."""

    def __init__(self, name: str, rdtype: str, reason: str) -> None:
        super().__init__(f"{rdtype} {name}: {reason}")
        self.name = name
        self.rdtype = rdtype
        self.reason = reason


class DnsClient(Protocol):
    """What sender authentication needs from DNS."""

    def txt(self, name: str) -> list[bytes]: ...

    def a(self, name: str) -> list[str]: ...

    def aaaa(self, name: str) -> list[str]: ...

    def mx(self, name: str) -> list[tuple[int, str]]: ...

    def ptr(self, name: str) -> list[str]: ...


def parse_server(spec: str) -> tuple[str, int]:
    """Split ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address into (address, port)."""
    spec = spec.strip()
    if not spec:
        raise ValueError("empty DNS server")
    host, port = spec, 53
    if spec.startswith("["):
        end = spec.find("]")
        if end < 0:
            raise ValueError(f"bad DNS server {spec!r}")
        host, rest = spec[1:end], spec[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"bad DNS server {spec!r}")
            port = _port(rest[1:], spec)
    elif spec.count(":") == 1:
        host, port_text = spec.split(":")
        port = _port(port_text, spec)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            host = str(socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0][4][0])
        except OSError as exc:
            raise ValueError(f"DNS server {spec!r}: cannot resolve {host!r} ({exc})") from exc
    return host, port


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"bad port in DNS server {spec!r}")
    return int(text)


def make_resolver(servers: list[str] | None, timeout: float) -> dns.resolver.Resolver:
    """A dnspython resolver for ``host[:port]`` servers; None or [] means the system resolver."""
    if timeout <= 0:
        raise ValueError("DNS timeout must be positive")
    if servers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(host, port) for host, port in map(parse_server, servers)
        ]
    else:
        try:
            resolver = dns.resolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            resolver = dns.resolver.Resolver(configure=False)  # look-ups will raise DnsTempError
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = None  # DnsPort caches
    resolver.use_edns(0, 0, 1232)
    return resolver


_Entry = tuple[float, tuple[Any, ...]]


class DnsPort:
    """Cached look-ups over one resolver. Thread-safe; temporary failures are never cached."""

    def __init__(
        self,
        resolver: dns.resolver.Resolver,
        *,
        clock: Callable[[], float] = time.monotonic,
        negative_ttl: float = DEFAULT_NEGATIVE_TTL,
        max_ttl: float = MAX_TTL,
        max_entries: int = 10_000,
    ) -> None:
        self._resolver = resolver
        self._clock = clock
        self._negative_ttl = negative_ttl
        self._max_ttl = max_ttl
        self._max_entries = max_entries
        self._cache: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.queries = 0  # answers fetched from the network (for tests and the benchmark)

    @classmethod
    def from_config(cls, servers: list[str] | None, timeout: float, **kwargs: Any) -> DnsPort:
        return cls(make_resolver(servers, timeout), **kwargs)

    def txt(self, name: str) -> list[bytes]:
        """TXT records of ``name``, each record's strings joined."""
        return [b"".join(r.strings) for r in self._lookup(name, "TXT")]

    def a(self, name: str) -> list[str]:
        return [r.address for r in self._lookup(name, "A")]

    def aaaa(self, name: str) -> list[str]:
        return [r.address for r in self._lookup(name, "AAAA")]

    def mx(self, name: str) -> list[tuple[int, str]]:
        return [(r.preference, r.exchange.to_text(omit_final_dot=True)) for r in self._lookup(name, "MX")]

    def ptr(self, name: str) -> list[str]:
        """PTR targets of a reverse name, or of an IP address given as such."""
        try:
            name = dns.reversename.from_address(name).to_text()
        except (ValueError, dns.exception.SyntaxError):
            pass
        return [r.target.to_text(omit_final_dot=True) for r in self._lookup(name, "PTR")]

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def _lookup(self, name: str, rdtype: str) -> tuple[Any, ...]:
        try:
            qname = dns.name.from_text(name.strip().rstrip(".") + ".")
        except (dns.exception.DNSException, UnicodeError, ValueError):
            return ()  # a name that cannot exist has no records
        key = (qname.to_text().lower(), rdtype)
        now = self._clock()
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None:
                if entry[0] > now:
                    self._cache.move_to_end(key)
                    return entry[1]
                del self._cache[key]
        records, ttl = self._query(qname, rdtype)
        if ttl > 0:
            with self._lock:
                self._cache[key] = (self._clock() + min(ttl, self._max_ttl), records)
                while len(self._cache) > self._max_entries:
                    self._cache.popitem(last=False)
        return records

    def _query(self, qname: dns.name.Name, rdtype: str) -> tuple[tuple[Any, ...], float]:
        shown = qname.to_text(omit_final_dot=True)
        if not self._resolver.nameservers:
            raise DnsTempError(shown, rdtype, "no DNS servers configured")
        with self._lock:
            self.queries += 1
        try:
            answer = self._resolver.resolve(qname, rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN as exc:
            return (), self._negative_from(exc.responses().values())  # type: ignore[no-untyped-call]
        except dns.resolver.YXDOMAIN:
            return (), self._negative_ttl
        except dns.resolver.NoNameservers as exc:
            raise DnsTempError(shown, rdtype, f"no server answered ({exc})") from exc
        except dns.exception.Timeout as exc:
            raise DnsTempError(shown, rdtype, "timeout") from exc
        except dns.resolver.NoResolverConfiguration as exc:
            raise DnsTempError(shown, rdtype, "no DNS servers configured") from exc
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsTempError(shown, rdtype, f"{type(exc).__name__}: {exc}") from exc
        if answer.rrset is None:
            return (), self._negative_from([answer.response])
        ttl = float(min(rrset.ttl for rrset in answer.response.answer) if answer.response.answer else 0)
        return tuple(answer.rrset), ttl

    def _negative_from(self, responses: Any) -> float:
        """Negative-caching time (RFC 2308): min(SOA TTL, SOA minimum) from the authority section."""
        for response in responses:
            if not isinstance(response, dns.message.Message):
                continue
            for rrset in response.authority:
                if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
                    return float(min(rrset.ttl, rrset[0].minimum))
        return self._negative_ttl
