"""Shared CLI plumbing: build the app once, turn user mistakes into one clear line and an exit code."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import Flask

from ticketdesk.errors import DomainError
from ticketdesk.settings import SettingsError, load_settings

EXIT_USAGE = 2
EXIT_CONFIG = 78  # EX_CONFIG


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if level != "DEBUG":
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO


def make_app() -> Flask:
    from ticketdesk.app import create_app

    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)


def warm_up_in_background() -> None:
    """Load the compact lemma tables now (about 0.1 s, 25 MB) so the first message is not slow."""
    import threading

    from ticketdesk.priority import warm_up

    threading.Thread(target=warm_up, name="priority-warm-up", daemon=True).start()


def fail(message: str, code: int = EXIT_USAGE) -> None:
    click.echo(f"ticketdesk: error: {message}", err=True)
    sys.exit(code)


def run_cli(group: Callable[..., Any]) -> int:
    try:
        group(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except SettingsError as err:
        click.echo(f"ticketdesk: configuration error: {err}", err=True)
        return EXIT_CONFIG
    except DomainError as err:
        click.echo(f"ticketdesk: error: {err.message}", err=True)
        return EXIT_USAGE
    except SystemExit as err:
        return int(err.code or 0) if isinstance(err.code, int) or err.code is None else 1
    return 0
