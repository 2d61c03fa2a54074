"""Reading the announcement forms (plain HTML forms, CSRF-checked by the app): placeholder values
per language, local times in the announcement time zone, group and channel choices. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticketdesk.announcements.templates import Placeholder, parse_time


class FormError(ValueError):
    pass


def local_time(raw: str | None, timezone: str) -> datetime | None:
    """A ``datetime-local`` value (``2026-05-06T22:00``) in ``timezone`` as aware UTC; ISO with an offset
    is taken as is. Empty → None; anything else → FormError."""
    text = (raw or "").strip()
    if not text:
        return None
    aware = parse_time(text)
    if aware is not None:
        return aware.astimezone(UTC)
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise FormError(f"{text!r} is not a date and time") from None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return naive.replace(tzinfo=zone).astimezone(UTC)


def local_input(moment: datetime | None, timezone: str) -> str:
    """The value for a ``datetime-local`` input."""
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def values_from(
    form: Mapping[str, Any], placeholders: Iterable[Placeholder], languages: list[str], timezone: str
) -> dict[str, Any]:
    """``v.<name>`` (every language) and ``v.<name>.<lang>`` (one language) → placeholder values."""
    values: dict[str, Any] = {}
    for spec in placeholders:
        common = (form.get(f"v.{spec.name}") or "").replace("\r\n", "\n")
        if spec.kind == "datetime":
            moment = local_time(common, timezone) if common.strip() else None
            if moment is not None:
                values[spec.name] = moment.isoformat()
            continue
        per_language = {
            lang: (form.get(f"v.{spec.name}.{lang}") or "").replace("\r\n", "\n") for lang in languages
        }
        per_language = {lang: text for lang, text in per_language.items() if text.strip()}
        if per_language:
            values[spec.name] = {**({"*": common} if common.strip() else {}), **per_language}
        elif common.strip():
            values[spec.name] = common
    return values


def form_inputs(values: Mapping[str, Any], timezone: str) -> dict[str, str]:
    """Stored values back into the form's input names (to prefill an update)."""
    inputs: dict[str, str] = {}
    for name, value in values.items():
        if isinstance(value, Mapping):
            if "*" in value:
                inputs[f"v.{name}"] = str(value["*"])
            for lang, text in value.items():
                if lang != "*":
                    inputs[f"v.{name}.{lang}"] = str(text)
        else:
            moment = parse_time(str(value))
            inputs[f"v.{name}"] = local_input(moment, timezone) if moment else str(value)
    return inputs


def int_list(raw: Iterable[Any]) -> list[int]:
    result = []
    for item in raw:
        text = str(item).strip()
        if not text.isdigit():
            raise FormError(f"{text!r} is not a number")
        result.append(int(text))
    return result


def placeholder_lines(text: str) -> list[dict[str, Any]]:
    """The template form's declaration lines: ``name | label | kind | optional``."""
    result = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        item: dict[str, Any] = {"name": parts[0]}
        if len(parts) > 1 and parts[1]:
            item["label"] = parts[1]
        if len(parts) > 2 and parts[2]:
            item["kind"] = parts[2]
        if len(parts) > 3 and parts[3].lower() in ("optional", "no", "false", "0"):
            item["required"] = False
        result.append(item)
    return result


def placeholder_text(declarations: Iterable[Mapping[str, Any]]) -> str:
    lines = []
    for item in declarations:
        line = f"{item['name']} | {item.get('label', '')} | {item.get('kind', 'text')}"
        if not item.get("required", True):
            line += " | optional"
        lines.append(line)
    return "\n".join(lines)
