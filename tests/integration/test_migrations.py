"""Migrations go up and down on SQLite and PostgreSQL, and the models never drift from them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import IN_CI, _drop_postgres, _fresh_postgres, make_test_settings


def _postgres_base() -> str | None:
    return os.environ.get("TICKETDESK_TEST_DATABASE_URL") or (
        "postgresql://postgres@127.0.0.1/ticketdesk_ci" if IN_CI else None
    )


def _check(tmp_path: Path, url: str) -> None:
    from ticketdesk.app import create_app
    from ticketdesk.extensions import db
    from ticketdesk.paths import migrations_dir

    app = create_app(make_test_settings(tmp_path / "inst", url))
    directory = str(migrations_dir())
    with app.app_context():
        upgrade(directory=directory)
        tables = set(inspect(db.engine).get_table_names())
        assert {"tickets", "messages", "raw_messages", "sms_attempts", "calls", "announcements"} <= tables
        with db.engine.connect() as conn:
            from ticketdesk.db.base import include_object

            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations drifted apart: {diff}"
        downgrade(directory=directory, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=directory)
        db.engine.dispose()


def test_migrations_on_sqlite(tmp_path: Path) -> None:
    _check(tmp_path, f"sqlite:///{tmp_path / 'm.sqlite3'}")


def test_migrations_on_postgresql(tmp_path: Path) -> None:
    base = _postgres_base()
    if base is None:
        pytest.skip("PostgreSQL migrations run when TICKETDESK_TEST_DATABASE_URL is set (always in CI)")
    url, name = _fresh_postgres(base)
    try:
        _check(tmp_path, url)
    finally:
        _drop_postgres(base, name)
