"""Prepare a database for tests that run ``ticketdesk serve`` as a separate process.

``python -m tests.web.workspace.seed [--tickets N]`` with TICKETDESK_* in the environment: migrates,
creates an organisation, a contact, two agents (with API tokens) and N tickets, and prints them as JSON.
"""

from __future__ import annotations

import argparse
import json

PASSWORD = "correct horse battery"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from ticketdesk.accounts.service import create_agent, create_token
    from ticketdesk.app import create_app
    from ticketdesk.contacts.service import create_contact, create_organization
    from ticketdesk.extensions import db
    from ticketdesk.paths import migrations_dir
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.settings import load_settings
    from ticketdesk.tickets import service
    from ticketdesk.tickets.history import ActorRef
    from ticketdesk.tickets.queues import ensure_queues, queue_by_slug

    app = create_app(load_settings())
    with app.app_context():
        upgrade(directory=str(migrations_dir()))
        settings = app.extensions["ticketdesk.settings"]
        queues = ensure_queues(db.session, settings.support_addresses)
        org = create_organization(db.session, name="Race s.r.o.", client_number="R0001")
        contact = create_contact(db.session, org, name="Jana", emails=["jana@race.test"])
        agents = []
        for n in (1, 2):
            agent = create_agent(
                db.session,
                email=f"agent{n}@support.test",
                name=f"Agent {n}",
                password=PASSWORD,
                queues=queues,
            )
            agents.append(
                {
                    "id": agent.id,
                    "email": agent.email,
                    "password": PASSWORD,
                    "token": create_token(db.session, agent, name="test", now=utcnow()),
                }
            )
        numbers = []
        for i in range(args.tickets):
            ticket, _ = service.create_ticket(
                db.session,
                organization=org,
                requester=contact,
                queue=queue_by_slug(db.session, "support"),
                subject=f"Question {i} about invoices",
                actor=ActorRef.client(contact),
                now=utcnow(),
                message=service.NewMessage(
                    text="Hello, a question about our invoice.", from_addr="jana@race.test"
                ),
                priority="normal",
            )
            numbers.append(ticket.number)
        db.session.commit()
        db.engine.dispose()
    print(json.dumps({"agents": agents, "tickets": numbers}))


if __name__ == "__main__":
    main()
