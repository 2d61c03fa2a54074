"""Mail that came through another MTA: trusted Received headers and Authentication-Results."""

from __future__ import annotations

import pytest

from tests.fixtures.dnsserver import LocalDNS
from tests.unit.senderauth.helpers import message
from ticketdesk.ports.dns import DnsPort
from ticketdesk.senderauth import TrustedMta, check_sender
from ticketdesk.senderauth.arheaders import parse_authentication_results
from ticketdesk.senderauth.headers import split_headers
from ticketdesk.senderauth.received import parse_received, trusted_envelope

OURS = frozenset({"mx.desk.example"})
OUTSIDE_HOP = (
    "Received: from mail.example.com (mail.example.com [192.0.2.44])\r\n"
    "\tby mx.desk.example (Postfix) with ESMTPS id 4QxYz1;\r\n\tTue, 02 Jan 2024 10:00:01 +0000\r\n"
)
INTERNAL_HOP = (
    "Received: from mx.desk.example (mx.desk.example [10.0.0.5])\r\n"
    "\tby imap.desk.example (Dovecot) with LMTP id 77; Tue, 02 Jan 2024 10:00:02 +0000\r\n"
)
FORGED_HOP = (
    "Received: from trusted.example.com (trusted.example.com [192.0.2.45])\r\n"
    "\tby mx.example.com with SMTP id 1; Tue, 02 Jan 2024 09:59:00 +0000\r\n"
)


@pytest.fixture
def zone(local_dns: LocalDNS) -> LocalDNS:
    local_dns.add_txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all")
    return local_dns


def ar(authserv_id: str, body: str) -> str:
    return f"Authentication-Results: {authserv_id};\r\n\t{body}\r\n"


def test_parse_authentication_results() -> None:
    parsed = parse_authentication_results(
        'mx.desk.example 1; dkim=pass (2048-bit key; unprotected) header.d=example.com header.s="sel 1" '
        "header.a=rsa-sha256; spf=fail (sender IP is 198.51.100.9) smtp.mailfrom=b@example.com "
        'smtp.helo=mx.elsewhere; dmarc=fail reason="policy; quarantine" header.from=example.com; x-foo=bar'
    )
    assert parsed is not None
    authserv_id, results = parsed
    assert authserv_id == "mx.desk.example"
    assert [(r.method, r.result) for r in results] == [("dkim", "pass"), ("spf", "fail"), ("dmarc", "fail")]
    assert results[0].props["header.s"] == "sel 1"
    assert results[2].reason == "policy; quarantine"
    assert parse_authentication_results("mx.desk.example; none") == ("mx.desk.example", [])


def test_trusted_authentication_results_supply_spf(zone: LocalDNS, port: DnsPort) -> None:
    raw = message(extra_headers=ar("mx.desk.example", "spf=pass smtp.mailfrom=bounces@example.com"))
    result = check_sender(raw, dns=port, trusted_authserv_ids=OURS)
    assert (result.spf, result.authenticated, result.aligned_by) == ("pass", True, "spf")
    assert result.details[0]["source"] == "mx.desk.example"


def test_trusted_dkim_report_counts(zone: LocalDNS, port: DnsPort) -> None:
    raw = message(
        extra_headers=ar("MX.Desk.Example", "dkim=pass header.d=example.com header.s=sel; spf=none")
    )
    result = check_sender(raw, dns=port, trusted_authserv_ids=OURS)
    assert (result.dkim, result.authenticated, result.aligned_by) == ("pass", True, "dkim")


def test_other_authserv_ids_are_ignored(zone: LocalDNS, port: DnsPort) -> None:
    raw = message(
        extra_headers=ar(
            "mx.attacker.example", "dkim=pass header.d=example.com; spf=pass smtp.mailfrom=example.com"
        )
    )
    result = check_sender(raw, dns=port, trusted_authserv_ids=OURS)
    assert (result.dkim, result.spf, result.authenticated) == ("none", "none", False)
    assert not check_sender(raw, dns=port).authenticated  # nothing trusted at all


def test_only_the_topmost_trusted_header_is_believed(zone: LocalDNS, port: DnsPort) -> None:
    forged = ar("mx.desk.example", "spf=pass smtp.mailfrom=example.com")
    real = ar("mx.desk.example", "spf=fail smtp.mailfrom=bounces@example.com")
    raw = message(extra_headers=real + OUTSIDE_HOP + forged)
    result = check_sender(raw, dns=port, trusted_authserv_ids=OURS)
    assert (result.spf, result.authenticated) == ("fail", False)


def test_local_check_wins_over_reported_spf(zone: LocalDNS, port: DnsPort) -> None:
    raw = message(extra_headers=ar("mx.desk.example", "spf=pass smtp.mailfrom=example.com"))
    result = check_sender(
        raw, dns=port, trusted_authserv_ids=OURS, ip="198.51.100.9", helo="x", mail_from="a@example.com"
    )
    assert result.spf == "fail"


def test_envelope_from_top_received_header(zone: LocalDNS, port: DnsPort) -> None:
    raw = message(extra_headers="Return-Path: <bounces@example.com>\r\n" + OUTSIDE_HOP + FORGED_HOP)
    result = check_sender(raw, dns=port, trusted_mta=TrustedMta(hops=1))
    assert (result.spf, result.authenticated) == ("pass", True)
    spf = result.details[-2]
    assert (spf["ip"], spf["helo"], spf["mail_from"]) == (
        "192.0.2.44",
        "mail.example.com",
        "bounces@example.com",
    )


def test_forged_lower_received_header_is_not_used(zone: LocalDNS, port: DnsPort) -> None:
    hop = OUTSIDE_HOP.replace("192.0.2.44", "198.51.100.9")
    raw = message(extra_headers="Return-Path: <bounces@example.com>\r\n" + hop + FORGED_HOP)
    assert check_sender(raw, dns=port, trusted_mta=TrustedMta(hops=1)).spf == "fail"
    assert (
        check_sender(raw, dns=port, trusted_mta=TrustedMta(hops=2)).spf == "pass"
    )  # misconfigured: trusts the forgery


def test_trusted_hosts_skip_internal_hops(zone: LocalDNS, port: DnsPort) -> None:
    raw = message(
        extra_headers="Return-Path: <bounces@example.com>\r\n" + INTERNAL_HOP + OUTSIDE_HOP + FORGED_HOP
    )
    trusted = TrustedMta(hosts=frozenset({"mx.desk.example", "imap.desk.example"}))
    envelope = trusted_envelope(split_headers(raw), trusted)
    assert envelope is not None and (envelope.ip, envelope.by) == ("192.0.2.44", "mx.desk.example")
    assert check_sender(raw, dns=port, trusted_mta=trusted).authenticated
    stranger = TrustedMta(hosts=frozenset({"mx.other.example"}))
    assert trusted_envelope(split_headers(raw), stranger) is None  # top header not by our MTA
    assert check_sender(raw, dns=port, trusted_mta=stranger).spf == "none"


@pytest.mark.parametrize(
    ("value", "ip", "helo"),
    [
        (
            "from [198.51.100.7] (helo=client.example.org) by mx.desk.example with esmtps (Exim 4.96)"
            " (envelope-from <bob@example.org>) id 1r; Tue, 2 Jan 2024",
            "198.51.100.7",
            "client.example.org",
        ),
        (
            "from helo.example.net (rdns.example.net. [IPv6:2001:db8::5]) by mx.desk.example with ESMTPS id x; Tue",
            "2001:db8::5",
            "helo.example.net",
        ),
        (
            "from unknown (HELO qmail.example) (203.0.113.9) by mx.desk.example with SMTP; 2 Jan 2024",
            "203.0.113.9",
            "qmail.example",
        ),
        (
            "from EUR01.outbound.protection.outlook.com (40.107.13.50) by mx.desk.example (10.0.0.1)"
            " with Microsoft SMTP Server id 15.1; Tue",
            "40.107.13.50",
            "EUR01.outbound.protection.outlook.com",
        ),
    ],
)
def test_received_formats(value: str, ip: str, helo: str) -> None:
    hop = parse_received(value)
    assert (hop.ip, hop.helo, hop.by) == (ip, helo, "mx.desk.example")


def test_exim_envelope_from_beats_return_path() -> None:
    raw = message(
        extra_headers="Return-Path: <other@example.net>\r\nReceived: from [198.51.100.7] (helo=c.example.org)"
        " by mx.desk.example with esmtp (envelope-from <bob@example.org>) id 1; Tue\r\n"
    )
    envelope = trusted_envelope(split_headers(raw), TrustedMta())
    assert envelope is not None and envelope.mail_from == "bob@example.org"
