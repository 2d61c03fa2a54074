"""``ticketdesk priority explain``: the priority of a text and the rules that decided it."""

from __future__ import annotations

import json
import sys

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


@click.group("priority")
def priority_group() -> None:
    """Automatic priority detection."""


@priority_group.command("explain")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per input line.")
def explain(as_json: bool) -> None:
    """Read {"subject","body"} JSON lines (or one raw message) on stdin; print priority and reasons."""
    from ticketdesk.priority import classify, explain_text

    data = sys.stdin.buffer.read()
    if not data.strip():
        raise click.UsageError("nothing on stdin: give JSON lines {\"subject\":…, \"body\":…} or a raw message")
    for subject, body in _inputs(data):
        decision = classify(subject, body)
        if as_json:
            click.echo(json.dumps(decision.to_dict(), ensure_ascii=False))
        else:
            click.echo(explain_text(decision))


def register(group: click.Group) -> None:
    group.add_command(priority_group)
