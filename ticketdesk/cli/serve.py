"""``ticketdesk serve``: web UI, JSON API and websockets; on the embedded default also the intake
and the worker in the same process."""

from __future__ import annotations

import click

from ticketdesk.cli.common import EXIT_CONFIG, fail, make_app, warm_up_in_background


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
@click.option(
    "--migrate/--no-migrate",
    default=None,
    help="Upgrade the schema at start (default: only on the embedded SQLite database).",
)
def serve_command(host: str, port: int, migrate: bool | None) -> None:
    """Run the web UI, API and websockets (plus intake and worker on the embedded default)."""
    from ticketdesk.cli.dbsetup import prepare_database
    from ticketdesk.extensions import socketio
    from ticketdesk.jobs.loop import start_thread

    app = make_app()
    settings = app.extensions["ticketdesk.settings"]
    try:
        prepare_database(app, migrate=settings.is_sqlite if migrate is None else migrate)
    except RuntimeError as err:
        fail(str(err), EXIT_CONFIG)
    except Exception as err:  # unreachable database and similar: one clear line, no traceback
        fail(f"cannot open the database ({type(err).__name__}: {str(err).splitlines()[0]})", EXIT_CONFIG)
    warm_up_in_background()
    if settings.embedded_worker:
        start_thread(app)
    if settings.embedded_intake:
        from ticketdesk.intake.server import start_in_thread

        try:
            start_in_thread(app, settings.intake_host, settings.intake_port)
        except OSError as err:
            fail(
                f"cannot start the mail intake on {settings.intake_host}:{settings.intake_port}: {err} "
                "(set TICKETDESK_INTAKE_PORT, or TICKETDESK_EMBEDDED_INTAKE=false)",
                EXIT_CONFIG,
            )
        click.echo(f"mail intake (SMTP) on {settings.intake_host}:{settings.intake_port}")
    click.echo(f"ticketdesk on http://{host}:{port}/  (agents: /login, customers: /portal/)")
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False, log_output=False)


def register(group: click.Group) -> None:
    group.add_command(serve_command)
