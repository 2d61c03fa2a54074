"""Rule 13: a reply that needs the client's action sends the e-mail and an SMS at the same time, to the
requester or to every technical contact, as the agent chooses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ticketdesk.extensions import db
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.sms.models import SmsNotification


def test_reply_requiring_action_sends_mail_and_sms(
    api: Any, make_org: Any, make_contact: Any, make_ticket: Any
) -> None:
    org = make_org(default_region="CZ")
    jana = make_contact(org, email="jana@acme.test", phones=["+420 601 123 456"])
    make_contact(org, email="tomas@acme.test", phones=["+420 602 234 567"])
    ticket = make_ticket(jana)
    resp = api.post(
        f"/tickets/{ticket.number}/messages",
        {"kind": "reply", "text": "Please approve the reboot.", "requires_action": True},
    )
    assert resp.status_code == 201
    sms = db.session.scalars(select(SmsNotification).where(SmsNotification.ticket_id == ticket.id)).all()
    assert [s.to_e164 for s in sms] == ["+420601123456"]
    mails = db.session.scalars(select(OutboundMail).where(OutboundMail.kind == "reply")).all()
    assert mails and "jana@acme.test" in mails[0].to_addrs
    listed = api.get(f"/sms?ticket={ticket.number}").get_json()["items"]
    assert listed[0]["to"] == "+420601123456" and listed[0]["history"]

    resp = api.post(
        f"/tickets/{ticket.number}/messages",
        {
            "kind": "reply",
            "text": "Everyone: approve please.",
            "requires_action": True,
            "sms_recipients": "technical",
        },
    )
    assert resp.status_code == 201
    numbers = sorted(
        s.to_e164
        for s in db.session.scalars(select(SmsNotification).where(SmsNotification.ticket_id == ticket.id))
    )
    assert numbers == ["+420601123456", "+420601123456", "+420602234567"]
    assert (
        api.post(
            f"/tickets/{ticket.number}/messages",
            {"kind": "reply", "text": "x", "requires_action": True, "sms_recipients": "all"},
        ).status_code
        == 422
    )
