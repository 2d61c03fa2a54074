from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TypedDict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.dkimkeys import ed25519_key, rsa_key, sign
from tests.fixtures.dnsserver import LocalDNS
from tests.unit.senderauth.helpers import message
from ticketdesk.ports.dns import DnsPort
from ticketdesk.senderauth import check_sender


class Envelope(TypedDict):
    ip: str
    helo: str
    mail_from: str


CLIENT: Envelope = {"ip": "192.0.2.44", "helo": "mail.example.com", "mail_from": "bounces@example.com"}
STRANGER: Envelope = {
    "ip": "198.51.100.9",
    "helo": "mx.elsewhere.example",
    "mail_from": "bounces@example.com",
}


@pytest.fixture
def zone(local_dns: LocalDNS) -> LocalDNS:
    local_dns.add_txt("sel._domainkey.example.com", rsa_key().txt_record())
    local_dns.add_txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all")
    return local_dns


def test_dkim_pass_aligned(zone: LocalDNS, port: DnsPort) -> None:
    result = check_sender(sign(message(), rsa_key(), domain="example.com"), dns=port, **STRANGER)
    assert (result.dkim, result.spf, result.dmarc) == ("pass", "fail", "none")
    assert result.authenticated and result.aligned_by == "dkim" and not result.temporary
    assert result.from_domain == "example.com"
    assert result.verdict_word(hold_pending=False) == "authenticated"


def test_third_party_signature_is_not_aligned(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.add_txt("sel._domainkey.newsletter-tool.example", rsa_key().txt_record())
    result = check_sender(sign(message(), rsa_key(), domain="newsletter-tool.example"), dns=port, **STRANGER)
    assert result.dkim == "pass"
    assert not result.authenticated and result.aligned_by is None
    assert result.details[0]["domain"] == "newsletter-tool.example" and result.details[0]["aligned"] is False
    assert result.verdict_word(hold_pending=True) == "held"


def test_spf_pass_aligned(zone: LocalDNS, port: DnsPort) -> None:
    result = check_sender(message(), dns=port, **CLIENT)
    assert (result.dkim, result.spf) == ("none", "pass")
    assert result.authenticated and result.aligned_by == "spf"


def test_spf_pass_for_another_domain_is_not_aligned(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.add_txt("bounces.esp.example", "v=spf1 ip4:203.0.113.0/24 -all")
    result = check_sender(
        message(), dns=port, ip="203.0.113.7", helo="esp", mail_from="b-123@bounces.esp.example"
    )
    assert result.spf == "pass" and not result.authenticated


def test_spf_fail(zone: LocalDNS, port: DnsPort) -> None:
    result = check_sender(message(), dns=port, **STRANGER)
    assert (result.dkim, result.spf, result.authenticated) == ("none", "fail", False)
    assert not result.temporary


def test_no_records_at_all(port: DnsPort) -> None:
    result = check_sender(message(), dns=port, **CLIENT)
    assert (result.dkim, result.spf, result.dmarc) == ("none", "none", "none")
    assert not result.authenticated and not result.temporary


def test_tampered_body_is_not_authenticated(zone: LocalDNS, port: DnsPort) -> None:
    signed = sign(message(), rsa_key(), domain="example.com")
    result = check_sender(signed.replace(b"down", b"up"), dns=port, **STRANGER)
    assert (result.dkim, result.authenticated) == ("fail", False)


def test_revoked_key_is_not_authenticated(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.add_txt("sel._domainkey.example.com", rsa_key().txt_record(revoked=True))
    result = check_sender(sign(message(), rsa_key(), domain="example.com"), dns=port, **STRANGER)
    assert (result.dkim, result.authenticated) == ("fail", False)


def test_ed25519(local_dns: LocalDNS, port: DnsPort) -> None:
    key = ed25519_key()
    local_dns.add_txt("ed._domainkey.example.com", key.txt_record())
    result = check_sender(sign(message(), key, domain="example.com", selector="ed"), dns=port, **STRANGER)
    assert result.authenticated and result.details[0]["algorithm"] == "ed25519-sha256"


def test_length_limit_with_appended_text_is_not_authenticated(zone: LocalDNS, port: DnsPort) -> None:
    signed = sign(message(), rsa_key(), domain="example.com", length=True)
    result = check_sender(signed + b"\r\nClick https://evil.example/pay\r\n", dns=port, **STRANGER)
    assert not result.authenticated and result.dkim == "neutral"
    assert result.details[0]["result"] == "policy" and "l=" in result.details[0]["reason"]


def test_expired_signature_under_time_control(zone: LocalDNS, port: DnsPort) -> None:
    signed_at = int(datetime(2024, 3, 1, 12, 0, tzinfo=UTC).timestamp())
    raw = sign(message(), rsa_key(), domain="example.com", timestamp=signed_at, expires=signed_at + 86400)
    on_time = check_sender(raw, dns=port, now=datetime(2024, 3, 1, 13, 0, tzinfo=UTC), **STRANGER)
    too_late = check_sender(raw, dns=port, now=signed_at + 3 * 86400, **STRANGER)
    assert on_time.authenticated
    assert not too_late.authenticated and too_late.dkim == "fail"


def test_malformed_signature_does_not_crash(zone: LocalDNS, port: DnsPort) -> None:
    raw = b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; b=\r\n" + message()
    result = check_sender(raw, dns=port, **STRANGER)
    assert (result.dkim, result.authenticated) == ("permerror", False)
    good = sign(raw, rsa_key(), domain="example.com")  # a good signature next to a broken one
    assert check_sender(good, dns=port, **STRANGER).authenticated


def test_dns_down_is_temporary_then_passes(zone: LocalDNS, port: DnsPort) -> None:
    raw = sign(message(), rsa_key(), domain="example.com")
    zone.down = True
    result = check_sender(raw, dns=port, **CLIENT)
    assert (result.dkim, result.spf, result.dmarc) == ("temperror", "temperror", "temperror")
    assert not result.authenticated and result.temporary
    zone.down = False
    result = check_sender(raw, dns=port, **CLIENT)  # same port: the failure was not cached
    assert result.authenticated and not result.temporary


def test_unaligned_temperror_is_not_temporary(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.servfail("sel._domainkey.tool.example")
    result = check_sender(sign(message(), rsa_key(), domain="tool.example"), dns=port, **STRANGER)
    assert result.dkim == "temperror" and not result.temporary


def test_dmarc_lookup_failure(zone: LocalDNS, port: DnsPort) -> None:
    zone.servfail("_dmarc.example.com")
    exact = check_sender(sign(message(), rsa_key(), domain="example.com"), dns=port, **STRANGER)
    assert exact.authenticated and exact.dmarc == "temperror"  # strictly aligned: certain anyway
    zone.add_txt("sel._domainkey.example.com", rsa_key().txt_record())
    sub = check_sender(
        sign(message("Bob <bob@support.example.com>"), rsa_key(), domain="example.com"), dns=port, **STRANGER
    )
    assert not sub.authenticated and sub.temporary  # relaxed alignment depends on the unread record


def test_dmarc_reject_is_only_a_verdict(zone: LocalDNS, port: DnsPort) -> None:
    zone.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com")
    result = check_sender(message(), dns=port, **STRANGER)
    assert (result.dmarc, result.policy, result.authenticated) == ("fail", "reject", False)
    assert result.verdict_word(hold_pending=True) == "held"
    passed = check_sender(message(), dns=port, **CLIENT)
    assert (passed.dmarc, passed.policy, passed.authenticated) == ("pass", "reject", True)


@pytest.mark.parametrize(
    "raw",
    [
        message().replace(b"From:", b"From: Eve <eve@example.com>\r\nFrom:", 1),
        message("alice@example.com, eve@evil.example"),
        message("undisclosed-recipients:;"),
        message("alice@example.org)<alice@example.com>"),
        message("Alice <alice>"),
        message().replace(b"From: Alice Example <alice@example.com>\r\n", b""),
    ],
    ids=["two-from-headers", "two-addresses", "group", "unparsable", "no-domain", "no-from"],
)
def test_bad_from_is_permerror(zone: LocalDNS, port: DnsPort, raw: bytes) -> None:
    signed = sign(raw, rsa_key(), domain="example.com", include_headers=[b"from", b"subject"])
    result = check_sender(signed, dns=port, **CLIENT)
    assert (result.dmarc, result.authenticated, result.from_domain) == ("permerror", False, None)
    assert not result.temporary


def test_from_domain_argument(zone: LocalDNS, port: DnsPort) -> None:
    no_from = message().replace(b"From: Alice Example <alice@example.com>\r\n", b"")
    assert check_sender(no_from, from_domain="example.com", dns=port, **CLIENT).authenticated
    mismatch = check_sender(message(), from_domain="example.org", dns=port, **CLIENT)
    assert mismatch.dmarc == "permerror" and not mismatch.authenticated


@pytest.mark.parametrize(
    ("record", "author", "signer", "expected"),
    [
        (None, "support.example.com", "example.com", True),  # no record: relaxed
        ("v=DMARC1; p=none", "support.example.com", "example.com", True),
        ("v=DMARC1; p=none; adkim=s", "support.example.com", "example.com", False),
        ("v=DMARC1; p=none; adkim=s", "example.com", "example.com", True),
        ("v=DMARC1; p=none", "example.com", "mail.example.com", True),
        ("v=DMARC1; p=none; adkim=s", "example.com", "mail.example.com", False),
    ],
)
def test_dkim_relaxed_and_strict_alignment(
    local_dns: LocalDNS, port: DnsPort, record: str | None, author: str, signer: str, expected: bool
) -> None:
    if record:
        local_dns.add_txt("_dmarc.example.com", record)
    local_dns.add_txt(f"sel._domainkey.{signer}", rsa_key().txt_record())
    raw = sign(message(f"Alice <alice@{author}>"), rsa_key(), domain=signer)
    result = check_sender(raw, dns=port, **STRANGER)
    assert result.dkim == "pass"
    assert result.authenticated is expected


@pytest.mark.parametrize(("aspf", "expected"), [("r", True), ("s", False)])
def test_spf_relaxed_and_strict_alignment(
    local_dns: LocalDNS, port: DnsPort, aspf: str, expected: bool
) -> None:
    local_dns.add_txt("_dmarc.example.com", f"v=DMARC1; p=quarantine; aspf={aspf}")
    local_dns.add_txt("bounce.example.com", "v=spf1 ip4:192.0.2.0/24 -all")
    result = check_sender(message(), dns=port, ip="192.0.2.9", helo="mx", mail_from="x@bounce.example.com")
    assert result.spf == "pass" and result.authenticated is expected


def test_to_dict_is_json_ready(zone: LocalDNS, port: DnsPort) -> None:
    result = check_sender(sign(message(), rsa_key(), domain="example.com"), dns=port, **CLIENT)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["authenticated"] is True and data["aligned_by"] == "dkim"
    assert [d["method"] for d in data["details"]] == ["dkim", "spf", "dmarc"]
    assert {data["dkim"], data["spf"], data["dmarc"]} <= {
        "pass",
        "fail",
        "none",
        "neutral",
        "temperror",
        "permerror",
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    junk=st.binary(max_size=400),
    header=st.sampled_from([b"DKIM-Signature: ", b"From: ", b"Authentication-Results: ", b"Received: ", b""]),
)
def test_hostile_input_never_crashes(port: DnsPort, junk: bytes, header: bytes) -> None:
    result = check_sender(
        header + junk, dns=port, trusted_authserv_ids=frozenset({"mx.desk.example"}), **CLIENT
    )
    assert result.dkim in {"none", "permerror", "fail", "temperror", "neutral"}
    json.dumps(result.to_dict())
