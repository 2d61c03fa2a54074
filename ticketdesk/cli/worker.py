"""``ticketdesk worker``: delivers mail and SMS and runs timed jobs."""

from __future__ import annotations

import threading

import click

from ticketdesk.cli.common import make_app, warm_up_in_background


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one pass (everything due now) and exit.")
@click.option(
    "--interval",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 600),
    help="Seconds to wait when nothing is due.",
)
def worker_command(once: bool, interval: float) -> None:
    """Deliver outgoing mail and SMS; run auto-close, scheduled tickets, SLA escalation and monitors."""
    from ticketdesk.jobs.loop import run_forever
    from ticketdesk.jobs.runner import run_once

    app = make_app()
    if once:
        with app.app_context():
            ran = run_once(app)
        click.echo(f"worker: ran {ran} job(s)")
        return
    warm_up_in_background()
    stop = threading.Event()
    try:
        run_forever(app, stop, interval=interval)
    except KeyboardInterrupt:
        stop.set()


def register(group: click.Group) -> None:
    group.add_command(worker_command)
