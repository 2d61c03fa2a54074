from __future__ import annotations

import pytest

from tests.fixtures.dnsserver import LocalDNS
from ticketdesk.ports.dns import DnsPort, DnsTempError
from ticketdesk.senderauth.alignment import is_aligned, organizational_domain
from ticketdesk.senderauth.dmarc import applicable_policy, discover_policy, parse_record


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("example.com", "example.com"),
        ("a.b.example.com", "example.com"),
        ("mail.example.co.uk", "example.co.uk"),
        ("co.uk", "co.uk"),
        ("alice.github.io", "alice.github.io"),  # private-section suffix: each user is their own org
        ("EXAMPLE.COM.", "example.com"),
    ],
)
def test_organizational_domain(domain: str, org: str) -> None:
    assert organizational_domain(domain) == org


@pytest.mark.parametrize(
    ("identifier", "author", "mode", "aligned"),
    [
        ("example.com", "example.com", "s", True),
        ("Example.COM", "example.com.", "s", True),
        ("mail.example.com", "example.com", "r", True),
        ("example.com", "support.example.com", "r", True),
        ("mail.example.com", "example.com", "s", False),
        ("example.com", "support.example.com", "s", False),
        ("example.net", "example.com", "r", False),
        ("evil.co.uk", "example.co.uk", "r", False),
        ("bob.github.io", "alice.github.io", "r", False),
        ("", "example.com", "r", False),
        (None, "example.com", "r", False),
    ],
)
def test_alignment(identifier: str | None, author: str, mode: str, aligned: bool) -> None:
    assert is_aligned(identifier, author, mode) is aligned  # type: ignore[arg-type]


def test_parse_record() -> None:
    policy = parse_record(
        "v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=50; rua=mailto:d@example.com", "example.com"
    )
    assert policy is not None
    assert (policy.p, policy.sp, policy.adkim, policy.aspf, policy.pct) == (
        "reject",
        "quarantine",
        "s",
        "r",
        50,
    )
    loose = parse_record("v=DMARC1;p=NONE;adkim=x", "example.com")
    assert loose is not None and (loose.p, loose.adkim, loose.aspf) == ("none", "r", "r")


def test_invalid_policy_counts_as_none_only_with_rua() -> None:
    with_rua = parse_record("v=DMARC1; p=bogus; rua=mailto:d@example.com", "example.com")
    assert with_rua is not None and with_rua.p == "none"
    assert parse_record("v=DMARC1; p=bogus", "example.com") is None
    assert parse_record("v=DMARC1; rua=mailto:d@example.com", "example.com") is not None
    assert parse_record("p=reject; v=DMARC1", "example.com") is None  # v= must come first
    assert parse_record("v=spf1 -all", "example.com") is None


def test_discovery_falls_back_to_organizational_domain(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine")
    local_dns.add_txt("_dmarc.example.com", "some other text")
    own = discover_policy("example.com", port)
    sub = discover_policy("support.eu.example.com", port)
    assert own is not None and applicable_policy(own, "example.com") == "reject"
    assert sub is not None and sub.record_domain == "example.com"
    assert applicable_policy(sub, "support.eu.example.com") == "quarantine"
    assert discover_policy("example.org", port) is None


def test_subdomain_record_wins(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.add_txt("_dmarc.example.com", "v=DMARC1; p=reject")
    local_dns.add_txt("_dmarc.news.example.com", "v=DMARC1; p=none")
    policy = discover_policy("news.example.com", port)
    assert policy is not None and applicable_policy(policy, "news.example.com") == "none"


def test_several_records_mean_no_policy(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.add_txt("_dmarc.example.com", "v=DMARC1; p=reject")
    local_dns.add_txt("_dmarc.example.com", "v=DMARC1; p=none")
    assert discover_policy("example.com", port) is None


def test_temporary_failure_raises(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.servfail("_dmarc.example.com")
    with pytest.raises(DnsTempError):
        discover_policy("example.com", port)
