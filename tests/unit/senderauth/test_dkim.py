from __future__ import annotations

import time

import pytest
import time_machine

from tests.fixtures.dkimkeys import DkimKey, ed25519_key, rsa_key, sign
from tests.fixtures.dnsserver import LocalDNS
from tests.unit.senderauth.helpers import message
from ticketdesk.ports.dns import DnsPort
from ticketdesk.senderauth.dkimcheck import summarize, verify_dkim
from ticketdesk.senderauth.results import SignatureResult


def publish(
    server: LocalDNS, key: DkimKey, domain: str = "example.com", selector: str = "sel", revoked: bool = False
) -> None:
    server.add_txt(f"{selector}._domainkey.{domain}", key.txt_record(revoked=revoked))


def only(results: list[SignatureResult]) -> SignatureResult:
    assert len(results) == 1
    return results[0]


@pytest.mark.parametrize("make_key", [rsa_key, ed25519_key], ids=["rsa-sha256", "ed25519-sha256"])
def test_valid_signature_passes(local_dns: LocalDNS, port: DnsPort, make_key: object) -> None:
    key = make_key()  # type: ignore[operator]
    publish(local_dns, key)
    result = only(verify_dkim(sign(message(), key, domain="example.com"), port))
    assert (result.result, result.domain, result.selector) == ("pass", "example.com", "sel")
    assert result.algorithm == key.algorithm.decode()


def test_unsigned_message_has_no_results(port: DnsPort) -> None:
    assert verify_dkim(message(), port) == []
    assert summarize([]) == "none"


def test_tampered_body_fails(local_dns: LocalDNS, port: DnsPort) -> None:
    publish(local_dns, rsa_key())
    signed = sign(message(), rsa_key(), domain="example.com")
    result = only(verify_dkim(signed.replace(b"10:00", b"11:00"), port))
    assert result.result == "fail"
    assert "body hash" in result.reason


def test_tampered_signed_header_fails(local_dns: LocalDNS, port: DnsPort) -> None:
    publish(local_dns, rsa_key())
    signed = sign(message(), rsa_key(), domain="example.com")
    assert (
        only(verify_dkim(signed.replace(b"Subject: Server down", b"Subject: Pay now"), port)).result == "fail"
    )


def test_revoked_key_fails(local_dns: LocalDNS, port: DnsPort) -> None:
    publish(local_dns, rsa_key(), revoked=True)
    result = only(verify_dkim(sign(message(), rsa_key(), domain="example.com"), port))
    assert result.result == "fail"
    assert "revoked" in result.reason


def test_missing_key_is_permerror(port: DnsPort) -> None:
    result = only(verify_dkim(sign(message(), rsa_key(), domain="example.com"), port))
    assert result.result == "permerror"
    assert "no key" in result.reason


def test_key_type_must_match_algorithm(local_dns: LocalDNS, port: DnsPort) -> None:
    publish(local_dns, ed25519_key())
    assert only(verify_dkim(sign(message(), rsa_key(), domain="example.com"), port)).result == "permerror"


def test_key_lookup_servfail_is_temperror(local_dns: LocalDNS, port: DnsPort) -> None:
    publish(local_dns, rsa_key())
    local_dns.servfail("sel._domainkey.example.com")
    result = only(verify_dkim(sign(message(), rsa_key(), domain="example.com"), port))
    assert result.result == "temperror"


@pytest.mark.parametrize(
    "header",
    [
        b"DKIM-Signature: this is not a tag list\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel\r\n",  # missing b=, bh=, h=
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=!!!; b=???\r\n",
        b"DKIM-Signature: v=1; a=rsa-md5; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; c=weird/simple; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=subject; bh=AAAA; b=AAAA\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; t=soon; h=from; bh=AAAA; b=AAAA\r\n",
        b"DKIM-Signature: v=1; v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA\r\n",
        b"DKIM-Signature:\r\n",
    ],
)
def test_malformed_signature_is_permerror_not_crash(
    local_dns: LocalDNS, port: DnsPort, header: bytes
) -> None:
    publish(local_dns, rsa_key())
    assert only(verify_dkim(header + message(), port)).result == "permerror"


def test_unparsable_message_is_permerror(port: DnsPort) -> None:
    raw = b"DKIM-Signature: v=1; d=example.com\r\n\x01bad header line\r\n\r\nbody"
    results = verify_dkim(raw, port)
    assert [r.result for r in results] == ["permerror"]


def test_every_signature_is_verified(local_dns: LocalDNS, port: DnsPort) -> None:
    publish(local_dns, rsa_key(), domain="mailer.example.net")
    publish(local_dns, ed25519_key(), domain="example.com")  # published key is not the signing key
    raw = sign(message(), rsa_key(), domain="mailer.example.net")
    raw = sign(raw, ed25519_key(), domain="example.com")
    results = verify_dkim(raw, port)
    assert [(r.domain, r.result) for r in results] == [
        ("example.com", "fail"),
        ("mailer.example.net", "pass"),
    ]
    assert summarize(results) == "pass"


def test_length_limited_signature_with_appended_text_does_not_pass(
    local_dns: LocalDNS, port: DnsPort
) -> None:
    publish(local_dns, rsa_key())
    signed = sign(message(), rsa_key(), domain="example.com", length=True)
    assert only(verify_dkim(signed, port)).result == "pass"  # nothing appended yet
    appended = signed + b"\r\nP.S. Please wire 10 000 EUR to the account below.\r\n"
    result = only(verify_dkim(appended, port))
    assert result.result == "policy"
    assert "l=" in result.reason


def test_rsa_sha1_is_not_accepted(local_dns: LocalDNS, port: DnsPort) -> None:
    key = rsa_key()
    publish(local_dns, key)
    sha1 = DkimKey(b"rsa-sha1", key.private, key.public_b64)
    assert only(verify_dkim(sign(message(), sha1, domain="example.com"), port)).result == "policy"


def test_testing_mode_key_does_not_count(local_dns: LocalDNS, port: DnsPort) -> None:
    local_dns.add_txt("sel._domainkey.example.com", rsa_key().txt_record(extra="t=y; "))
    assert only(verify_dkim(sign(message(), rsa_key(), domain="example.com"), port)).result == "policy"


def test_small_key_is_not_accepted(local_dns: LocalDNS, port: DnsPort) -> None:
    small = rsa_key(512)
    publish(local_dns, small)
    assert only(verify_dkim(sign(message(), small, domain="example.com"), port)).result == "policy"


def test_expiry_follows_the_given_time(local_dns: LocalDNS, port: DnsPort) -> None:
    publish(local_dns, rsa_key())
    signed_at = 1_700_000_000  # long ago: dkimpy's wall-clock check would call this expired
    raw = sign(message(), rsa_key(), domain="example.com", timestamp=signed_at, expires=signed_at + 3600)
    assert only(verify_dkim(raw, port, now=signed_at + 60)).result == "pass"
    late = only(verify_dkim(raw, port, now=signed_at + 7200))
    assert (late.result, late.reason) == ("fail", "signature expired (x=)")
    early = only(verify_dkim(raw, port, now=signed_at - 86400))
    assert early.result == "permerror"  # t= in the future


def test_expiry_without_now_uses_the_clock(local_dns: LocalDNS, port: DnsPort) -> None:
    publish(local_dns, rsa_key())
    start = int(time.time())
    raw = sign(message(), rsa_key(), domain="example.com", timestamp=start, expires=start + 3600)
    assert only(verify_dkim(raw, port)).result == "pass"
    with time_machine.travel(start + 86400, tick=False):
        assert only(verify_dkim(raw, port)).result == "fail"


def test_original_bytes_are_verified(local_dns: LocalDNS, port: DnsPort) -> None:
    """simple/simple canonicalisation breaks on any re-serialisation; bare LF input still works."""
    publish(local_dns, rsa_key())
    raw = message(
        "=?utf-8?q?J=C3=B6rg?=   <jorg@example.com>",
        body="Tabs\tand  double  spaces \r\nand trailing space \r\n",
    )
    signed = sign(raw, rsa_key(), domain="example.com", canonicalize=(b"simple", b"simple"))
    assert only(verify_dkim(signed, port)).result == "pass"
    assert only(verify_dkim(signed.replace(b"\r\n", b"\n"), port)).result == "pass"


def test_signature_count_is_bounded(local_dns: LocalDNS, port: DnsPort) -> None:
    publish(local_dns, rsa_key())
    raw = message()
    for _ in range(12):
        raw = sign(raw, rsa_key(), domain="example.com")
    results = verify_dkim(raw, port)
    assert [r.result for r in results] == ["pass"] * 10 + ["permerror"] * 2
    assert len(local_dns.queries) == 1  # one key look-up, cached
