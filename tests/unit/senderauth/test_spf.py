from __future__ import annotations

import threading

import pytest
import spf

from tests.fixtures.dnsserver import LocalDNS
from ticketdesk.ports.dns import DnsPort
from ticketdesk.senderauth import spfcheck
from ticketdesk.senderauth.spfcheck import check_spf


@pytest.fixture
def zone(local_dns: LocalDNS) -> LocalDNS:
    local_dns.add_txt(
        "example.com", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.mailer.example.net -all"
    )
    local_dns.add_txt("_spf.mailer.example.net", "v=spf1 a:out.mailer.example.net mx ~all")
    local_dns.add_a("out.mailer.example.net", "203.0.113.5")
    local_dns.add_mx("_spf.mailer.example.net", 10, "mx.mailer.example.net")
    local_dns.add_a("mx.mailer.example.net", "203.0.113.25")
    local_dns.add_txt("soft.example.org", "v=spf1 ip4:192.0.2.1 ~all")
    local_dns.add_txt("neutral.example.org", "v=spf1 ?all")
    local_dns.add_txt("mail.example.com", "v=spf1 a -all")
    local_dns.add_a("mail.example.com", "192.0.2.77")
    return local_dns


@pytest.mark.parametrize(
    ("ip", "mail_from", "expected"),
    [
        ("192.0.2.44", "alice@example.com", "pass"),  # ip4:
        ("2001:db8::25", "alice@example.com", "pass"),  # ip6:
        ("203.0.113.5", "alice@example.com", "pass"),  # include: -> a:
        ("203.0.113.25", "alice@example.com", "pass"),  # include: -> mx
        ("198.51.100.9", "alice@example.com", "fail"),  # -all
        ("198.51.100.9", "bob@soft.example.org", "softfail"),
        ("198.51.100.9", "bob@neutral.example.org", "neutral"),
        ("198.51.100.9", "carol@no-spf.example.org", "none"),
        ("192.0.2.44", "<alice@example.com>", "pass"),  # angle brackets from the SMTP command
    ],
)
def test_spf_results(zone: LocalDNS, port: DnsPort, ip: str, mail_from: str, expected: str) -> None:
    result = check_spf(ip, mail_from, "client.example", port)
    assert result.result == expected
    assert result.identity == "mailfrom"
    assert result.domain == mail_from.strip("<>").split("@")[1]


def test_empty_mail_from_uses_helo(zone: LocalDNS, port: DnsPort) -> None:
    result = check_spf("192.0.2.77", "", "mail.example.com", port)
    assert (result.result, result.identity, result.domain) == ("pass", "helo", "mail.example.com")
    assert check_spf("198.51.100.1", "<>", "mail.example.com", port).result == "fail"


def test_temporary_dns_failure_is_temperror(zone: LocalDNS, port: DnsPort) -> None:
    zone.servfail("example.com")
    assert check_spf("192.0.2.44", "alice@example.com", "client.example", port).result == "temperror"
    zone.servfail("example.com", on=False)
    zone.servfail("_spf.mailer.example.net")
    assert check_spf("203.0.113.5", "alice@example.com", "client.example", port).result == "temperror"


def test_broken_records_are_permerror(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.add_txt("two.example.org", "v=spf1 -all")
    local_dns.add_txt("two.example.org", "v=spf1 +all")
    local_dns.add_txt("bad.example.org", "v=spf1 ip4:not-an-ip -all")
    assert check_spf("192.0.2.1", "x@two.example.org", "h.example", port).result == "permerror"
    assert check_spf("192.0.2.1", "x@bad.example.org", "h.example", port).result == "permerror"


def test_missing_data(port: DnsPort) -> None:
    assert check_spf(None, "alice@example.com", "h.example", port).result == "none"
    assert check_spf("not-an-ip", "alice@example.com", "h.example", port).result == "permerror"
    assert check_spf("192.0.2.1", "", None, port).result == "none"


def test_pyspf_lookup_is_hooked_once_and_per_check(zone: LocalDNS, local_dns: LocalDNS) -> None:
    """Two checks in two threads with two different ports never see each other's DNS."""
    with LocalDNS() as other:
        other.add_txt("example.com", "v=spf1 -all")
        ports = {
            "a": DnsPort.from_config(local_dns.servers, 1.0),
            "b": DnsPort.from_config(other.servers, 1.0),
        }
        results: dict[str, list[str]] = {"a": [], "b": []}

        def run(name: str) -> None:
            for _ in range(10):
                results[name].append(check_spf("192.0.2.44", "alice@example.com", "h", ports[name]).result)

        threads = [threading.Thread(target=run, args=(n,)) for n in ports]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == {"a": ["pass"] * 10, "b": ["fail"] * 10}
    assert spf.DNSLookup is spfcheck._port_lookup
    spfcheck.install()
    assert spf.DNSLookup is spfcheck._port_lookup
