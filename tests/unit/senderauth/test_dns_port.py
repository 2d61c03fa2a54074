from __future__ import annotations

import threading

import dns.resolver
import pytest

from tests.fixtures.dnsserver import LocalDNS
from ticketdesk.ports.dns import DnsPort, DnsTempError, make_resolver, parse_server


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_record_types(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.add_txt("example.com", "v=spf1 -all")
    local_dns.add_txt("example.com", "other")
    local_dns.add_a("mail.example.com", "192.0.2.10")
    local_dns.add_aaaa("mail.example.com", "2001:db8::10")
    local_dns.add_mx("example.com", 20, "backup.example.com")
    local_dns.add_mx("example.com", 10, "mail.example.com")
    local_dns.add_ptr("10.2.0.192.in-addr.arpa", "mail.example.com")
    local_dns.add_cname("www.example.com", "mail.example.com")

    assert sorted(port.txt("example.com")) == [b"other", b"v=spf1 -all"]
    assert port.a("mail.example.com") == ["192.0.2.10"]
    assert port.aaaa("mail.example.com") == ["2001:db8::10"]
    assert sorted(port.mx("example.com")) == [(10, "mail.example.com"), (20, "backup.example.com")]
    assert port.ptr("192.0.2.10") == ["mail.example.com"]
    assert port.ptr("10.2.0.192.in-addr.arpa") == ["mail.example.com"]
    assert port.a("www.example.com") == ["192.0.2.10"]


def test_long_txt_is_joined_and_big_answers_use_tcp(local_dns: LocalDNS, port: DnsPort) -> None:
    value = "p=" + "A" * 1400
    local_dns.add_txt("sel._domainkey.example.com", value)
    assert port.txt("sel._domainkey.example.com") == [value.encode()]
    assert ("sel._domainkey.example.com", "TXT", "tcp") in local_dns.queries


def test_absent_data_is_empty(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.add_a("example.com", "192.0.2.1")
    assert port.txt("example.com") == []  # NOERROR, no TXT
    assert port.txt("nothing.example.org") == []  # NXDOMAIN
    assert port.a("bad..name") == []  # cannot exist
    assert port.a("x" * 70 + ".example.com") == []


def test_positive_cache_respects_ttl(local_dns: LocalDNS) -> None:
    clock = FakeClock()
    port = DnsPort.from_config(local_dns.servers, timeout=0.4, clock=clock)
    local_dns.add_txt("example.com", "v=spf1 -all", ttl=100)
    assert port.txt("example.com") == [b"v=spf1 -all"]
    local_dns.remove("example.com")
    local_dns.add_txt("example.com", "v=spf1 +all", ttl=100)
    clock.now += 99
    assert port.txt("EXAMPLE.com.") == [b"v=spf1 -all"]  # cached, case and dot insensitive
    assert port.queries == 1
    clock.now += 2
    assert port.txt("example.com") == [b"v=spf1 +all"]
    assert port.queries == 2


def test_negative_answers_cached_for_soa_minimum(local_dns: LocalDNS) -> None:
    clock = FakeClock()
    local_dns.negative_ttl = 5
    port = DnsPort.from_config(local_dns.servers, timeout=0.4, clock=clock)
    assert port.txt("_dmarc.example.com") == []
    local_dns.add_txt("_dmarc.example.com", "v=DMARC1; p=none")
    clock.now += 4
    assert port.txt("_dmarc.example.com") == []
    clock.now += 2
    assert port.txt("_dmarc.example.com") == [b"v=DMARC1; p=none"]


def test_max_ttl_caps_long_ttls(local_dns: LocalDNS) -> None:
    clock = FakeClock()
    port = DnsPort.from_config(local_dns.servers, timeout=0.4, clock=clock, max_ttl=10)
    local_dns.add_a("example.com", "192.0.2.1", ttl=86400)
    port.a("example.com")
    clock.now += 11
    port.a("example.com")
    assert port.queries == 2


def test_servfail_and_down_are_temporary_and_not_cached(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.add_txt("example.com", "v=spf1 -all")
    local_dns.servfail("example.com")
    with pytest.raises(DnsTempError) as info:
        port.txt("example.com")
    assert info.value.rdtype == "TXT"
    local_dns.servfail("example.com", on=False)
    local_dns.down = True
    with pytest.raises(DnsTempError, match="timeout"):
        port.txt("example.com")
    local_dns.down = False
    assert port.txt("example.com") == [b"v=spf1 -all"]


def test_no_server_listening_is_temporary() -> None:
    with LocalDNS() as server:
        servers = server.servers
    port = DnsPort.from_config(servers, timeout=0.3)
    with pytest.raises(DnsTempError):
        port.a("example.com")


def test_concurrent_lookups_share_one_cache(local_dns: LocalDNS) -> None:
    port = DnsPort.from_config(local_dns.servers, timeout=2.0)
    for i in range(20):
        local_dns.add_a(f"h{i}.example.com", f"192.0.2.{i}")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                for i in range(20):
                    assert port.a(f"h{i}.example.com") == [f"192.0.2.{i}"]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert port.queries <= 20 * 8  # at most one network query per name per thread race
    before = port.queries
    port.a("h1.example.com")
    assert port.queries == before


def test_parse_server() -> None:
    assert parse_server("127.0.0.1") == ("127.0.0.1", 53)
    assert parse_server("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_server("[::1]:5353") == ("::1", 5353)
    assert parse_server("::1") == ("::1", 53)
    for bad in ("", "127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1:x", "[::1", "[::1]x"):
        with pytest.raises(ValueError):
            parse_server(bad)


def test_make_resolver() -> None:
    resolver = make_resolver(["127.0.0.1:5353", "[::1]:53"], timeout=1.5)
    assert [(n.address, n.port) for n in resolver.nameservers] == [("127.0.0.1", 5353), ("::1", 53)]  # type: ignore[union-attr]
    assert resolver.lifetime == 1.5
    with pytest.raises(ValueError):
        make_resolver(["127.0.0.1"], timeout=0)
    assert make_resolver(None, timeout=2.0).lifetime == 2.0  # system resolver, never fails to build


def test_no_configured_servers_is_temporary() -> None:
    port = DnsPort(dns.resolver.Resolver(configure=False))
    with pytest.raises(DnsTempError, match="no DNS servers"):
        port.txt("example.com")
