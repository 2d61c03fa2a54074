"""The batch writes of delivery reports on SQLite (``db.rows.executemany``) hand the driver exactly what
``connection.execute(statement, rows)`` would: the same SQL and the same converted values; and the one-step
SQLite conversion of ``UTCDateTime`` gives the text of the usual two steps."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

import ticketdesk.models  # noqa: F401  (complete metadata)
from ticketdesk.db.base import UTCDateTime
from ticketdesk.db.rows import executemany
from ticketdesk.extensions import db
from ticketdesk.sms import webhooks

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
CEST = timezone(timedelta(hours=2))


def _history(n: int) -> list[dict[str, Any]]:
    return [
        {
            "attempt_id": i,
            "status": "delivered",
            "gateway_status": "undelivered" if i % 3 else None,
            "at": (NOW, NOW - timedelta(seconds=i), datetime(2026, 1, 1, 12, tzinfo=CEST))[i % 3],
            "detail": "",
            "source": "gateway",
            "applied": bool(i % 2),
            "dedupe_key": f"gw:{i}",
            "received_at": NOW,
        }
        for i in range(n)
    ]


def _attempts(n: int) -> list[dict[str, Any]]:
    values = ("failed", NOW, NOW + timedelta(minutes=1), None, None, "no route", "T-Mobile")
    return [
        {
            "attempt_id": i,
            **{f"new_{name}": value for name, value in zip(webhooks._CHANGING, values, strict=True)},
        }
        for i in range(n)
    ]


def _notifications(n: int) -> list[dict[str, Any]]:
    return [{"notification_id": i, "new_status": "delivered", "new_updated_at": NOW} for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 17])
@pytest.mark.parametrize(
    ("statement", "rows"),
    [
        (webhooks._INSERT_HISTORY, _history),
        (webhooks._UPDATE_ATTEMPT, _attempts),
        (webhooks._UPDATE_NOTIFICATION, _notifications),
    ],
    ids=["history", "attempts", "notifications"],
)
def test_same_sql_and_values_as_execute(statement: Any, rows: Any, n: int) -> None:
    engine = create_engine("sqlite://")
    db.metadata.create_all(engine)
    sent: list[tuple[str, Any, bool]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        sent.append((sql, [tuple(p) for p in params] if many else tuple(params), many))

    batch = rows(n)
    with engine.connect() as conn:
        # On the driver's connection, outside any transaction (where SQLite ignores the pragma; the app's
        # engine hook, when imported, begins every transaction itself).
        conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        sent.clear()
        with conn.begin() as tx:
            conn.execute(statement, batch)
            tx.rollback()
        expected, sent[:] = list(sent), []
        with conn.begin() as tx:
            executemany(conn, statement, batch)
            tx.rollback()
    assert expected and sent == expected
    engine.dispose()


def test_sqlite_datetime_text_as_in_two_steps() -> None:
    dialect = sqlite.dialect()
    one_step = UTCDateTime()._cached_bind_processor(dialect)
    two_steps = TypeDecorator.bind_processor(UTCDateTime().dialect_impl(dialect), dialect)
    assert one_step is not None and two_steps is not None
    rng = random.Random(7)
    for _ in range(2000):
        zone = timezone(timedelta(minutes=rng.randint(-900, 900)))
        value = datetime(
            rng.randint(1, 9999),
            rng.randint(1, 12),
            rng.randint(1, 28),
            rng.randint(0, 23),
            rng.randint(0, 59),
            rng.randint(0, 59),
            rng.choice([0, rng.randint(0, 999_999)]),
            tzinfo=zone,
        )
        try:
            expected: Any = two_steps(value)
        except OverflowError:
            with pytest.raises(OverflowError):
                one_step(value)
            continue
        assert one_step(value) == expected
    assert one_step(None) is None
    with pytest.raises(ValueError, match="naive"):
        one_step(datetime(2026, 1, 1))
