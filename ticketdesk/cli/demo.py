"""``ticketdesk demo``: load demo data (an organisation, technical contacts, agents, tickets)."""

from __future__ import annotations

import click

from ticketdesk.cli.common import make_app


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no tickets yet.")
def demo_command(if_empty: bool) -> None:
    """Load believable demo data: two organisations, contacts with phones, three agents, tickets."""
    from sqlalchemy import func, select

    from ticketdesk.cli.dbsetup import prepare_database
    from ticketdesk.demo import AGENTS, DEMO_PASSWORD, load_demo
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.tickets.models import Ticket

    app = make_app()
    prepare_database(app, migrate=app.extensions["ticketdesk.settings"].is_sqlite)
    with app.app_context():
        if if_empty and db.session.scalar(select(func.count()).select_from(Ticket)):
            click.echo("demo: the database already has tickets; nothing loaded")
            return
        result = load_demo(db.session, now=utcnow())
        db.session.commit()
    if not result["created"]:
        click.echo("demo: demo data is already loaded")
    else:
        click.echo("demo: loaded 2 organisations, 5 contacts, 3 agents and tickets in every status")
    click.echo("log in at http://127.0.0.1:5000/login as:")
    for email, name, role in AGENTS:
        click.echo(f"  {email:32} password: {DEMO_PASSWORD}   ({role}, {name})")
    click.echo(
        "customers log in at /portal/ with e.g. jana@acme.example (the link arrives in instance/outbox.mbox)"
    )


def register(group: click.Group) -> None:
    group.add_command(demo_command)
