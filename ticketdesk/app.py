"""The application factory: settings → extensions → ports → blueprints. It wires and does nothing else
(no migrations, DNS, sockets or sleeps)."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ticketdesk.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
from ticketdesk.paths import migrations_dir, static_dir, templates_dir
from ticketdesk.ports.registry import Ports, default_ports
from ticketdesk.settings import Settings, load_settings


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        # We issue BEGIN ourselves (below): pysqlite's own transaction handling breaks savepoints.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    """SQLite: take the write lock at the start of every transaction, so concurrent writers wait
    (busy_timeout) instead of failing on a lock upgrade; WAL keeps readers outside transactions free."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _config(settings: Settings) -> dict[str, Any]:
    engine: dict[str, Any] = {"pool_pre_ping": True}
    if settings.is_sqlite:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
        engine = {"connect_args": {"timeout": 15, "check_same_thread": False}}
    return {
        "SECRET_KEY": settings.secret_key,
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "MAX_CONTENT_LENGTH": settings.max_message_bytes,
        "RATELIMIT_STORAGE_URI": settings.redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_CHECK_DEFAULT": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.public_url.startswith("https://"),
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": settings.default_language,
        "BABEL_TRANSLATION_DIRECTORIES": str(templates_dir().parent / "translations"),
        "JSON_SORT_KEYS": False,
        "TESTING": settings.testing,
    }


def create_app(settings: Settings | None = None, ports: Ports | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(
        "ticketdesk",
        template_folder=str(templates_dir()),
        static_folder=str(static_dir()),
        instance_path=str(settings.instance_path),
    )
    app.config.update(_config(settings))
    app.extensions["ticketdesk.settings"] = settings
    logging.getLogger("ticketdesk").setLevel(settings.log_level)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(migrations_dir()), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=settings.redis_url,
        cors_allowed_origins=[settings.public_url, "http://127.0.0.1:5000", "http://localhost:5000"],
        logger=False,
        engineio_logger=False,
    )
    from ticketdesk.api import sms_fastpath

    # Delivery reports skip Flask's request machinery and the Socket.IO layer (which copies the environ
    # and builds a class per request). Installed outside Socket.IO's middleware; tests and tools that
    # re-point ``app.wsgi_app.engineio_app`` reach the Socket.IO layer through the fast path's property.
    sms_fastpath.install(app)
    app.extensions["ticketdesk.ports"] = ports or default_ports(settings)

    from ticketdesk import models  # noqa: F401  (complete metadata)
    from ticketdesk.blueprints import register_blueprints
    from ticketdesk.errors import register_error_handlers

    register_blueprints(app)
    register_error_handlers(app)
    return app


def _locale() -> str | None:
    from flask import request

    chosen = getattr(g, "locale", None)
    if chosen:
        return chosen
    return request.accept_languages.best_match(["en", "cs"]) if request else None
