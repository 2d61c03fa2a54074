"""The intake pipeline end to end: who may write, threading, CC, answers, loops, durability."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage
from ticketdesk.jobs.runner import run_once
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.ports.clock import utcnow
from ticketdesk.tickets.models import Message, Ticket

from .helpers import deliver, mail


@pytest.fixture
def trusted(make_org: Any, make_contact: Any) -> Any:
    """A technical contact of an organisation that trusts our relay (no DKIM/SPF work in these tests)."""
    org = make_org(name="ACME", sender_policy="trust_relay")
    return make_contact(org, email="jana@acme.test", name="Jana Dvořáková")


def _ticket(number: int) -> Ticket:
    db.session.expire_all()
    return db.session.scalar(select(Ticket).where(Ticket.number == number))


def _outbound(kind: str) -> list[OutboundMail]:
    return list(db.session.scalars(select(OutboundMail).where(OutboundMail.kind == kind)))


def test_technical_contact_opens_a_ticket_and_gets_an_ack(app: Any, trusted: Any, smtp_sink: Any) -> None:
    raw = mail("Jana <JANA@acme.test>", "Web down", "Our website does not load.", message_id="<m1@acme.test>")
    outcome = deliver(app, raw)
    assert outcome.disposition == "ticket" and outcome.ticket_number
    ticket = _ticket(outcome.ticket_number)
    assert ticket.requester_id == trusted.id and ticket.queue.slug == "support" and ticket.channel == "email"
    run_once(app)
    [ack] = smtp_sink.wait_for(1)
    assert ack.rcpt_tos == ["jana@acme.test"]
    assert f"[TD#{ticket.number}]" in ack.message["Subject"]
    assert ack.message["Auto-Submitted"] == "auto-replied" and ack.message["In-Reply-To"] == "<m1@acme.test>"
    assert f"#{ticket.number}" in ack.text and "Expected first response" in ack.text


def test_queue_follows_the_support_address(app: Any, trusted: Any) -> None:
    outcome = deliver(app, mail("jana@acme.test", to="datacenter@support.test"), to="datacenter@support.test")
    assert _ticket(outcome.ticket_number).queue.slug == "datacenter"


def test_stranger_is_quarantined_and_answered_once_a_day(app: Any, trusted: Any) -> None:
    first = deliver(app, mail("eve@elsewhere.test", "Hi"))
    second = deliver(app, mail("EVE@elsewhere.test", "Hi again"))
    assert first.disposition == second.disposition == "quarantined"
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    answers = _outbound("not_contact")
    assert len(answers) == 1 and answers[0].to_addrs == ["eve@elsewhere.test"]


def test_non_technical_contact_cannot_open_tickets(app: Any, make_contact: Any, trusted: Any) -> None:
    make_contact(trusted.organization, email="billing@acme.test", technical=False)
    assert deliver(app, mail("billing@acme.test")).disposition == "quarantined"


def test_removed_contact_cannot_write_into_open_tickets(app: Any, trusted: Any) -> None:
    from ticketdesk.contacts.service import deactivate

    number = deliver(app, mail("jana@acme.test", message_id="<open1@acme.test>")).ticket_number
    deactivate(trusted, now=utcnow())
    db.session.commit()
    reply = mail(
        "jana@acme.test", f"Re: [TD#{number}] Server question", "more", in_reply_to="<open1@acme.test>"
    )
    assert deliver(app, reply).disposition == "quarantined"
    assert (
        db.session.scalar(
            select(func.count()).select_from(Message).where(Message.ticket_id == _ticket(number).id)
        )
        == 1
    )


def test_duplicate_delivery_is_one_message(app: Any, trusted: Any) -> None:
    raw = mail("jana@acme.test", message_id="<same@acme.test>")
    first, again = deliver(app, raw), deliver(app, raw)
    assert first.disposition == "ticket" and again.disposition == "duplicate"
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    dispositions = db.session.scalars(select(RawMessage.disposition).order_by(RawMessage.id)).all()
    assert dispositions == ["ticket", "duplicate"]


def test_reply_threads_by_references_tag_and_plus_address(app: Any, trusted: Any) -> None:
    from ticketdesk.intake.threading_keys import plus_address

    number = deliver(app, mail("jana@acme.test", "Disk", message_id="<orig@acme.test>")).ticket_number
    ack = _outbound("ack")[0]
    by_refs = deliver(app, mail("jana@acme.test", "Re: Disk", "one", in_reply_to=ack.message_id_header))
    by_tag = deliver(app, mail("jana@acme.test", f"RE: [TD#{number}] Disk", "two"))
    plus = plus_address("support", "support.test", number, app.extensions["ticketdesk.settings"].secret_key)
    by_plus = deliver(app, mail("jana@acme.test", "no tag here", "three", to=plus), to=plus)
    assert [o.disposition for o in (by_refs, by_tag, by_plus)] == ["reply", "reply", "reply"]
    assert {o.ticket_number for o in (by_refs, by_tag, by_plus)} == {number}
    forged = f"support+t{number}.aaaaaaaaaa@support.test"
    assert deliver(app, mail("jana@acme.test", "forged", "x", to=forged), to=forged).disposition == "ticket"


def test_quoting_someone_elses_ticket_never_joins_it(
    app: Any, trusted: Any, make_org: Any, make_contact: Any
) -> None:
    other = make_contact(make_org(sender_policy="trust_relay"), email="mikko@nordic.test")
    theirs = deliver(app, mail("mikko@nordic.test", "Secret stuff")).ticket_number
    outcome = deliver(app, mail("jana@acme.test", f"Re: [TD#{theirs}] Secret stuff", "let me in"))
    assert outcome.disposition == "ticket" and outcome.ticket_number != theirs
    assert _ticket(outcome.ticket_number).organization_id == trusted.organization_id
    count = db.session.scalar(
        select(func.count()).select_from(Message).where(Message.ticket_id == _ticket(theirs).id)
    )
    assert count == 1 and other.id


def test_colleague_of_the_same_organisation_may_reply(app: Any, trusted: Any, make_contact: Any) -> None:
    make_contact(trusted.organization, email="tomas@acme.test")
    number = deliver(app, mail("jana@acme.test", "Shared")).ticket_number
    assert deliver(app, mail("tomas@acme.test", f"Re: [TD#{number}] Shared", "me too")).disposition == "reply"


def test_reply_to_waiting_ticket_moves_it_back(app: Any, trusted: Any, agent: Any) -> None:
    from ticketdesk.tickets import service
    from ticketdesk.tickets.history import ActorRef

    number = deliver(app, mail("jana@acme.test", "Need info")).ticket_number
    service.change_status(
        db.session, _ticket(number), "waiting_for_client", ActorRef.agent(agent), now=utcnow()
    )
    db.session.commit()
    deliver(app, mail("jana@acme.test", f"Re: [TD#{number}] Need info", "Here it is"))
    assert _ticket(number).status in ("queued", "in_progress")


def test_reply_to_closed_ticket_is_answered_not_appended(app: Any, trusted: Any, agent: Any) -> None:
    from ticketdesk.tickets import service
    from ticketdesk.tickets.history import ActorRef

    number = deliver(app, mail("jana@acme.test", "Old")).ticket_number
    for status in ("resolved", "closed"):
        service.change_status(db.session, _ticket(number), status, ActorRef.agent(agent), now=utcnow())
    db.session.commit()
    outcome = deliver(app, mail("jana@acme.test", f"Re: [TD#{number}] Old", "it is back"))
    assert outcome.disposition == "quarantined" and "closed" in outcome.detail
    assert len(_outbound("open_new")) == 1 and _ticket(number).status == "closed"
    released = app.test_client()
    from ticketdesk.intake.service import release_quarantined

    new = release_quarantined(db.session, outcome.raw_id)
    assert new.disposition == "ticket" and _ticket(new.ticket_number).previous_ticket_id == _ticket(number).id
    assert released is not None


def test_resolved_ticket_reopens_inside_window_only(app: Any, trusted: Any, agent: Any) -> None:
    from ticketdesk.tickets import service
    from ticketdesk.tickets.history import ActorRef

    with time_machine.travel(utcnow(), tick=False) as traveller:
        number = deliver(app, mail("jana@acme.test", "Flaky")).ticket_number
        service.change_status(db.session, _ticket(number), "resolved", ActorRef.agent(agent), now=utcnow())
        db.session.commit()
        traveller.shift(timedelta(days=13, hours=23, minutes=59))
        assert (
            deliver(app, mail("jana@acme.test", f"Re: [TD#{number}] Flaky", "again")).disposition == "reply"
        )
        service.change_status(db.session, _ticket(number), "resolved", ActorRef.agent(agent), now=utcnow())
        db.session.commit()
        traveller.shift(timedelta(days=14, minutes=1))
        late = deliver(app, mail("jana@acme.test", f"Re: [TD#{number}] Flaky", "and again"))
        assert late.disposition == "quarantined" and _ticket(number).status == "resolved"


def test_unknown_reference_opens_a_ticket_with_the_quoted_context(app: Any, trusted: Any) -> None:
    body = "Still broken.\n\nOn Mon, Old System wrote:\n> Ticket 4711: we replaced the disk.\n"
    outcome = deliver(
        app, mail("jana@acme.test", "Re: [Ticket#4711] Disk", body, in_reply_to="<4711@old-helpdesk.example>")
    )
    assert outcome.disposition == "ticket"
    ticket = _ticket(outcome.ticket_number)
    assert ticket.legacy_reference == "<4711@old-helpdesk.example>"
    first = db.session.scalar(select(Message).where(Message.ticket_id == ticket.id))
    assert "replaced the disk" in ((first.quoted_text or "") + first.text)


def test_cc_joins_and_agent_replies_go_to_requester_and_cc(
    app: Any, trusted: Any, agent: Any, smtp_sink: Any
) -> None:
    from ticketdesk.tickets import service

    raw = mail(
        "jana@acme.test", "Cc test", cc="Boss <boss@acme.test>, support@support.test, datacenter@support.test"
    )
    number = deliver(app, raw).ticket_number
    ticket = _ticket(number)
    assert [c.email for c in ticket.cc] == ["boss@acme.test"]
    service.add_agent_message(db.session, ticket, agent, kind="reply", text="We are on it.", now=utcnow())
    db.session.commit()
    run_once(app)
    replies = [m for m in smtp_sink.wait_for(2) if "We are on it." in m.text]
    assert len(replies) == 1 and sorted(replies[0].rcpt_tos) == ["boss@acme.test", "jana@acme.test"]
    assert replies[0].message["Auto-Submitted"] is None


def test_loops_never_get_automatic_answers(app: Any, trusted: Any) -> None:
    oof = mail(
        "jana@acme.test",
        "Automatic reply: Server question",
        "I am away",
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert deliver(app, oof).disposition == "auto_reply_ignored"
    bulk = mail(
        "news@vendor.test", "Newsletter", "Hi", headers={"Precedence": "bulk", "List-Id": "<news.vendor>"}
    )
    assert deliver(app, bulk).disposition == "quarantined"
    null = mail("someone@robot.test", "Hello", "x")
    assert deliver(app, null, mail_from="").disposition == "quarantined"
    ours = mail("eve@x.test", "Hello", "x", message_id="<td.abc@support.test>")
    assert deliver(app, ours).disposition == "quarantined"
    assert _outbound("not_contact") == [] and _outbound("ack") == []


def test_dsn_is_recorded_against_the_outgoing_mail(app: Any, trusted: Any) -> None:
    deliver(app, mail("jana@acme.test", "Bounce me"))
    ack = _outbound("ack")[0]
    dsn = (
        "From: MAILER-DAEMON@mx.acme.test\r\nTo: support@support.test\r\nSubject: Undelivered Mail\r\n"
        "Message-ID: <dsn1@mx.acme.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.test\r\n\r\n"
        "Final-Recipient: rfc822; jana@acme.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {ack.message_id_header}\r\nSubject: x\r\n--b--\r\n"
    ).encode()
    outcome = deliver(app, dsn, mail_from="")
    assert outcome.disposition == "auto_reply_ignored"
    db.session.expire_all()
    bounced = db.session.get(OutboundMail, ack.id)
    assert bounced.state == "bounced" and "5.1.1" in (bounced.bounce_detail or "")


def test_crash_after_store_is_finished_by_the_worker(app: Any, trusted: Any) -> None:
    from ticketdesk.intake.service import receive
    from ticketdesk.intake.store import Envelope

    with time_machine.travel(utcnow(), tick=False) as traveller:
        stored = receive(app, mail("jana@acme.test", "Crashed"), Envelope(source="ingest"), process_now=False)
        assert stored.disposition == "pending"
        traveller.shift(timedelta(minutes=1))
        run_once(app)
    db.session.expire_all()
    raw = db.session.get(RawMessage, stored.raw_id)
    assert raw.status == "done" and raw.disposition == "ticket" and raw.ticket_id


def test_message_processed_inline_is_claimed_so_a_crash_is_finished_after_the_lease(
    app: Any, trusted: Any
) -> None:
    """The transport stores the message as ``processing`` (leased) before it processes it itself: the
    worker's sweep leaves it alone while that may still be going on, and finishes it once the lease
    is over (the transport died half-way)."""
    from ticketdesk.intake.pipeline import LEASE
    from ticketdesk.intake.store import Envelope, store_raw

    with time_machine.travel(utcnow(), tick=False) as traveller:
        row, new = store_raw(
            db.session, mail("jana@acme.test", "Half-way"), Envelope(source="smtp"), now=utcnow(), claim=True
        )
        assert new and row.status == "processing" and row.attempts == 1
        traveller.shift(timedelta(minutes=1))
        run_once(app)
        db.session.expire_all()
        assert db.session.get(RawMessage, row.id).status == "processing"
        traveller.shift(LEASE)
        run_once(app)
    db.session.expire_all()
    raw = db.session.get(RawMessage, row.id)
    assert raw.status == "done" and raw.disposition == "ticket" and raw.ticket_id


def test_failure_is_recorded_and_retryable(app: Any, trusted: Any, admin_api: Any) -> None:
    from ticketdesk.intake.service import receive
    from ticketdesk.intake.store import Envelope

    outcome = receive(
        app, mail("jana@acme.test", "Broken queue"), Envelope(source="ingest", queue_slug="vanished")
    )
    assert outcome.disposition == "failed"
    log = admin_api.get("/intake?disposition=failed").get_json()["items"]
    assert log[0]["id"] == outcome.raw_id and "unknown queue" in log[0]["error"]
    raw = db.session.get(RawMessage, outcome.raw_id)
    raw.queue_slug = "support"
    db.session.commit()
    resp = admin_api.post(f"/intake/{outcome.raw_id}/retry")
    assert resp.status_code == 200 and resp.get_json()["disposition"] == "ticket"


def test_intake_log_lists_every_disposition(app: Any, trusted: Any, api: Any) -> None:
    deliver(app, mail("jana@acme.test", message_id="<a@acme.test>"))
    deliver(app, mail("jana@acme.test", message_id="<a@acme.test>"))
    deliver(app, mail("stranger@x.test"))
    items = api.get("/intake").get_json()["items"]
    assert [i["disposition"] for i in items] == ["quarantined", "duplicate", "ticket"]
    assert items[2]["ticket"] and items[2]["auth"]["verdict"] == "authenticated"
    assert api.get("/intake?disposition=nonsense").status_code == 422


def test_quarantined_mail_is_released_after_adding_the_contact(
    app: Any, trusted: Any, make_contact: Any, admin_api: Any
) -> None:
    outcome = deliver(app, mail("newbie@acme.test", "Please help"))
    resp = admin_api.post(f"/intake/{outcome.raw_id}/release")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "still_quarantined"
    make_contact(trusted.organization, email="newbie@acme.test")
    resp = admin_api.post(f"/intake/{outcome.raw_id}/release")
    assert resp.status_code == 200 and resp.get_json()["disposition"] == "ticket"


def test_html_mail_is_sanitised_and_attachments_are_served(
    app: Any, trusted: Any, client: Any, api: Any
) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "jana@acme.test", "support@support.test", "Screenshot"
    msg["Message-ID"] = "<html1@acme.test>"
    msg.set_content("see attached")
    msg.add_alternative(
        '<p onclick="evil()">Look <script>alert(1)</script><img src="https://tracker.test/p.gif"></p>',
        subtype="html",
    )
    msg.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="../../etc/report.pdf"
    )
    number = deliver(app, msg.as_bytes()).ticket_number
    detail = api.get(f"/tickets/{number}").get_json()
    first = detail["messages"][0]
    assert "<script" not in first["html"] and "onclick" not in first["html"]
    assert "tracker.test" not in first["html"].split("data-blocked-src")[0]
    [att] = first["attachments"]
    assert att["filename"] == "report.pdf"
    resp = client.get(att["url"], headers={"Authorization": f"Bearer {api.token}"})
    assert resp.status_code == 200 and resp.data == b"%PDF-1.4 fake"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert client.get(att["url"]).status_code == 401
