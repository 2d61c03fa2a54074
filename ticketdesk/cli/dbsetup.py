"""Bring the database to the newest schema and sync queues from the configuration."""

from __future__ import annotations

import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade

from ticketdesk.extensions import db
from ticketdesk.paths import migrations_dir

log = logging.getLogger(__name__)


def schema_is_current() -> bool:
    script = ScriptDirectory.from_config(_alembic_config())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current == set(script.get_heads())


def _alembic_config():  # type: ignore[no-untyped-def]
    from flask import current_app

    return current_app.extensions["migrate"].migrate.get_config(str(migrations_dir()))


def prepare_database(app: Flask, *, migrate: bool) -> None:
    """Upgrade (when allowed) and create the configured queues; raise when the schema is behind."""
    from ticketdesk.tickets.queues import ensure_queues

    with app.app_context():
        if not schema_is_current():
            if not migrate:
                raise RuntimeError("the database schema is not current; run: flask --app wsgi db upgrade")
            log.info("migrating the database to the newest schema")
            upgrade(directory=str(migrations_dir()))
        ensure_queues(db.session, app.extensions["ticketdesk.settings"].support_addresses)
        db.session.commit()
