"""The queue page: urgency order, filters, keyset pages, counts per queue, full-text search."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from tests.web.workspace.helpers import login


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-number="(\d+)"', html)]


@pytest.fixture
def signed_in(client: Any, agent: Any) -> Any:
    from ticketdesk.extensions import limiter

    limiter.reset()
    login(client, agent.email)
    return client


def test_sorted_by_priority_then_sla_due(signed_in: Any, make_ticket: Any, make_contact: Any) -> None:
    contact = make_contact()
    low = make_ticket(contact, subject="Question about invoices", priority="low")
    normal = make_ticket(contact, subject="Please change DNS", priority="normal")
    urgent = make_ticket(contact, subject="Server down", priority="urgent")
    high = make_ticket(contact, subject="Slow backups", priority="high")
    html = signed_in.get("/queue").get_data(as_text=True)
    assert _numbers(html) == [urgent.number, high.number, normal.number, low.number]


def test_filters(signed_in: Any, agent: Any, make_ticket: Any, make_contact: Any, make_org: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    org_a, org_b = make_org(name="Alpha"), make_org(name="Beta")
    a1 = make_ticket(make_contact(org_a), subject="Alpha one")
    a2 = make_ticket(make_contact(org_a), subject="Alpha two", queue="datacenter", priority="high")
    b1 = make_ticket(make_contact(org_b), subject="Beta one")
    service.claim(db.session, a1.number, agent, now=utcnow())
    db.session.commit()

    def shown(query: str) -> set[int]:
        resp = signed_in.get(f"/queue?{query}")
        assert resp.status_code == 200
        return set(_numbers(resp.get_data(as_text=True)))

    assert shown("") == {a1.number, a2.number, b1.number}
    assert shown("queue=datacenter") == {a2.number}
    assert shown("priority=high") == {a2.number}
    assert shown("mine=1") == {a1.number}
    assert shown("unclaimed=1") == {a2.number, b1.number}
    assert shown(f"org={org_a.id}") == {a1.number, a2.number}
    assert shown("status=in_progress") == set()
    assert signed_in.get("/queue?queue=nope").status_code == 404


def test_closed_tickets_only_with_a_status_filter(signed_in: Any, agent: Any, make_ticket: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service
    from ticketdesk.tickets.history import ActorRef

    ticket = make_ticket()
    service.change_status(db.session, ticket, "closed", ActorRef.agent(agent), now=utcnow())
    db.session.commit()
    assert _numbers(signed_in.get("/queue").get_data(as_text=True)) == []
    assert _numbers(signed_in.get("/queue?status=closed").get_data(as_text=True)) == [ticket.number]
    assert _numbers(signed_in.get("/queue?status=all").get_data(as_text=True)) == [ticket.number]


def test_keyset_pages_cover_everything_once(signed_in: Any, make_contact: Any, make_ticket: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.tickets.views import PAGE_SIZE

    contact = make_contact()
    made = [
        make_ticket(contact, subject=f"Ticket {i}", priority=("high", "normal", "low")[i % 3])
        for i in range(PAGE_SIZE + 7)
    ]
    # a few share the same due time: the id breaks the tie
    for t in made[:5]:
        t.first_response_due = made[0].first_response_due
    made[6].first_response_due = None
    db.session.commit()
    seen: list[int] = []
    url = "/queue"
    while url:
        html = signed_in.get(url).get_data(as_text=True)
        seen += _numbers(html)
        nxt = re.search(r'href="([^"]+)" rel="next"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else ""
    assert sorted(seen) == sorted(t.number for t in made) and len(seen) == len(set(seen))
    assert signed_in.get("/queue?after=garbage").status_code == 400


def test_counts_per_queue(signed_in: Any, agent: Any, make_contact: Any, make_ticket: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service
    from ticketdesk.tickets.models import Queue
    from ticketdesk.tickets.search import queue_counts

    contact = make_contact()
    t1 = make_ticket(contact, queue="support")
    make_ticket(contact, queue="support", priority="urgent")
    make_ticket(contact, queue="datacenter")
    service.claim(db.session, t1.number, agent, now=utcnow())
    db.session.commit()
    by_slug = {q.slug: q.id for q in db.session.query(Queue)}
    counts = queue_counts(db.session, agent_id=agent.id)
    support = counts[by_slug["support"]]
    assert (support.open, support.unclaimed, support.mine, support.urgent) == (2, 1, 1, 1)
    assert counts[by_slug["datacenter"]].open == 1 and by_slug["consulting"] not in counts
    html = signed_in.get("/queue").get_data(as_text=True)
    assert re.search(
        r'data-queue="support">\s*<span>Support</span>\s*<span class="count">.*?2</span>', html, re.S
    )


def test_no_n_plus_one(signed_in: Any, make_contact: Any, make_ticket: Any, make_org: Any) -> None:
    from ticketdesk.extensions import db

    def statements(n_tickets: int) -> int:
        for _ in range(n_tickets):
            make_ticket(make_contact(make_org()))
        count = 0

        def counter(*_a: Any) -> None:
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            assert signed_in.get("/queue").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count

    few = statements(2)
    many = statements(20)
    assert many <= few + 1, (few, many)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("outage", {"subject"}),
        ("VÝPADEK", {"body"}),
        ("vypad", {"body"}),  # prefix of "výpadek"
        ("zaloh", {"body"}),  # prefix of "zalohy" (zálohy)
        ("jana.novakova@acme", {"subject"}),
        ("Nováková", {"subject"}),
        ("ACME Hosting", {"subject"}),
        ("replytext", {"reply"}),
        ("server outage", {"subject"}),
        ("server nonsense", set()),
        ("'\" OR 1=1 --", set()),
        ("***", None),
    ],
)
def test_full_text_search(
    signed_in: Any,
    make_org: Any,
    make_contact: Any,
    make_ticket: Any,
    agent: Any,
    query: str,
    expected: set[str] | None,
) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service

    org = make_org(name="ACME Hosting s.r.o.")
    jana = make_contact(org, email="jana.novakova@acme.test", name="Jana Nováková")
    other = make_contact(make_org(name="Other"), email="petr@other.test", name="Petr")
    tickets = {
        "subject": make_ticket(jana, subject="Server outage in rack 4", text="Nothing works."),
        "body": make_ticket(other, subject="Dotaz", text="Hlásíme VÝPADEK, zálohy nejdou."),
        "reply": make_ticket(other, subject="Another", text="Hello"),
    }
    service.add_agent_message(
        db.session, tickets["reply"], agent, kind="reply", text="replytext here", now=utcnow()
    )
    db.session.commit()
    from urllib.parse import quote

    found = set(_numbers(signed_in.get(f"/queue?q={quote(query)}").get_data(as_text=True)))
    if expected is None:  # nothing searchable: the plain queue
        assert found == {t.number for t in tickets.values()}
    else:
        assert found == {tickets[k].number for k in expected}


def test_search_by_number(signed_in: Any, make_ticket: Any) -> None:
    first, second = make_ticket(), make_ticket()
    assert _numbers(signed_in.get(f"/queue?q={second.number}").get_data(as_text=True)) == [second.number]
    assert first.number != second.number


def test_search_index_rebuild_matches_live_index(app: Any, make_ticket: Any, make_contact: Any) -> None:
    from sqlalchemy import select

    from ticketdesk.extensions import db
    from ticketdesk.tickets.search import rebuild, ticket_search

    make_ticket(make_contact(name="Žluťoučký Kůň"), subject="Přístup k serveru", text="Prosím o přístup.")
    before = db.session.execute(select(ticket_search).order_by(ticket_search.c.ticket_id)).all()
    assert rebuild(db.session) == 1
    db.session.commit()
    after = db.session.execute(select(ticket_search).order_by(ticket_search.c.ticket_id)).all()
    assert before == after and "zlutoucky kun" in after[0].people and "pristup k serveru" == after[0].subject


def test_overdue_is_marked(signed_in: Any, make_ticket: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow

    ticket = make_ticket()
    ticket.first_response_due = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert 'class="due overdue"' in signed_in.get("/queue").get_data(as_text=True)


def _open_uncommitted(contact: Any, subject: str, text: str) -> Any:
    """A ticket created in the current transaction (not committed: what happens next decides)."""
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service
    from ticketdesk.tickets.history import ActorRef
    from ticketdesk.tickets.queues import queue_by_slug

    ticket, _ = service.create_ticket(
        db.session,
        organization=contact.organization,
        requester=contact,
        queue=queue_by_slug(db.session, "support"),
        subject=subject,
        message=service.NewMessage(text=text, from_addr=contact.primary_email),
        actor=ActorRef.client(contact),
        now=utcnow(),
    )
    return ticket


def test_ticket_opened_and_answered_in_one_transaction_is_indexed_once_with_both_messages(
    app: Any, make_contact: Any, agent: Any
) -> None:
    from sqlalchemy import select

    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets import service
    from ticketdesk.tickets.search import matching_ids, ticket_search

    ticket = _open_uncommitted(make_contact(name="Jana Nováková"), "Záloha", "Obnova zálohy prosím")
    service.add_agent_message(db.session, ticket, agent, kind="reply", text="Hotovo, obnoveno", now=utcnow())
    db.session.commit()

    row = db.session.execute(select(ticket_search)).one()
    assert (row.number, row.subject, row.messages) == (str(ticket.number), "zaloha", 2)
    for query in ("obnova", "obnoveno", "novakova", str(ticket.number)):
        assert list(db.session.scalars(matching_ids(db.session, query))) == [ticket.id], query


def test_nothing_is_indexed_for_a_rolled_back_ticket(app: Any, make_ticket: Any, make_contact: Any) -> None:
    from sqlalchemy import func, select

    from ticketdesk.extensions import db
    from ticketdesk.tickets.search import ticket_search

    make_ticket(subject="Kept")
    contact = make_contact()
    db.session.commit()
    _open_uncommitted(contact, "Dropped", "never mind")
    db.session.rollback()
    make_ticket(subject="Kept too")
    assert db.session.scalar(select(func.count()).select_from(ticket_search)) == 2
