"""``ticketdesk create-admin`` and ``ticketdesk token create``."""

from __future__ import annotations

import click

from ticketdesk.cli.common import fail, make_app


@click.command("create-admin")
@click.option("--email", required=True, help="The admin's e-mail address (login).")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--name", default="", help="Display name.")
def create_admin(email: str, password: str, name: str) -> None:
    """Create an admin agent (or make an existing agent admin and set the password)."""
    from ticketdesk.accounts.service import create_agent, find_agent, set_password
    from ticketdesk.cli.dbsetup import prepare_database
    from ticketdesk.extensions import db
    from ticketdesk.tickets.models import Queue

    app = make_app()
    settings = app.extensions["ticketdesk.settings"]
    prepare_database(app, migrate=settings.is_sqlite)
    with app.app_context():
        agent = find_agent(db.session, email)
        if agent is None:
            queues = list(db.session.scalars(db.select(Queue)))
            agent = create_agent(
                db.session, email=email, name=name, password=password, role="admin", queues=queues
            )
            verb = "created"
        else:
            set_password(agent, password)
            agent.role = "admin"
            verb = "updated"
        db.session.commit()
        click.echo(f"admin {agent.email} {verb}")


@click.group("token")
def token_group() -> None:
    """API tokens."""


@token_group.command("create")
@click.option("--email", required=True, help="The agent the token acts as.")
@click.option("--name", default="cli", help="A label for the token.")
def token_create(email: str, name: str) -> None:
    """Print a new API token for the agent (shown once; only its hash is stored)."""
    from ticketdesk.accounts.service import create_token, find_agent
    from ticketdesk.cli.dbsetup import prepare_database
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow

    app = make_app()
    prepare_database(app, migrate=app.extensions["ticketdesk.settings"].is_sqlite)
    with app.app_context():
        agent = find_agent(db.session, email)
        if agent is None:
            fail(f"no agent with the e-mail address {email}")
        token = create_token(db.session, agent, name=name, now=utcnow())
        db.session.commit()
    click.echo(token)


def register(group: click.Group) -> None:
    group.add_command(create_admin)
    group.add_command(token_group)
