"""``ticketdesk ingest``, ``ticketdesk smtpd`` and ``ticketdesk imap-poll``: the ways mail comes in."""

from __future__ import annotations

import sys
import threading

import click

from ticketdesk.cli.common import EXIT_CONFIG, fail, make_app

EX_TEMPFAIL = 75
EX_DATAERR = 65


@click.command("ingest")
@click.option("--from", "mail_from", default=None, help="Envelope sender given by the MTA (optional).")
@click.option("--to", "rcpt_to", multiple=True, help="Envelope recipient(s) given by the MTA (optional).")
def ingest_command(mail_from: str | None, rcpt_to: tuple[str, ...]) -> None:
    """Read one RFC 5322 message on stdin (MTA pipe). Exit 0 when stored, 75 when it must be retried."""
    from ticketdesk.intake.service import receive
    from ticketdesk.intake.store import Envelope, StoreFailed

    raw = sys.stdin.buffer.read()
    if not raw.strip():
        fail("no message on stdin")
    try:
        app = make_app()
    except Exception as err:  # configuration problem: the MTA should keep the mail and retry
        click.echo(f"ticketdesk ingest: cannot start: {err}", err=True)
        sys.exit(EX_TEMPFAIL)
    settings = app.extensions["ticketdesk.settings"]
    if len(raw) > settings.max_message_bytes:
        click.echo(
            f"ticketdesk ingest: message larger than {settings.max_message_bytes} bytes; refused", err=True
        )
        sys.exit(EX_DATAERR)  # the MTA bounces it, so the sender knows
    try:
        outcome = receive(
            app,
            raw,
            Envelope(source="ingest", mail_from=mail_from, rcpt_to=tuple(r.lower() for r in rcpt_to)),
        )
    except StoreFailed as err:
        click.echo(f"ticketdesk ingest: not stored, try again later: {err}", err=True)
        sys.exit(EX_TEMPFAIL)
    except Exception as err:  # e.g. the database is unreachable: the MTA keeps the mail and retries
        click.echo(f"ticketdesk ingest: not stored, try again later: {type(err).__name__}", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(
        f"stored as intake #{outcome.raw_id}: {outcome.disposition}"
        + (f" (ticket {outcome.ticket_number})" if outcome.ticket_number else "")
    )


@click.command("smtpd")
@click.option("--host", default=None, help="Address to listen on (default TICKETDESK_INTAKE_HOST).")
@click.option(
    "--port", default=None, type=click.IntRange(1, 65535), help="Port (default TICKETDESK_INTAKE_PORT)."
)
@click.option("--lmtp", is_flag=True, help="Speak LMTP (one answer per recipient) instead of SMTP.")
def smtpd_command(host: str | None, port: int | None, lmtp: bool) -> None:
    """Run the inbound SMTP/LMTP server."""
    from ticketdesk.cli.dbsetup import prepare_database
    from ticketdesk.intake.server import start_in_thread

    app = make_app()
    settings = app.extensions["ticketdesk.settings"]
    try:
        prepare_database(app, migrate=settings.is_sqlite)
    except RuntimeError as err:
        fail(str(err), EXIT_CONFIG)
    host, port = host or settings.intake_host, port or settings.intake_port
    try:
        controller = start_in_thread(app, host, port, lmtp=lmtp)
    except (OSError, RuntimeError) as err:
        fail(f"cannot listen on {host}:{port}: {err}", EXIT_CONFIG)
    click.echo(f"ticketdesk {'LMTP' if lmtp else 'SMTP'} intake on {host}:{port}", err=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        controller.stop()


@click.command("imap-poll")
@click.option("--once", is_flag=True, help="Fetch what is there now and exit.")
@click.option("--interval", default=60.0, show_default=True, type=click.FloatRange(5, 3600))
def imap_poll_command(once: bool, interval: float) -> None:
    """Fetch mail from the IMAP mailbox in TICKETDESK_IMAP_URL (flagged or moved once stored, never deleted)."""
    from ticketdesk.intake.sources.imap import poll_once

    app = make_app()
    settings = app.extensions["ticketdesk.settings"]
    if not settings.imap_url:
        fail("set TICKETDESK_IMAP_URL (e.g. imaps://user:password@mail.example.com/INBOX)", EXIT_CONFIG)
    stop = threading.Event()
    while True:
        try:
            result = poll_once(app, settings.imap_url, done_folder=settings.imap_done_folder)
            click.echo(
                f"imap-poll: {result.stored} stored, {result.failed} failed of {result.fetched}", err=True
            )
        except Exception as err:  # mailbox unreachable: report and try again
            click.echo(f"imap-poll: {type(err).__name__}: {err}", err=True)
            if once:
                sys.exit(EX_TEMPFAIL)
        if once:
            return
        stop.wait(interval)


def register(group: click.Group) -> None:
    group.add_command(ingest_command)
    group.add_command(smtpd_command)
    group.add_command(imap_poll_command)
