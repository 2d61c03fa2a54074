"""The ticket page and its actions, through the browser's forms (CSRF included)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from tests.web.workspace.helpers import csrf_from, login, post_form


@pytest.fixture
def signed_in(client: Any, agent: Any) -> Any:
    from ticketdesk.extensions import limiter

    limiter.reset()
    login(client, agent.email)
    return client


def _outbound(kind: str) -> list[Any]:
    from sqlalchemy import select

    from ticketdesk.extensions import db
    from ticketdesk.outbound.models import OutboundMail

    return list(db.session.scalars(select(OutboundMail).where(OutboundMail.kind == kind)))


def _page(client: Any, number: int) -> str:
    resp = client.get(f"/tickets/{number}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_thread_panel_and_history(
    signed_in: Any, agent: Any, make_org: Any, make_contact: Any, make_ticket: Any
) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    org = make_org(name="ACME Hosting", pin="4321")
    jana = make_contact(org, email="jana@acme.test", name="Jana", phones=["+420 601 123 456"])
    make_contact(org, email="petr@acme.test", name="Petr Druhý")
    older = make_ticket(jana, subject="Older question")
    ticket = make_ticket(
        jana, subject="<script>alert(1)</script> invoice question", text="Our <b>invoice</b> is wrong."
    )
    service.add_agent_message(
        db.session, ticket, agent, kind="note", text="internal: check rack 4", now=utcnow()
    )
    db.session.commit()
    html = _page(signed_in, ticket.number)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Our &lt;b&gt;invoice&lt;/b&gt; is wrong." in html
    assert "internal: check rack 4" in html and "Internal note" in html
    assert "Jana" in html and "jana@acme.test" in html and "+420601123456" in html
    assert "Petr Druhý" in html and "petr@acme.test" in html
    assert f"#{older.number} Older question" in html
    assert "opened the ticket" in html  # history
    assert 'data-status="resolved"' in html and 'data-status="queued"' not in html  # only allowed moves
    assert 'id="claim-button"' in html


def test_sanitised_html_quotes_and_auth_badge(signed_in: Any, make_ticket: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.tickets.models import Message

    ticket = make_ticket()
    msg = db.session.query(Message).filter_by(ticket_id=ticket.id).one()
    msg.html = "<p>Hello <strong>there</strong></p>"
    msg.quoted_text = "On Monday you wrote:\n> old text"
    msg.auth = {"dkim": "pass", "spf": "pass", "dmarc": "pass", "verdict": "authenticated"}
    db.session.commit()
    html = _page(signed_in, ticket.number)
    assert "<p>Hello <strong>there</strong></p>" in html
    assert '<details class="quoted">' in html and "On Monday you wrote:" in html
    assert "auth-authenticated" in html and "DKIM: pass" in html


def test_claim_release_and_everyone_sees_the_holder(
    signed_in: Any, agent: Any, make_agent: Any, make_ticket: Any, app: Any
) -> None:
    ticket = make_ticket()
    resp = post_form(signed_in, f"/tickets/{ticket.number}", f"/tickets/{ticket.number}/claim")
    assert resp.status_code == 303
    assert _outbound("claimed"), "the client is told about the claim"
    refuse_link = _outbound("claimed")[0]
    assert refuse_link is not None
    html = _page(signed_in, ticket.number)
    assert f"Held by {agent.name}" in html and 'id="release-button"' in html

    other = app.test_client()
    login(other, make_agent(name="Karel Druhý").email)
    html = _page(other, ticket.number)
    assert f"Held by {agent.name}" in html and 'id="claim-button"' not in html
    resp = post_form(other, f"/tickets/{ticket.number}", f"/tickets/{ticket.number}/claim")
    assert resp.status_code == 409 and "already claimed" in resp.get_data(as_text=True)

    resp = post_form(signed_in, f"/tickets/{ticket.number}", f"/tickets/{ticket.number}/release")
    assert resp.status_code == 303
    assert "Shared queue" in _page(signed_in, ticket.number)


def test_admin_releases_someone_elses_claim(
    client: Any, agent: Any, admin: Any, make_ticket: Any, app: Any
) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    ticket = make_ticket()
    service.claim(db.session, ticket.number, agent, now=utcnow())
    db.session.commit()
    login(client, admin.email)
    resp = post_form(client, f"/tickets/{ticket.number}", f"/tickets/{ticket.number}/release")
    assert resp.status_code == 303
    db.session.refresh(ticket)
    assert ticket.claimed_by_id is None


def test_urgent_ticket_cannot_be_claimed(signed_in: Any, make_ticket: Any) -> None:
    ticket = make_ticket(priority="urgent")
    html = _page(signed_in, ticket.number)
    assert 'id="claim-button"' not in html and "Urgent tickets stay in the shared queue" in html
    resp = post_form(signed_in, f"/tickets/{ticket.number}", f"/tickets/{ticket.number}/claim")
    assert resp.status_code == 409 and "urgent" in resp.get_data(as_text=True)


def test_reply_mails_requester_and_cc_and_note_does_not(
    signed_in: Any, make_contact: Any, make_ticket: Any
) -> None:
    ticket = make_ticket(make_contact(email="jana@acme.test"))
    page = f"/tickets/{ticket.number}"
    assert post_form(signed_in, page, f"{page}/cc", {"email": "Boss@ACME.test"}).status_code == 303
    html = _page(signed_in, ticket.number)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    resp = post_form(
        signed_in, page, f"{page}/messages", {"kind": "reply", "text": "We are on it.", "version": version}
    )
    assert resp.status_code == 303
    replies = _outbound("reply")
    assert (
        len(replies) == 1
        and replies[0].to_addrs == ["jana@acme.test"]
        and replies[0].cc_addrs == ["boss@acme.test"]
    )
    html = _page(signed_in, ticket.number)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    resp = post_form(
        signed_in, page, f"{page}/messages", {"kind": "note", "text": "only for us", "version": version}
    )
    assert resp.status_code == 303 and len(_outbound("reply")) == 1
    assert "only for us" in _page(signed_in, ticket.number)


def test_stale_reply_is_warned_first(signed_in: Any, agent: Any, make_agent: Any, make_ticket: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    ticket = make_ticket()
    page = f"/tickets/{ticket.number}"
    html = _page(signed_in, ticket.number)
    opened_version = re.search(r'name="version" value="(\d+)"', html).group(1)
    service.add_agent_message(
        db.session, ticket, make_agent(), kind="reply", text="colleague answered", now=utcnow()
    )
    db.session.commit()
    resp = signed_in.post(
        f"{page}/messages",
        data={"kind": "reply", "text": "my draft", "version": opened_version, "csrf_token": csrf_from(html)},
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "changed since you opened it" in body
    assert "my draft" in body and "colleague answered" in body and 'name="confirm_stale" value="1"' in body
    assert len(_outbound("reply")) == 1  # only the colleague's
    new_version = re.search(r'name="version" value="(\d+)"', body).group(1)
    resp = signed_in.post(
        f"{page}/messages",
        data={
            "kind": "reply",
            "text": "my draft",
            "version": new_version,
            "confirm_stale": "1",
            "csrf_token": csrf_from(body),
        },
    )
    assert resp.status_code == 303 and len(_outbound("reply")) == 2


def test_status_buttons_follow_the_lifecycle(signed_in: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    page = f"/tickets/{ticket.number}"
    assert post_form(signed_in, page, f"{page}/status", {"status": "in_progress"}).status_code == 303
    assert post_form(signed_in, page, f"{page}/status", {"status": "waiting_for_client"}).status_code == 303
    html = _page(signed_in, ticket.number)
    assert 'data-status="in_progress"' in html
    resp = post_form(signed_in, page, f"{page}/status", {"status": "bogus"})
    assert resp.status_code == 422
    assert post_form(signed_in, page, f"{page}/status", {"status": "resolved"}).status_code == 303
    resp = post_form(signed_in, page, f"{page}/status", {"status": "waiting_for_client"})
    assert resp.status_code == 409


def test_schedule_for_a_date(signed_in: Any, make_ticket: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow

    ticket = make_ticket()
    page = f"/tickets/{ticket.number}"
    day = (utcnow() + timedelta(days=10)).date().isoformat()
    assert post_form(signed_in, page, f"{page}/schedule", {"day": day, "at": "09:30"}).status_code == 303
    db.session.refresh(ticket)
    assert ticket.status == "scheduled" and ticket.scheduled_for.date().isoformat() == day
    assert ticket.scheduled_for.hour in (7, 8)  # 09:30 Europe/Prague in UTC (summer or winter)
    past = (utcnow() - timedelta(days=2)).date().isoformat()
    other = make_ticket()
    resp = post_form(
        signed_in, f"/tickets/{other.number}", f"/tickets/{other.number}/schedule", {"day": past}
    )
    assert resp.status_code == 422


def test_priority_override_and_cc_remove(signed_in: Any, make_ticket: Any) -> None:
    from ticketdesk.extensions import db

    ticket = make_ticket()
    page = f"/tickets/{ticket.number}"
    assert post_form(signed_in, page, f"{page}/priority", {"priority": "high"}).status_code == 303
    db.session.refresh(ticket)
    assert (ticket.priority, ticket.priority_source) == ("high", "manual")
    assert "by hand" in _page(signed_in, ticket.number)
    assert post_form(signed_in, page, f"{page}/priority", {"priority": "extreme"}).status_code == 422
    post_form(signed_in, page, f"{page}/cc", {"email": "x@client.test"})
    assert post_form(signed_in, page, f"{page}/cc/remove", {"email": "x@client.test"}).status_code == 303
    db.session.refresh(ticket)
    assert ticket.cc == []
    assert post_form(signed_in, page, f"{page}/cc", {"email": "support@support.test"}).status_code == 422


def test_unknown_ticket_is_404(signed_in: Any) -> None:
    assert signed_in.get("/tickets/999999").status_code == 404
