"""The ``ticketdesk`` command group; one module per subcommand."""

from __future__ import annotations

import sys

import click

from ticketdesk.cli import admin, demo, intake, priority, serve, worker
from ticketdesk.cli.common import run_cli


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ticketdesk")
def cli() -> None:
    """ticketdesk: support tickets by e-mail with sender checks, a live agent workspace and SMS alerts."""


for module in (serve, worker, intake, priority, demo, admin):
    module.register(cli)


def main() -> None:
    sys.exit(run_cli(cli))
