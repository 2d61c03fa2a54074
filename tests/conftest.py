"""Test harness: one app per session on a fresh database (SQLite, or PostgreSQL when
TICKETDESK_TEST_DATABASE_URL is set, as in CI), migrated with the real migrations.

Isolation: tests drive real servers, threads and concurrent requests (SMTP, Socket.IO, claim races,
browsers), which a per-test outer transaction cannot serve, so every test that uses the database
starts from empty tables instead (fast DELETE on SQLite, TRUNCATE on PostgreSQL).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ticketdesk.settings import Settings, load_settings

IN_CI = os.environ.get("CI", "").lower() == "true"

# Property tests check what comes out, not how fast: a loaded CI machine must not fail one example
# for taking longer than Hypothesis' default 200 ms deadline.
hypothesis_settings.register_profile("ticketdesk", deadline=None)
hypothesis_settings.load_profile("ticketdesk")

# --- no stray network use: only loopback ------------------------------------------------------
_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection
_LOOPBACK = ("127.", "::1", "localhost")


def _guard(address: Any) -> None:
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        host = address[0]
        if not host.startswith(_LOOPBACK):
            raise RuntimeError(f"test tried to reach {host}: only 127.0.0.1 is allowed in tests")


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    _guard(address)
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


# --- database ----------------------------------------------------------------------------------
def _fresh_postgres(base_url: str) -> tuple[str, str]:
    url = make_url(base_url)
    name = f"{url.database or 'ticketdesk'}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        url.set(database="postgres", drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False), name


_TO_DROP: list[tuple[str, str]] = []


def _drop_postgres(base_url: str, name: str) -> None:
    """Drop a test database when the session ends: DROP DATABASE makes the server checkpoint (fsync every
    file dirtied since the last one), which on a busy disk has taken minutes — longer than a test may."""
    _TO_DROP.append((base_url, name))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    while _TO_DROP:
        _drop_now(*_TO_DROP.pop())


def _drop_now(base_url: str, name: str) -> None:
    admin = create_engine(
        make_url(base_url).set(database="postgres", drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_test_settings(instance: Path, database_url: str, **extra: Any) -> Settings:
    env = {
        "TICKETDESK_INSTANCE_PATH": str(instance),
        "TICKETDESK_DATABASE_URL": database_url,
        "TICKETDESK_SECRET_KEY": "test-secret-key-not-for-production",
        "TICKETDESK_PUBLIC_URL": "http://127.0.0.1:5000",
        "TICKETDESK_SUPPORT_ADDRESSES": "support@support.test=support,datacenter@support.test=datacenter,"
        "consulting@support.test=consulting",
        "TICKETDESK_MAIL_FROM": "support@support.test",
        "TICKETDESK_SMS_WEBHOOK_SECRET": "sms-webhook-secret",
        "TICKETDESK_CTI_TOKEN": "cti-token",
        "TICKETDESK_DNS_SERVERS": "127.0.0.1:9",
        "TICKETDESK_DNS_TIMEOUT": "0.5",
        "TICKETDESK_LOG_LEVEL": "WARNING",
    }
    env.update({f"TICKETDESK_{k.upper()}": str(v) for k, v in extra.items()})
    return load_settings(env).with_(testing=True)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("TICKETDESK_TEST_DATABASE_URL")
    if base:
        url, name = _fresh_postgres(base)
        yield url
        _drop_postgres(base, name)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Settings:
    return make_test_settings(tmp_path_factory.mktemp("instance"), database_url)


@pytest.fixture(scope="session")
def _app(settings: Settings) -> Iterator[Flask]:
    from flask_migrate import upgrade

    from ticketdesk.app import create_app
    from ticketdesk.extensions import db
    from ticketdesk.paths import migrations_dir

    app = create_app(settings)
    with app.app_context():
        upgrade(directory=str(migrations_dir()))
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables(app: Flask) -> None:
    from ticketdesk.admin.store import clear_cache
    from ticketdesk.extensions import db

    with app.app_context():
        clear_cache()
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
                )
            else:
                conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
                for table in reversed(tables):
                    conn.exec_driver_sql(f'DELETE FROM "{table}"')  # noqa: S608  (our own table names)
                if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'").first():
                    conn.exec_driver_sql("DELETE FROM sqlite_sequence")


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The app with empty tables and the configured queues; cleaned after the test."""
    from ticketdesk.extensions import db
    from ticketdesk.tickets.queues import ensure_queues

    _empty_tables(_app)
    with _app.app_context():
        ensure_queues(db.session, _app.extensions["ticketdesk.settings"].support_addresses)
        db.session.commit()
    ctx = _app.app_context()
    ctx.push()
    try:
        yield _app
    finally:
        db.session.rollback()
        db.session.remove()
        ctx.pop()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def in_ci() -> bool:
    return IN_CI


def require_service(name: str, available: bool) -> None:
    """Skip on a laptop without the service; in CI a missing service is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{name} is required in CI but is not available")
    pytest.skip(f"{name} not available on this machine")


pytest_plugins = ["tests.fixtures.factories", "tests.fixtures.smtpsink"]


@pytest.fixture(autouse=True)
def _real_socketio() -> None:
    """Undo what an earlier ``socketio.test_client`` did to the shared Socket.IO server (it replaces the
    packet senders with ones that only feed test clients, so real browsers would never hear back)."""
    from ticketdesk.extensions import socketio

    server = socketio.server
    if server is None:
        return
    for name in ("_send_packet", "_send_eio_packet"):
        server.__dict__.pop(name, None)
    server.async_handlers = True
    server.eio.async_handlers = True
