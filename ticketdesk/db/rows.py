"""Writing rows on hot paths without the unit of work.

``insert_loaded(session, obj)`` writes a new mapped object with one prepared Core INSERT … RETURNING and
attaches it to the session as persistent and fully loaded, as if a flush had written it and nothing had
expired: reading its columns and the many-to-one relationships it was given costs no query, and later
changes to it are flushed as usual. Intake writes a ticket, its first message, the acknowledgement and
its job this way (each ORM flush of a single row costs several times the statement itself). The statements
run on the session's connection, in its transaction, without the ORM's execute layer (a Core statement
needs none of it; nor does it autoflush: pending ORM changes are written by the next flush, as before).

What it does not do, because the unit of work would: session events (``after_flush`` listeners do not
see the row — callers tell ``tickets.search`` themselves) and cascades of collections set on the object
before the insert (add children afterwards; they then cascade normally).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Insert, Table, bindparam, insert, inspect, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import MANYTOONE

T = TypeVar("T")


@lru_cache(maxsize=64)
def _plan(mapper: Mapper[Any]) -> tuple[Insert, str, tuple[tuple[str, str, Any], ...], tuple[Any, ...]]:
    """(INSERT of every non-key column RETURNING the key, key attribute, (attribute, column, default)…,
    many-to-one relationships whose foreign keys are taken from the related object)."""
    table = mapper.local_table
    assert isinstance(table, Table)
    (pk,) = table.primary_key.columns
    columns = []
    for column in table.columns:
        if column is pk:
            continue
        default = column.default
        if (default is not None and not (default.is_scalar or default.is_callable)) or (
            default is None and column.server_default is not None
        ):
            raise TypeError(f"{table.name}.{column.name}: only Python-side defaults are supported")
        columns.append((mapper.get_property_by_column(column).key, column.key, default))
    stmt = insert(table).values({c: bindparam(c) for _, c, _ in columns}).returning(pk)
    many_to_one = tuple(r for r in mapper.relationships if r.direction is MANYTOONE)
    return stmt, mapper.get_property_by_column(pk).key, tuple(columns), many_to_one


def insert_loaded(session: Session, obj: T) -> T:
    """INSERT the new object ``obj`` now and make it persistent and loaded in ``session`` (see above)."""
    state = inspect(obj)
    stmt, pk_key, columns, many_to_one = _plan(state.mapper)
    given = state.dict
    for rel in many_to_one:  # ticket.queue = queue → queue_id, as the flush would
        if rel.key in given:
            target = given[rel.key]
            if target is not None and inspect(target).key is None:
                session.flush()  # the related object is new itself: written first, as the flush would
            for local, remote in rel.local_remote_pairs:
                key = state.mapper.get_property_by_column(local).key
                if key not in given or given[key] is None:
                    remote_key = rel.mapper.get_property_by_column(remote).key
                    given[key] = None if target is None else getattr(target, remote_key)
    params: dict[str, Any] = {}
    for key, column, default in columns:
        if key in given:
            value = given[key]
        elif default is None:
            value = given[key] = None
        else:
            value = given[key] = default.arg(None) if default.is_callable else default.arg
        params[column] = value
    # written straight into the instance's dict: make_transient_to_detached() starts its history afresh
    given[pk_key] = session.connection().execute(stmt, params).scalar_one()
    make_transient_to_detached(obj)
    session.add(obj)
    _written_in_transaction(session, state, new=True)
    return obj


def _written_in_transaction(session: Session, state: Any, *, new: bool) -> None:
    """Tell the session's innermost transaction, as its flush would, so a rollback (also of a savepoint)
    expunges the new row's object or expires the updated one instead of keeping values that were undone."""
    real = state.session  # (``session`` may be a scoped_session proxy)
    transaction = real.get_nested_transaction() or real.get_transaction()
    if transaction is not None:
        (transaction._new if new else transaction._dirty)[state] = True  # noqa: SLF001


@lru_cache(maxsize=32)
def _insert_ignoring(dialect: str, table: Table, conflict: tuple[str, ...], returning: str | None) -> Any:
    dml = postgresql if dialect == "postgresql" else sqlite
    columns = [c for c in table.columns if c is not table.autoincrement_column]
    stmt = dml.insert(table).values({c.key: bindparam(c.key) for c in columns})
    stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    return stmt.returning(table.c[returning]) if returning else stmt


def insert_ignoring(
    session: Session,
    table: Table,
    values: dict[str, Any],
    *,
    conflict: tuple[str, ...],
    returning: str | None = None,
) -> Any:
    """INSERT … ON CONFLICT (``conflict``) DO NOTHING [RETURNING ``returning``] with ``values`` (every column
    but an autoincrement key), as one prepared statement; returns the returned value (None: conflict)."""
    stmt = _insert_ignoring(session.get_bind().dialect.name, table, conflict, returning)
    result = session.connection().execute(stmt, values)
    return result.scalar() if returning else None


@lru_cache(maxsize=64)
def _update(mapper: Mapper[Any], keys: tuple[str, ...]) -> tuple[Any, dict[str, str]]:
    table = mapper.local_table
    assert isinstance(table, Table)
    (pk,) = table.primary_key.columns
    columns = {key: mapper.get_property(key).columns[0].key for key in keys}  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(pk == bindparam("pk_"))
        .values({column: bindparam(column) for column in columns.values()})
    )
    return stmt, columns


def update_loaded(session: Session, obj: Any, values: dict[str, Any]) -> None:
    """Set column attributes of the persistent, loaded ``obj`` and write them at once with one prepared
    UPDATE, without a flush (the counterpart of ``insert_loaded``). An object with other pending changes
    is simply assigned and left to the flush."""
    state = inspect(obj)
    if state.modified or state.key is None or state.expired_attributes:
        for key, value in values.items():
            setattr(obj, key, value)
        return
    stmt, columns = _update(state.mapper, tuple(values))
    params = {columns[key]: value for key, value in values.items()}
    params["pk_"] = state.identity[0]
    session.connection().execute(stmt, params)
    for key, value in values.items():
        set_committed_value(obj, key, value)
    _written_in_transaction(session, state, new=False)


_PREPARED: weakref.WeakKeyDictionary[Dialect, dict[tuple[Any, tuple[str, ...]], _Prepared]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class _Prepared:
    """A batch statement compiled for a dialect: its SQL, its parameters in order, their bind processors."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


def _prepare(statement: Any, dialect: Dialect, keys: tuple[str, ...]) -> _Prepared:
    """``statement`` compiled for ``dialect`` (an INSERT for the columns ``keys``); no SQL when it is not
    plain positional SQL (parameters expanded or rendered at execution): then it is executed as usual."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if not compiled.positional or compiled.literal_execute_params or compiled.post_compile_params:
        return _Prepared("", (), ())
    names = tuple(compiled.positiontup or ())
    types = [compiled.binds[name].type.dialect_impl(dialect) for name in names]
    return _Prepared(compiled.string, names, tuple(t.bind_processor(dialect) for t in types))


def executemany(connection: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """``connection.execute(statement, rows)`` for a statement run with many rows (the SMS report batches). On SQLite without
    SQLAlchemy's work per row and parameter (building each row's parameters, then converting them): the
    statement is compiled once, each row becomes a tuple converted by the same bind processors (a value
    that several rows share, such as the batch's ``now``, is converted once) and the driver's
    ``executemany`` runs it — the same SQL with the same values. Other databases: ``execute``."""
    dialect = connection.dialect
    if dialect.name != "sqlite":
        connection.execute(statement, rows)
        return
    keys = tuple(rows[0])
    by_statement = _PREPARED.setdefault(dialect, {})
    prepared = by_statement.get((statement, keys))
    if prepared is None:
        prepared = by_statement[(statement, keys)] = _prepare(statement, dialect, keys)
    if not prepared.sql:
        connection.execute(statement, rows)
        return
    converted: dict[tuple[int, Callable[[Any], Any]], Any] = {}  # the rows keep each value alive

    def convert(value: Any, process: Callable[[Any], Any]) -> Any:
        key = (id(value), process)
        done = converted.get(key, converted)
        if done is converted:
            done = converted[key] = process(value)
        return done

    pairs = tuple(zip(prepared.names, prepared.processors, strict=True))
    params = [
        tuple(row[name] if process is None else convert(row[name], process) for name, process in pairs)
        for row in rows
    ]
    connection.exec_driver_sql(prepared.sql, params)
