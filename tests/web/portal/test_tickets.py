"""What a customer does with tickets in the portal: see the organisation's tickets (also those opened by
e-mail or phone), open one with attachments and copy, reply, manage the copy list, confirm a resolution,
refuse single-agent handling (button and mailed link), reopen within the window, and past it open a
follow-up ticket that links the old one."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from tests.web.portal.helpers import body_of, csrf, mails, post, sign_in


def _ticket(number: int) -> Any:
    from ticketdesk.extensions import db
    from ticketdesk.tickets.models import Ticket

    db.session.expire_all()
    return db.session.scalar(select(Ticket).where(Ticket.number == number))


def _agent_reply(ticket: Any, agent: Any, text: str, kind: str = "reply", **kw: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    locked = service.get_for_update(db.session, ticket.number)
    service.add_agent_message(
        db.session, locked, agent, kind=kind, text=text, now=kw.pop("now", None) or utcnow(), **kw
    )
    db.session.commit()


def _status(ticket: Any, agent: Any, status: str, now: Any = None) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service
    from ticketdesk.tickets.history import ActorRef

    locked = service.get_for_update(db.session, ticket.number)
    service.change_status(db.session, locked, status, ActorRef.agent(agent), now=now or utcnow())
    db.session.commit()


def test_the_list_shows_every_ticket_of_the_organisation(
    app: Any, client: Any, two_orgs: Any, agent: Any, make_ticket: Any
) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    alpha, beta = two_orgs
    colleague_ticket = make_ticket(alpha.admin, subject="Mail by a colleague")  # opened by e-mail
    service.claim(db.session, colleague_ticket.number, agent, now=utcnow())
    db.session.commit()
    sign_in(client, alpha.member)
    html = client.get("/portal/tickets").get_data(as_text=True)
    assert "Server of Alpha" in html and "Mail by a colleague" in html and "Server of Beta" not in html
    assert agent.name in html and "Support team" in html  # who handles it
    assert "answer by" in html  # the SLA's expected first response
    assert f"data-rooms='[\"org:{alpha.org.id}\"]'" in html

    _status(colleague_ticket, agent, "resolved")
    open_html = client.get("/portal/tickets").get_data(as_text=True)
    done_html = client.get("/portal/tickets?view=done").get_data(as_text=True)
    assert "Mail by a colleague" not in open_html and "Mail by a colleague" in done_html
    found = client.get(f"/portal/tickets?view=all&q={colleague_ticket.number}").get_data(as_text=True)
    assert "Mail by a colleague" in found and "Server of Alpha" not in found


def test_open_a_ticket_with_queue_copy_and_attachments(app: Any, client: Any, two_orgs: Any) -> None:
    from ticketdesk.db.blobs import load_blob
    from ticketdesk.extensions import db, socketio
    from ticketdesk.tickets.models import Attachment, Message

    alpha, _ = two_orgs
    sign_in(client, alpha.member)
    page = client.get("/portal/tickets/new").get_data(as_text=True)
    assert 'value="datacenter"' in page and "dedicated servers and hosting" in page
    live = socketio.test_client(app, flask_test_client=client)
    assert live.emit("join", {"room": f"org:{alpha.org.id}"}, callback=True)["ok"]
    resp = client.post(
        "/portal/tickets/new",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf(client, "/portal/tickets/new"),
            "queue": "datacenter",
            "subject": "Výpadek serveru db1",
            "text": "Server db1 je od 9:00 nedostupný, prosíme o pomoc.",
            "cc": "boss@alpha.test; Ops@Alpha.test",
            "attachments": [
                (io.BytesIO(b"log line 1\n"), "boot.log", "text/plain"),
                (io.BytesIO(b"\x89PNG fake"), "../../home/jana/screen shot.png", "image/png"),
            ],
        },
    )
    assert resp.status_code == 302
    number = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    ticket = _ticket(number)
    assert (ticket.channel, ticket.queue.slug, ticket.requester_id) == (
        "portal",
        "datacenter",
        alpha.member.id,
    )
    assert ticket.priority == "urgent"  # priority detection ran on the portal text
    assert [c.email for c in ticket.cc] == ["boss@alpha.test", "ops@alpha.test"]
    first = db.session.scalars(select(Message).where(Message.ticket_id == ticket.id)).one()
    files = db.session.scalars(
        select(Attachment).where(Attachment.message_id == first.id).order_by(Attachment.id)
    ).all()
    assert [(f.filename, f.content_type) for f in files] == [
        ("boot.log", "text/plain"),
        ("screen shot.png", "image/png"),
    ]
    assert load_blob(db.session, files[0].blob_sha256) == b"log line 1\n"
    assert mails("ack", alpha.member.primary_email)
    events = [e["name"] for e in live.get_received()]
    assert "ticket.created" in events
    live.disconnect()

    html = client.get(f"/portal/tickets/{number}").get_data(as_text=True)
    assert "boot.log" in html and f"/tickets/{number}/attachments/{files[0].id}" in html
    assert client.get(f"/tickets/{number}/attachments/{files[0].id}").data == b"log line 1\n"


def test_new_ticket_refuses_bad_input_and_keeps_what_was_typed(app: Any, client: Any, two_orgs: Any) -> None:
    alpha, _ = two_orgs
    sign_in(client, alpha.member)
    token = csrf(client, "/portal/tickets/new")
    bad_cc = client.post(
        "/portal/tickets/new",
        data={
            "csrf_token": token,
            "queue": "support",
            "subject": "Hello",
            "text": "my long text",
            "cc": "support@support.test",
        },
    )
    assert bad_cc.status_code == 422
    html = bad_cc.get_data(as_text=True)
    assert "cannot be in copy" in html and "my long text" in html
    bad_queue = client.post(
        "/portal/tickets/new", data={"csrf_token": token, "queue": "nope", "subject": "Hello", "text": "x"}
    )
    assert bad_queue.status_code == 422


def test_ticket_page_shows_messages_and_events_but_never_notes(
    app: Any, client: Any, two_orgs: Any, agent: Any
) -> None:
    alpha, _ = two_orgs
    _agent_reply(alpha.ticket, agent, "Internal: customer is on the old plan", kind="note")
    _agent_reply(alpha.ticket, agent, "We are looking at it now.", requires_action=True)
    sign_in(client, alpha.member)
    html = client.get(f"/portal/tickets/{alpha.ticket.number}").get_data(as_text=True)
    assert "We are looking at it now." in html and "Your action is needed" in html
    assert "Internal: customer" not in html and "old plan" not in html
    assert "Server of Alpha s.r.o. is slow" in html
    assert "First response" in html and "answered" in html and "expected by" in html  # SLA
    assert f"data-rooms='[\"portal-ticket:{alpha.ticket.number}\"]'" in html


def test_reply_takes_a_waiting_ticket_back_to_work(app: Any, client: Any, two_orgs: Any, agent: Any) -> None:
    alpha, _ = two_orgs
    _agent_reply(alpha.ticket, agent, "Which server?")
    _status(alpha.ticket, agent, "waiting_for_client")
    sign_in(client, alpha.member)
    page = f"/portal/tickets/{alpha.ticket.number}"
    resp = client.post(
        f"{page}/reply",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf(client, page),
            "text": "The one called db1.",
            "attachments": [(io.BytesIO(b"details"), "details.txt", "text/plain")],
        },
    )
    assert resp.status_code == 302
    ticket = _ticket(alpha.ticket.number)
    assert ticket.status == "queued"
    html = client.get(page).get_data(as_text=True)
    assert "The one called db1." in html and "details.txt" in html
    empty = post(client, f"{page}/reply", {"text": "   "}, page=page)
    assert empty.status_code == 422


def test_copy_list_add_and_remove_tells_the_removed_person_once(app: Any, client: Any, two_orgs: Any) -> None:
    alpha, _ = two_orgs
    sign_in(client, alpha.member)
    page = f"/portal/tickets/{alpha.ticket.number}"
    assert (
        post(client, f"{page}/cc", {"email": "Colleague@Alpha.test, other@alpha.test"}, page=page).status_code
        == 302
    )
    assert [c.email for c in _ticket(alpha.ticket.number).cc] == ["colleague@alpha.test", "other@alpha.test"]
    assert post(client, f"{page}/cc", {"email": "not-an-address"}, page=page).status_code == 422
    for _ in range(2):  # removed, added again, removed again: told only once
        assert (
            post(client, f"{page}/cc/remove", {"email": "colleague@alpha.test"}, page=page).status_code == 302
        )
        post(client, f"{page}/cc", {"email": "colleague@alpha.test"}, page=page)
    assert post(client, f"{page}/cc/remove", {"email": "colleague@alpha.test"}, page=page).status_code == 302
    assert len(mails("cc_removed", "colleague@alpha.test")) == 1
    assert [c.email for c in _ticket(alpha.ticket.number).cc] == ["other@alpha.test"]
    assert post(client, f"{page}/cc/remove", {"email": "nobody@alpha.test"}, page=page).status_code == 404
    html = client.get(page).get_data(as_text=True)
    assert (
        "added colleague@alpha.test to the copy" in html
        and "removed colleague@alpha.test from the copy" in html
    )


def test_refuse_single_agent_handling_from_the_ticket_page(
    app: Any, client: Any, two_orgs: Any, agent: Any
) -> None:
    from ticketdesk.extensions import db, socketio
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    alpha, _ = two_orgs
    service.claim(db.session, alpha.ticket.number, agent, now=utcnow())
    _status(alpha.ticket, agent, "in_progress")
    staff = app.test_client()
    from tests.web.workspace.helpers import login

    login(staff, agent.email)
    watcher = socketio.test_client(app, flask_test_client=staff)
    assert watcher.emit("join", {"room": "agents"}, callback=True)["ok"]

    sign_in(client, alpha.member)
    page = f"/portal/tickets/{alpha.ticket.number}"
    html = client.get(page).get_data(as_text=True)
    assert "handles this ticket personally" in html and 'id="refuse-claim"' in html
    assert post(client, f"{page}/refuse-claim", page=page).status_code == 302
    ticket = _ticket(alpha.ticket.number)
    assert ticket.claimed_by_id is None and ticket.status == "queued"
    updates = [e["args"][0] for e in watcher.get_received() if e["name"] == "ticket.updated"]
    assert any(u["number"] == ticket.number and u["changes"].get("claimed_by") is None for u in updates)
    watcher.disconnect()
    assert "refused" in client.get(page).get_data(as_text=True)
    assert post(client, f"{page}/refuse-claim", page=page).status_code == 409  # nothing left to refuse


def test_refuse_through_the_mailed_link(app: Any, client: Any, two_orgs: Any, agent: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    alpha, _ = two_orgs
    service.claim(db.session, alpha.ticket.number, agent, now=utcnow())
    db.session.commit()
    text = body_of(mails("claimed", alpha.member.primary_email)[-1])
    path = "/portal/claims/" + text.split("/portal/claims/", 1)[1].split()[0]
    anonymous = app.test_client()  # whoever got the mail, without signing in
    shown = anonymous.get(path)
    assert shown.status_code == 200 and agent.name in shown.get_data(as_text=True)
    assert _ticket(alpha.ticket.number).claimed_by_id == agent.id  # opening the link changes nothing
    done = post(anonymous, path, page=path)
    assert done.status_code == 200 and 'id="claim-refused"' in done.get_data(as_text=True)
    ticket = _ticket(alpha.ticket.number)
    assert ticket.claimed_by_id is None
    again = post(anonymous, path, page="/portal/login")
    assert again.status_code in (409, 410) and 'id="claim-ended"' in again.get_data(as_text=True)
    assert anonymous.get(path).status_code == 410
    assert anonymous.get(path[:-3] + "xyz").status_code == 404  # forged
    # a new claim is a new link: the old one stays spent
    service.claim(db.session, alpha.ticket.number, agent, now=utcnow() + timedelta(seconds=5))
    db.session.commit()
    assert anonymous.get(path).status_code == 410


def test_confirm_resolution(app: Any, client: Any, two_orgs: Any, agent: Any) -> None:
    alpha, _ = two_orgs
    sign_in(client, alpha.member)
    page = f"/portal/tickets/{alpha.ticket.number}"
    assert post(client, f"{page}/confirm", page=page).status_code == 409  # queued: nothing to confirm
    _status(alpha.ticket, agent, "waiting_for_client")
    assert 'id="confirm-resolution"' in client.get(page).get_data(as_text=True)
    assert post(client, f"{page}/confirm", page=page).status_code == 302
    assert _ticket(alpha.ticket.number).status == "resolved"
    assert post(client, f"{page}/confirm", page=page).status_code == 302
    assert _ticket(alpha.ticket.number).status == "closed"
    html = client.get(page).get_data(as_text=True)
    assert 'id="reply-form"' not in html and 'id="follow-up"' in html


def test_reopen_within_the_window_and_a_follow_up_after_it(
    app: Any, client: Any, two_orgs: Any, agent: Any
) -> None:
    from ticketdesk.admin.store import reopen_window
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow

    alpha, _ = two_orgs
    window = reopen_window(db.session)
    start = utcnow()
    page = f"/portal/tickets/{alpha.ticket.number}"
    with time_machine.travel(start, tick=False):
        _status(alpha.ticket, agent, "resolved", now=start)
    with time_machine.travel(start + window - timedelta(minutes=1), tick=False):
        sign_in(client, alpha.member)
        html = client.get(page).get_data(as_text=True)
        assert "Reply to reopen" in html and "You can reopen it until" in html
        assert post(client, f"{page}/reply", {"text": "Still broken."}, page=page).status_code == 302
        assert _ticket(alpha.ticket.number).status == "queued"
    with time_machine.travel(start + window, tick=False):
        _status(alpha.ticket, agent, "resolved", now=start + window)
    later = start + window + window
    with time_machine.travel(later, tick=False):  # exactly one window after the second resolution
        sign_in(client, alpha.member)
        html = client.get(page).get_data(as_text=True)
        assert 'id="reply-form"' not in html and 'id="follow-up"' in html
        token = csrf(client, page)
        refused = client.post(f"{page}/reply", data={"csrf_token": token, "text": "It is back again!"})
        assert refused.status_code == 409
        html = refused.get_data(as_text=True)
        assert 'id="reopen-refused"' in html and "It is back again!" in html
        assert _ticket(alpha.ticket.number).status == "resolved"
        resp = client.post(
            f"/portal/tickets/new?previous={alpha.ticket.number}",
            data={
                "csrf_token": token,
                "queue": "support",
                "subject": "Server of Alpha s.r.o. is slow",
                "text": "It is back again!",
            },
        )
        assert resp.status_code == 302
        number = int(resp.headers["Location"].rsplit("/", 1)[1])
        follow_up = _ticket(number)
        assert follow_up.previous_ticket_id == _ticket(alpha.ticket.number).id
        assert f"#{alpha.ticket.number}" in client.get(f"/portal/tickets/{number}").get_data(as_text=True)
        assert f"#{number}" in client.get(page).get_data(as_text=True)


def test_live_events_reach_the_portal_ticket_room_but_notes_do_not(
    app: Any, client: Any, two_orgs: Any, agent: Any
) -> None:
    from ticketdesk.extensions import socketio

    alpha, _ = two_orgs
    sign_in(client, alpha.member)
    live = socketio.test_client(app, flask_test_client=client)
    assert live.emit("join", {"room": f"portal-ticket:{alpha.ticket.number}"}, callback=True)["ok"]
    live.get_received()
    _agent_reply(alpha.ticket, agent, "secret note text", kind="note")
    _agent_reply(alpha.ticket, agent, "Public answer")
    received = live.get_received()
    texts = [e["args"][0]["message"]["text"] for e in received if e["name"] == "message.created"]
    assert texts == ["Public answer"]
    assert "secret note text" not in repr(received)
    live.disconnect()
