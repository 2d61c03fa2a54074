"""``ticketdesk priority explain``: the priority of a text and the rules that decided it.

The rules are the ones admins edited in the browser (setting ``priority.rules``) when a database is
configured and reachable, else the shipped defaults; ``--defaults`` forces the shipped ones. The
database is only read (one short query; an SQLite file that does not exist is never created).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


def _inputs(data: bytes) -> list[tuple[str, str]]:
    """JSON lines ``{"subject", "body"}``, or else one raw RFC 5322 message."""
    text = data.decode("utf-8", errors="replace")
    stripped = text.strip()
    if stripped.startswith("{"):
        items = []
        for number, line in enumerate(stripped.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as err:
                raise click.UsageError(f"line {number} is not JSON: {err}") from None
            if not isinstance(obj, dict):
                raise click.UsageError(f"line {number} is not a JSON object")
            items.append((str(obj.get("subject") or ""), str(obj.get("body") or obj.get("text") or "")))
        return items
    from ticketdesk.intake.parse import parse_message

    parsed = parse_message(data)
    return [(parsed.subject or "", parsed.text or "")]


def load_rules() -> tuple[list[Any] | None, str]:
    """``(rules, source)``: the admin-edited rules and ``"database"``, or ``(None, "default")`` with the
    reason the defaults apply. Bad configuration raises ``SettingsError`` (a clear one-line exit)."""
    from sqlalchemy import Column, MetaData, String, Table, create_engine, select
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    from ticketdesk.db.base import JSONType
    from ticketdesk.priority import Rule
    from ticketdesk.settings import load_settings

    settings = load_settings()
    url = make_url(settings.database_url)
    if settings.is_sqlite:
        if not url.database or url.database == ":memory:" or not Path(url.database).is_file():
            return None, "default (no database yet)"
        connect_args: dict[str, Any] = {"timeout": 5}
    else:
        connect_args = {"connect_timeout": 5}
    table = Table("settings", MetaData(), Column("key", String(100)), Column("value", JSONType))
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            stored = conn.execute(select(table.c.value).where(table.c.key == "priority.rules")).scalar()
    except SQLAlchemyError as err:
        return None, f"default (database not readable: {type(err).__name__})"
    finally:
        engine.dispose()
    if not stored:
        return None, "default"
    try:
        return [Rule.from_dict(item) for item in stored], "database"
    except (ValueError, TypeError) as err:
        return None, f"default (the stored rules are invalid: {err})"


@click.group("priority")
def priority_group() -> None:
    """Automatic priority detection."""


@priority_group.command("explain")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per input line.")
@click.option("--defaults", is_flag=True, help="Use the shipped rules even when admins edited them.")
def explain(as_json: bool, defaults: bool) -> None:
    """Read {"subject","body"} JSON lines (or one raw message) on stdin; print priority and reasons.

    Uses the rules edited by admins when the database is reachable, else the shipped rules.
    """
    from ticketdesk.priority import classify, compile_rules, explain_text

    data = sys.stdin.buffer.read()
    if not data.strip():
        raise click.UsageError('nothing on stdin: give JSON lines {"subject":…, "body":…} or a raw message')
    items = _inputs(data)
    rules, source = (None, "default (--defaults)") if defaults else load_rules()
    ruleset = compile_rules(rules)
    for subject, body in items:
        decision = classify(subject, body, ruleset)
        if as_json:
            click.echo(
                json.dumps({**decision.to_dict(), "rules": source.split(" ", 1)[0]}, ensure_ascii=False)
            )
        else:
            click.echo(explain_text(decision))
    if not as_json:
        click.echo(f"(rules: {source})", err=True)


def register(group: click.Group) -> None:
    group.add_command(priority_group)
