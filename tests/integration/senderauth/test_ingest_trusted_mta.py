"""Mail handed over by our MTA (``ticketdesk ingest``): the envelope comes from our MTA's Received header,
and an Authentication-Results header is believed only when its authserv-id is configured as trusted
(``TICKETDESK_TRUSTED_AUTHSERV_IDS``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.fixtures.smtpsink import free_port
from tests.integration.senderauth.support import Zone, compose, detached, outbound, signed
from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage
from ticketdesk.intake.service import receive
from ticketdesk.intake.store import Envelope

OUR_MX = "mx.support.test"
ACME_MTA = "192.0.2.44"  # acme's outgoing server, listed in its SPF record
OTHER_IP = "198.51.100.7"


def _received(ip: str, helo: str = "mail.acme.test", by: str = OUR_MX) -> tuple[str, str]:
    return (
        "Received",
        f"from {helo} ({helo} [{ip}]) by {by} (Postfix) with ESMTPS id 4Xk2Lq0Hb; "
        "Fri, 20 Nov 2026 10:00:02 +0000 (UTC)",
    )


def _ingest(app: Flask, raw: bytes, mail_from: str | None = "bounces@acme.test") -> RawMessage:
    outcome = receive(
        app, raw, Envelope(source="ingest", mail_from=mail_from, rcpt_to=("support@support.test",))
    )
    return detached(db.session.get(RawMessage, outcome.raw_id))


@pytest.fixture
def trusting(app: Flask) -> Iterator[None]:
    """TICKETDESK_TRUSTED_AUTHSERV_IDS=mx.support.test for the test."""
    previous = app.extensions["ticketdesk.settings"]
    app.extensions["ticketdesk.settings"] = previous.with_(trusted_authserv_ids=frozenset({OUR_MX}))
    try:
        yield
    finally:
        app.extensions["ticketdesk.settings"] = previous


def test_spf_from_our_mtas_received_header(app: Flask, zone: Zone, jana: Any) -> None:
    zone.spf(f"v=spf1 ip4:{ACME_MTA} -all")
    raw = _ingest(app, compose(headers=[_received(ACME_MTA)]))
    assert raw.disposition == "ticket"
    spf = next(d for d in raw.auth["details"] if d["method"] == "spf")
    assert (spf["result"], spf["ip"], spf["helo"], spf["mail_from"]) == (
        "pass",
        ACME_MTA,
        "mail.acme.test",
        "bounces@acme.test",
    )


def test_return_path_stands_in_for_the_envelope_sender(app: Flask, zone: Zone, jana: Any) -> None:
    zone.spf(f"v=spf1 ip4:{ACME_MTA} -all")
    raw = _ingest(
        app, compose(headers=[("Return-Path", "<bounces@acme.test>"), _received(ACME_MTA)]), mail_from=None
    )
    assert raw.disposition == "ticket" and raw.auth["spf"] == "pass"


def test_a_forged_received_below_ours_does_not_count(app: Flask, zone: Zone, jana: Any) -> None:
    zone.spf(f"v=spf1 ip4:{ACME_MTA} -all")
    forged = compose(
        headers=[_received(OTHER_IP, helo="evil.test"), _received(ACME_MTA, by="mail.acme.test")]
    )
    raw = _ingest(app, forged)
    assert raw.disposition == "held" and raw.auth["spf"] == "fail"
    assert [m.to_addrs for m in outbound("confirm_sender")] == [["jana@acme.test"]]


def test_dkim_is_still_verified_on_ingested_bytes(app: Flask, zone: Zone, jana: Any) -> None:
    zone.dkim()
    raw = _ingest(app, signed(compose()), mail_from=None)  # no Received at all: SPF has nothing to check
    assert raw.disposition == "ticket" and raw.auth["dkim"] == "pass" and raw.auth["spf"] == "none"


def test_authentication_results_of_a_trusted_authserv_id(
    app: Flask, zone: Zone, jana: Any, trusting: None
) -> None:
    """No DNS records at all: the trusted MTA's verdict is what authenticates the message."""
    header = (
        "Authentication-Results",
        f"{OUR_MX}; dkim=pass header.d=acme.test header.s=sel "
        "header.a=rsa-sha256; spf=pass smtp.mailfrom=bounces@acme.test",
    )
    raw = _ingest(app, compose(headers=[header]), mail_from=None)
    assert raw.disposition == "ticket"
    assert (raw.auth["dkim"], raw.auth["spf"], raw.auth["verdict"]) == ("pass", "pass", "authenticated")
    sources = {d["method"]: d["source"] for d in raw.auth["details"] if d["method"] in ("dkim", "spf")}
    assert sources == {"dkim": OUR_MX, "spf": OUR_MX}


def test_authentication_results_of_anyone_else_are_ignored(
    app: Flask, zone: Zone, jana: Any, trusting: None
) -> None:
    forged = (
        "Authentication-Results",
        "mx.evil.test; dkim=pass header.d=acme.test; spf=pass smtp.mailfrom=bounces@acme.test",
    )
    raw = _ingest(app, compose(headers=[forged]), mail_from=None)
    assert raw.disposition == "held" and (raw.auth["dkim"], raw.auth["spf"]) == ("none", "none")


def test_authentication_results_are_ignored_unless_configured(app: Flask, zone: Zone, jana: Any) -> None:
    header = (
        "Authentication-Results",
        f"{OUR_MX}; dkim=pass header.d=acme.test; spf=pass smtp.mailfrom=bounces@acme.test",
    )
    raw = _ingest(app, compose(headers=[header]), mail_from=None)
    assert raw.disposition == "held"


def test_lmtp_from_our_mta_is_checked_by_the_received_header(app: Flask, zone: Zone, jana: Any) -> None:
    """LMTP is spoken by our own MTA: its IP is not the sender's, the Received header it wrote is."""
    import smtplib

    from ticketdesk.intake.server import start_in_thread

    zone.spf(f"v=spf1 ip4:{ACME_MTA} -all")
    port = free_port()
    controller = start_in_thread(app, "127.0.0.1", port, lmtp=True)
    db.session.rollback()
    try:
        with smtplib.LMTP("127.0.0.1", port) as client:
            client.ehlo("mx.support.test")
            assert client.docmd("MAIL FROM:<bounces@acme.test>")[0] == 250
            assert client.docmd("RCPT TO:<support@support.test>")[0] == 250
            code, reply = client.data(compose(headers=[_received(ACME_MTA)]))
    finally:
        controller.stop()
    assert code == 250, reply
    raw = detached(db.session.scalar(select(RawMessage)))
    assert raw.source == "lmtp" and raw.peer_ip == "127.0.0.1"
    assert raw.disposition == "ticket" and raw.auth["spf"] == "pass"
    spf = next(d for d in raw.auth["details"] if d["method"] == "spf")
    assert (spf["ip"], spf["mail_from"]) == (ACME_MTA, "bounces@acme.test")
