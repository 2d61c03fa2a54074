"""Queue page render time with many tickets in the database.

    .venv/bin/python bench/queue_page.py [--tickets 100000] [--runs 40] [--database-url postgresql://…]

Tickets (with their first message and search-index row), organisations and contacts are inserted in
bulk with SQL, not through the service. Each scenario is a full GET of the agent's queue page through
the Flask test client (session, query, counts per queue, template); the median and p95 are printed.
The status mix is a long-lived helpdesk's: most tickets closed, a few thousand open.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STATUS_MIX = [
    ("closed", 80),
    ("resolved", 8),
    ("queued", 5),
    ("in_progress", 3),
    ("waiting_for_client", 3),
    ("scheduled", 1),
]
PRIORITIES = [("urgent", 3), ("high", 12), ("normal", 70), ("low", 15)]
RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
WORDS = (
    "server disk backup invoice výpadek zálohy database mail dns certificate firewall palvelin "
    "awaria Störung migration upgrade latency outage billing password vpn"
).split()
# A Zipf-like vocabulary: filler words are the most common, the real words above sit in the middle
# ranks (each in a few per cent of tickets, as a real search term would be), a long tail after them.
VOCABULARY = [f"common{i}" for i in range(40)] + WORDS + [f"rare{i}" for i in range(4000)]
WEIGHTS = [1 / (rank + 1) for rank in range(len(VOCABULARY))]


def pick(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def seed(app, tickets: int, rng: random.Random) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert, select

    from ticketdesk.accounts.service import create_agent
    from ticketdesk.contacts.models import Contact, ContactEmail, Organization
    from ticketdesk.extensions import db
    from ticketdesk.tickets.models import Message, Queue, Ticket
    from ticketdesk.tickets.search import fold, ticket_search

    session = db.session
    queues = list(session.scalars(select(Queue)))
    agents = [
        create_agent(
            session,
            email=f"bench{i}@support.test",
            name=f"Bench Agent {i}",
            password="correct horse battery",
            queues=queues,
        )
        for i in range(10)
    ]
    session.commit()
    n_orgs, n_contacts = max(tickets // 200, 5), max(tickets // 50, 10)
    now = datetime.now(UTC)
    session.execute(
        insert(Organization),
        [
            {
                "id": i + 1,
                "name": f"Customer {i} s.r.o.",
                "client_number": f"B{i:06}",
                "language": "cs",
                "default_region": "CZ",
                "timezone": "Europe/Prague",
                "sender_policy": "default",
                "sms_daily_threshold": 200,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n_orgs)
        ],
    )
    session.execute(
        insert(Contact),
        [
            {
                "id": i + 1,
                "organization_id": i % n_orgs + 1,
                "name": f"Kontakt Číslo {i}",
                "technical": True,
                "active": True,
                "is_admin": False,
                "partner": False,
                "notify_sms": True,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n_contacts)
        ],
    )
    session.execute(
        insert(ContactEmail),
        [
            {"contact_id": i + 1, "address": f"contact{i}@customer{i % n_orgs}.test", "primary": True}
            for i in range(n_contacts)
        ],
    )
    batch = 5000
    for start in range(0, tickets, batch):
        rows, messages, index = [], [], []
        for i in range(start, min(start + batch, tickets)):
            status, priority = pick(rng, STATUS_MIX), pick(rng, PRIORITIES)
            contact = rng.randrange(n_contacts)
            created = now - timedelta(minutes=rng.randrange(60 * 24 * 900))
            due = created + timedelta(hours=rng.choice([1, 4, 8, 24, 72]))
            subject = " ".join(rng.choices(VOCABULARY, WEIGHTS, k=5)).capitalize() + f" {i}"
            text = "Dobrý den, " + " ".join(rng.choices(VOCABULARY, WEIGHTS, k=60))
            claimed = (
                agents[rng.randrange(len(agents))].id
                if status == "in_progress" and rng.random() < 0.7
                else None
            )
            rows.append(
                {
                    "id": i + 1,
                    "number": 1000 + i + 1,
                    "subject": subject,
                    "organization_id": contact % n_orgs + 1,
                    "requester_id": contact + 1,
                    "queue_id": queues[i % len(queues)].id,
                    "status": status,
                    "priority": priority,
                    "priority_rank": RANK[priority],
                    "priority_source": "auto",
                    "channel": "email",
                    "claimed_by_id": claimed,
                    "first_response_due": due,
                    "resolution_due": due + timedelta(days=3),
                    "sla_paused_minutes": 0,
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            messages.append(
                {
                    "ticket_id": i + 1,
                    "direction": "in",
                    "channel": "email",
                    "from_addr": f"contact{contact}@customer{contact % n_orgs}.test",
                    "from_name": f"Kontakt Číslo {contact}",
                    "to_addrs": ["support@support.test"],
                    "cc_addrs": [],
                    "subject": subject,
                    "text": text,
                    "requires_action": False,
                    "created_at": created,
                }
            )
            index.append(
                {
                    "ticket_id": i + 1,
                    "number": str(1000 + i + 1),
                    "subject": fold(subject),
                    "people": fold(
                        f"Kontakt Číslo {contact} contact{contact}@customer{contact % n_orgs}.test "
                        f"Customer {contact % n_orgs} s.r.o."
                    ),
                    "body": " " + fold(text),
                    "messages": 1,
                }
            )
        session.execute(insert(Ticket), rows)
        session.execute(insert(Message), messages)
        session.execute(insert(ticket_search), index)
        session.commit()
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text as sql

        for table in ("tickets", "organizations", "contacts", "contact_emails", "messages"):
            session.execute(
                sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        session.execute(__import__("sqlalchemy").text("ANALYZE"))
        session.commit()
    return {"agent_id": agents[0].id}


def measure(client, url: str, runs: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
    rows = resp.get_data(as_text=True).count("<tr data-number=")
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    import re

    from flask_migrate import upgrade

    from tests.conftest import _drop_postgres, _fresh_postgres, make_test_settings
    from ticketdesk.app import create_app
    from ticketdesk.extensions import db
    from ticketdesk.paths import migrations_dir
    from ticketdesk.tickets.queues import ensure_queues

    tmp = Path(tempfile.mkdtemp(prefix="td-bench-"))
    pg_name = None
    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    if args.database_url:
        url, pg_name = _fresh_postgres(args.database_url)
    app = create_app(make_test_settings(tmp / "instance", url))
    try:
        with app.app_context():
            upgrade(directory=str(migrations_dir()))
            ensure_queues(db.session, app.extensions["ticketdesk.settings"].support_addresses)
            db.session.commit()
            started = time.perf_counter()
            seed(app, args.tickets, random.Random(7))
            print(
                f"{db.engine.dialect.name}: {args.tickets} tickets inserted in {time.perf_counter() - started:.1f} s"
            )
        client = app.test_client()
        with app.app_context():
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            resp = client.post(
                "/login",
                data={
                    "email": "bench0@support.test",
                    "password": "correct horse battery",
                    "csrf_token": token,
                },
            )
            assert resp.status_code == 302
            first = client.get("/queue").get_data(as_text=True)
            cursor = re.search(r'after=([^"&]+)" rel="next"', first)
            page3 = None
            if cursor:
                second = client.get(f"/queue?after={cursor.group(1)}").get_data(as_text=True)
                nxt = re.search(r'after=([^"&]+)" rel="next"', second)
                page3 = f"/queue?after={nxt.group(1)}" if nxt else None
            scenarios = {
                "open tickets, all queues (default)": "/queue",
                "one queue": "/queue?queue=datacenter",
                "unclaimed, high priority": "/queue?unclaimed=1&priority=high",
                "mine": "/queue?mine=1",
                "third page (keyset)": page3 or "/queue",
                "any status, all 100k": "/queue?status=all",
                "full-text: one word": f"/queue?q={quote('výpadek')}",
                "full-text: two words, any status": f"/queue?status=all&q={quote('server zaloh')}",
                "full-text: contact address": "/queue?status=all&q=contact123%40customer",
            }
            print(f"{'scenario':40} {'median ms':>10} {'p95 ms':>8} {'rows':>5}")
            for name, target in scenarios.items():
                med, p95, rows = measure(client, target, args.runs)
                print(f"{name:40} {med:10.1f} {p95:8.1f} {rows:5}")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if pg_name and args.database_url:
            _drop_postgres(args.database_url, pg_name)


if __name__ == "__main__":
    main()
