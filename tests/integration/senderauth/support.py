"""Shared pieces of the sender-authentication end-to-end tests.

A real DNS server on 127.0.0.1 (``LocalDNS``) that the app's DNS port is pointed at, DKIM keys made
in the test, and the real SMTP intake server: a message is sent to it from a chosen loopback address
(127.0.0.2 is the customer's mail server that SPF authorises, 127.0.0.3 is anyone else), so SPF sees
the real connecting IP and HELO.

Fixtures here are re-exported by the conftest files of ``tests/integration/senderauth`` and
``tests/web/senderauth``.
"""

from __future__ import annotations

import re
import smtplib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.fixtures.dkimkeys import DkimKey, rsa_key, sign
from tests.fixtures.dnsserver import LocalDNS
from tests.fixtures.smtpsink import free_port
from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage, SenderHold
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.ports.dns import DnsPort

DOMAIN = "acme.test"
CLIENT_IP = "127.0.0.2"  # acme's outgoing mail server, listed in its SPF record
STRANGER_IP = "127.0.0.3"  # a host nobody authorised
SPF_RECORD = f"v=spf1 ip4:{CLIENT_IP} -all"


def compose(
    frm: str = "Jana Dvořáková <jana@acme.test>",
    subject: str = "Server down",
    body: str = "Hello,\r\nour web server does not answer since 10:00.\r\n",
    *,
    to: str = "support@support.test",
    message_id: str | None = None,
    headers: list[tuple[str, str]] | None = None,
    extra_from: list[str] | None = None,
) -> bytes:
    """A plain-text message as raw CRLF bytes (what a real MTA hands over)."""
    lines = [(name, value) for name, value in headers or []]
    lines += [("From", frm), *[("From", f) for f in extra_from or []], ("To", to), ("Subject", subject)]
    lines += [
        ("Date", "Fri, 20 Nov 2026 10:00:00 +0000"),
        ("Message-ID", message_id or f"<{uuid.uuid4().hex}@{DOMAIN}>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ]
    head = "".join(f"{name}: {value}\r\n" for name, value in lines)
    return (head + "\r\n" + body).encode()


def signed(raw: bytes, key: DkimKey | None = None, *, domain: str = DOMAIN, selector: str = "sel") -> bytes:
    return sign(raw, key or rsa_key(), domain=domain, selector=selector)


@dataclass
class Zone:
    """The customer's DNS as published on the local DNS server."""

    server: LocalDNS
    port: DnsPort

    def forget(self) -> None:
        """Drop what the app's resolver cached (as if the TTLs had run out)."""
        self.port.clear_cache()

    def dkim(
        self,
        key: DkimKey | None = None,
        *,
        domain: str = DOMAIN,
        selector: str = "sel",
        revoked: bool = False,
    ) -> None:
        self.server.add_txt(f"{selector}._domainkey.{domain}", (key or rsa_key()).txt_record(revoked=revoked))

    def spf(self, record: str = SPF_RECORD, *, domain: str = DOMAIN) -> None:
        self.server.add_txt(domain, record)

    def dmarc(self, record: str = "v=DMARC1; p=none", *, domain: str = DOMAIN) -> None:
        self.server.add_txt(f"_dmarc.{domain}", record)


@pytest.fixture
def zone(app: Flask, local_dns: LocalDNS) -> Iterator[Zone]:
    """The app's DNS port pointed at a local DNS server (restored afterwards)."""
    ports = app.extensions["ticketdesk.ports"]
    previous = ports.dns
    ports.dns = DnsPort.from_config(local_dns.servers, 0.5)
    try:
        yield Zone(local_dns, ports.dns)
    finally:
        ports.dns = previous


class Intake:
    """The real SMTP intake server, and a client that connects from a chosen loopback address."""

    def __init__(self, app: Flask) -> None:
        from ticketdesk.intake.server import start_in_thread

        self.port = free_port()
        self.controller = start_in_thread(app, "127.0.0.1", self.port)

    def send(
        self,
        raw: bytes,
        *,
        mail_from: str = "bounces@acme.test",
        rcpt: str = "support@support.test",
        source_ip: str = CLIENT_IP,
        helo: str = "mail.acme.test",
    ) -> RawMessage:
        """Deliver ``raw`` over SMTP; returns the stored intake row once the server has answered."""
        db.session.rollback()  # SQLite writers take the lock at BEGIN: leave none open while the server writes
        with smtplib.SMTP(
            "127.0.0.1", self.port, local_hostname=helo, timeout=30, source_address=(source_ip, 0)
        ) as smtp:
            smtp.ehlo(helo)
            code, reply = smtp.mail(mail_from)
            assert code == 250, reply
            code, reply = smtp.rcpt(rcpt)
            assert code == 250, reply
            code, reply = smtp.data(raw)
        assert code == 250, reply
        found = re.search(rb"intake #(\d+)", reply)
        assert found, reply
        row = detached(db.session.get(RawMessage, int(found.group(1))))
        assert row is not None
        return row

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def intake(app: Flask, zone: Zone) -> Iterator[Intake]:
    server = Intake(app)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def jana(make_org: Any, make_contact: Any) -> Any:
    """A technical contact of an organisation with the default sender policy."""
    org = make_org(name="ACME s.r.o.")
    return make_contact(org, email="jana@acme.test", name="Jana Dvořáková", language="cs")


# reads --------------------------------------------------------------------------------------------
# SQLite runs every transaction as BEGIN IMMEDIATE, so a test that keeps a read open would block the
# intake server's thread and the web requests: these helpers read fresh rows and end the transaction,
# handing back detached rows whose columns stay readable.
def detached(row: Any) -> Any:
    if row is not None:
        db.session.refresh(row)
        db.session.expunge(row)
    db.session.rollback()
    return row


def fresh(row: Any) -> Any:
    db.session.rollback()
    return detached(db.session.get(type(row), row.id))


def hold_of(raw: RawMessage) -> SenderHold | None:
    db.session.rollback()
    return detached(db.session.scalar(select(SenderHold).where(SenderHold.raw_message_id == raw.id)))


def outbound(kind: str | None = None) -> list[OutboundMail]:
    db.session.rollback()
    stmt = select(OutboundMail).order_by(OutboundMail.id)
    if kind is not None:
        stmt = stmt.where(OutboundMail.kind == kind)
    rows = list(db.session.scalars(stmt))
    for row in rows:
        db.session.expunge(row)
    db.session.rollback()
    return rows


def mail_text(mail: OutboundMail) -> str:
    """The plain-text body of a queued outgoing mail (as rendered and stored for sending)."""
    from email import message_from_bytes
    from email import policy as email_policy

    from ticketdesk.db.blobs import load_blob

    data = load_blob(db.session, mail.blob_sha256) or b""
    db.session.rollback()
    parsed = message_from_bytes(data, policy=email_policy.default)
    body = parsed.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return str(body.get_content()) if body is not None else ""


def confirm_path(mail: OutboundMail) -> str:
    """The path of the confirmation link in a queued confirm_sender mail."""
    found = re.search(r"https?://[^/\s]+(/confirm/\S+)", mail_text(mail))
    assert found, mail_text(mail)
    return found.group(1)
