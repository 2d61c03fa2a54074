"""Declarative base with a naming convention and a timezone-aware UTC datetime column."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_SQLITE_FORMAT = SQLITE_DATETIME()._storage_format


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; refuses naive ones so local time never sneaks in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite with its default storage format: ``process_bind_param`` and SQLite's own DATETIME
        formatting in one step (the same text, ``YYYY-MM-DD HH:MM:SS.ffffff``, at half the cost per
        value: batches of delivery reports bind several per row). Elsewhere the usual two steps."""
        impl = self.impl_instance
        if not (isinstance(impl, SQLITE_DATETIME) and impl._storage_format == _SQLITE_FORMAT):
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            plain = self.process_bind_param(value, dialect)
            return None if plain is None else plain.isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


# Tables that migrations manage with raw SQL (full-text indexes: SQLite FTS5 shadow tables, etc.);
# autogenerate and the drift check leave them alone.
UNMANAGED_TABLE_PREFIXES: tuple[str, ...] = ("ticket_search",)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table" and name and name.startswith(UNMANAGED_TABLE_PREFIXES):
        return False
    table = getattr(obj, "table", None)
    if (
        type_ in ("index", "column")
        and table is not None
        and str(table.name).startswith(UNMANAGED_TABLE_PREFIXES)
    ):
        return False
    return True
