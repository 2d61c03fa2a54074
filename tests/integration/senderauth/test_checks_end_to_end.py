"""Every inbound message through the real SMTP intake: authenticated mail opens a ticket, the rest is held.

The customer's DNS is served by a local DNS server; keys are made and messages signed in the tests;
SPF sees the real connecting IP (the client connects from 127.0.0.2 or 127.0.0.3).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.fixtures.dkimkeys import ed25519_key, rsa_key
from tests.integration.senderauth.support import (
    CLIENT_IP,
    STRANGER_IP,
    Intake,
    Zone,
    compose,
    hold_of,
    mail_text,
    outbound,
    signed,
)
from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage
from ticketdesk.tickets.models import Message, Ticket


def _tickets() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Ticket)) or 0


def _message_of(raw: RawMessage) -> Message:
    db.session.rollback()
    msg = db.session.scalar(select(Message).where(Message.raw_message_id == raw.id))
    assert msg is not None
    return msg


def _assert_held(raw: RawMessage, *, to: str = "jana@acme.test") -> None:
    """Held: no ticket, no acknowledgement, one confirmation to the registered address."""
    assert raw.disposition == "held" and raw.ticket_id is None, raw.disposition_detail
    assert raw.auth is not None and raw.auth["verdict"] == "held"
    hold = hold_of(raw)
    assert hold is not None and hold.status == "pending"
    assert _tickets() == 0
    assert outbound("ack") == []
    [confirmation] = outbound("confirm_sender")
    assert confirmation.to_addrs == [to]


def test_dkim_pass_aligned_opens_a_ticket(intake: Intake, zone: Zone, jana: Any) -> None:
    zone.dkim()
    raw = intake.send(signed(compose(subject="Web down")), source_ip=STRANGER_IP, helo="relay.elsewhere.test")
    assert raw.disposition == "ticket" and raw.ticket_id
    auth = _message_of(raw).auth
    assert (auth["dkim"], auth["spf"], auth["dmarc"], auth["verdict"]) == (
        "pass",
        "none",
        "none",
        "authenticated",
    )
    assert auth["aligned_by"] == "dkim"
    assert len(outbound("ack")) == 1 and outbound("confirm_sender") == []


def test_ed25519_signature_counts_too(intake: Intake, zone: Zone, jana: Any) -> None:
    key = ed25519_key()
    zone.dkim(key, selector="ed")
    raw = intake.send(signed(compose(), key, selector="ed"), source_ip=STRANGER_IP)
    assert raw.disposition == "ticket"
    assert _message_of(raw).auth["details"][0]["algorithm"] == "ed25519-sha256"


def test_third_party_signature_is_held(intake: Intake, zone: Zone, jana: Any) -> None:
    zone.dkim(domain="newsletter-tool.test")
    raw = intake.send(signed(compose(), domain="newsletter-tool.test"), source_ip=STRANGER_IP)
    _assert_held(raw)
    assert raw.auth["dkim"] == "pass"
    assert (
        raw.auth["details"][0]["domain"] == "newsletter-tool.test" and not raw.auth["details"][0]["aligned"]
    )


def test_spf_pass_aligned_opens_a_ticket(intake: Intake, zone: Zone, jana: Any) -> None:
    zone.spf()
    raw = intake.send(compose(), mail_from="bounces@acme.test", source_ip=CLIENT_IP)
    assert raw.disposition == "ticket"
    auth = _message_of(raw).auth
    assert (auth["dkim"], auth["spf"], auth["verdict"], auth["aligned_by"]) == (
        "none",
        "pass",
        "authenticated",
        "spf",
    )
    spf = next(d for d in auth["details"] if d["method"] == "spf")
    assert (
        spf["ip"] == CLIENT_IP and spf["helo"] == "mail.acme.test" and spf["mail_from"] == "bounces@acme.test"
    )


def test_spf_pass_of_a_subdomain_aligns_relaxed_but_not_strict(intake: Intake, zone: Zone, jana: Any) -> None:
    zone.spf(domain="mail.acme.test")
    relaxed = intake.send(compose(), mail_from="b@mail.acme.test")
    assert relaxed.disposition == "ticket"
    zone.dmarc("v=DMARC1; p=none; aspf=s")
    zone.forget()
    strict = intake.send(compose(), mail_from="b@mail.acme.test")
    assert strict.disposition == "held" and strict.auth["spf"] == "pass" and strict.auth["dmarc"] == "fail"


def test_spf_fail_is_held(intake: Intake, zone: Zone, jana: Any) -> None:
    zone.spf()
    raw = intake.send(compose(), mail_from="bounces@acme.test", source_ip=STRANGER_IP)
    _assert_held(raw)
    assert raw.auth["spf"] == "fail"


def test_no_records_at_all_is_held(intake: Intake, zone: Zone, jana: Any) -> None:
    raw = intake.send(compose())
    _assert_held(raw)
    assert (raw.auth["dkim"], raw.auth["spf"], raw.auth["dmarc"]) == ("none", "none", "none")
    assert not raw.auth["temporary"]


def test_tampered_body_is_held(intake: Intake, zone: Zone, jana: Any) -> None:
    zone.dkim()
    raw = signed(compose(body="Please restart server A.\r\n")).replace(b"server A", b"server B")
    held = intake.send(raw, source_ip=STRANGER_IP)
    _assert_held(held)
    assert held.auth["dkim"] == "fail" and "body hash" in held.auth["details"][0]["reason"]


def test_revoked_key_is_held(intake: Intake, zone: Zone, jana: Any) -> None:
    zone.dkim(revoked=True)
    raw = intake.send(signed(compose()), source_ip=STRANGER_IP)
    _assert_held(raw)
    assert raw.auth["dkim"] == "fail" and "revoked" in raw.auth["details"][0]["reason"]


def test_dmarc_reject_is_held_not_dropped(intake: Intake, zone: Zone, jana: Any) -> None:
    zone.spf()
    zone.dmarc("v=DMARC1; p=reject; rua=mailto:dmarc@acme.test")
    raw = intake.send(compose(subject="Spoofed"), source_ip=STRANGER_IP)
    _assert_held(raw)
    assert (raw.auth["spf"], raw.auth["dmarc"], raw.auth["policy"]) == ("fail", "fail", "reject")
    assert raw.blob_sha256 and raw.subject == "Spoofed"  # kept, visible in the intake log


def test_several_from_headers_are_held(intake: Intake, zone: Zone, jana: Any) -> None:
    """A valid acme signature does not help when the author is ambiguous."""
    zone.dkim()
    zone.spf()
    raw = intake.send(signed(compose(extra_from=["Mallory <mallory@evil.test>"])))
    _assert_held(raw)
    assert raw.auth["dmarc"] == "permerror" and "From headers" in raw.auth["reason"]


def test_reply_from_an_unauthenticated_sender_is_held_not_appended(
    intake: Intake, zone: Zone, jana: Any
) -> None:
    zone.dkim()
    first = intake.send(
        signed(compose(subject="Disk full", message_id="<d1@acme.test>")), source_ip=STRANGER_IP
    )
    assert first.disposition == "ticket"
    number = db.session.get(Ticket, first.ticket_id).number
    reply = compose(
        subject=f"Re: [TD#{number}] Disk full",
        body="Forged follow-up.\r\n",
        headers=[("In-Reply-To", "<d1@acme.test>")],
    )
    held = intake.send(reply, source_ip=STRANGER_IP)  # unsigned, no SPF: not authenticated
    assert held.disposition == "held" and held.ticket_id is None
    hold = hold_of(held)
    assert hold is not None and hold.kind == "reply" and hold.ticket_id == first.ticket_id
    count = db.session.scalar(
        select(func.count()).select_from(Message).where(Message.ticket_id == first.ticket_id)
    )
    assert count == 1
    authentic = intake.send(
        signed(compose(subject=f"Re: [TD#{number}] Disk full", body="Real follow-up.\r\n")),
        source_ip=STRANGER_IP,
    )
    assert authentic.disposition == "reply" and authentic.ticket_id == first.ticket_id


def test_always_confirm_holds_even_authenticated_mail(
    intake: Intake, zone: Zone, make_org: Any, make_contact: Any
) -> None:
    org = make_org(name="Careful Ltd", sender_policy="always_confirm")
    make_contact(org, email="jana@acme.test")
    zone.dkim()
    raw = intake.send(signed(compose()), source_ip=STRANGER_IP)
    _assert_held(raw)
    assert raw.auth["dkim"] == "pass" and raw.auth["authenticated"] is True
    assert "confirm every message" in raw.auth["reason"]
    assert "asks us to confirm every message" in mail_text(outbound("confirm_sender")[0]).replace("\n", " ")


def test_trust_relay_accepts_without_records(
    intake: Intake, zone: Zone, make_org: Any, make_contact: Any
) -> None:
    org = make_org(name="Relayed Ltd", sender_policy="trust_relay")
    make_contact(org, email="jana@acme.test")
    raw = intake.send(compose(), source_ip=STRANGER_IP)
    assert raw.disposition == "ticket"
    assert _message_of(raw).auth["verdict"] == "authenticated"
    assert outbound("confirm_sender") == [] and len(outbound("ack")) == 1


def test_stranger_costs_no_dns_and_no_confirmation(intake: Intake, zone: Zone, jana: Any) -> None:
    zone.server.queries.clear()
    raw = intake.send(compose(frm="eve@elsewhere.test"), mail_from="eve@elsewhere.test")
    assert raw.disposition == "quarantined" and zone.server.queries == []
    assert outbound("confirm_sender") == []


def test_unchanged_rsa_key_cache_serves_the_second_message(intake: Intake, zone: Zone, jana: Any) -> None:
    zone.dkim(rsa_key())
    intake.send(signed(compose()), source_ip=STRANGER_IP)
    before = len([q for q in zone.server.queries if q[0] == "sel._domainkey.acme.test"])
    assert intake.send(signed(compose()), source_ip=STRANGER_IP).disposition == "ticket"
    after = len([q for q in zone.server.queries if q[0] == "sel._domainkey.acme.test"])
    assert before == after == 1


def test_admin_switches_the_policy_through_the_api(
    intake: Intake, zone: Zone, jana: Any, admin_api: Any
) -> None:
    zone.dkim()
    org_id = jana.organization_id
    resp = admin_api.patch(f"/organizations/{org_id}", {"sender_policy": "always_confirm"})
    assert resp.status_code == 200 and resp.get_json()["sender_policy"] == "always_confirm"
    assert intake.send(signed(compose()), source_ip=STRANGER_IP).disposition == "held"
    assert admin_api.patch(f"/organizations/{org_id}", {"sender_policy": "trust_relay"}).status_code == 200
    assert intake.send(compose(), source_ip=STRANGER_IP).disposition == "ticket"
    assert admin_api.patch(f"/organizations/{org_id}", {"sender_policy": "anything"}).status_code == 422
