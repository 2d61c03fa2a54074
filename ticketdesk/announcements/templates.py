"""The placeholder engine for announcement templates (pure: no Flask, no database).

A template text uses ``{{name}}`` for a placeholder. Templates declare their placeholders (a label
for the form, a kind, whether they are required); a name used in a text but not declared is
treated as a required text placeholder, so a typo shows up as a field to fill rather than as a
marker in a customer's mailbox.

Nothing may be sent while anything is unfilled (partner-notification procedure, seed 001): a
required placeholder without a value is *missing*, a ``datetime`` value that is not an ISO-8601 time
is *invalid*, and any marker left in the result (``&^`` as in the old forms, or ``{{``/``}}``/``{%``/
``%}``, also from a value) is a *leftover*. :func:`fill` reports all of them at once.

Values are strings, or per-language strings ``{"en": "…", "cs": "…", "*": "…"}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MARKERS = ("&^", "{{", "}}", "{%", "%}")
KINDS = ("text", "multiline", "datetime")
FIELDS = ("subject", "body", "sms_text")

# Filled by the system (title, status, links, times and services of the announcement); a template
# may use them without declaring them, and a value given by hand wins.
AUTOMATIC = ("title", "status", "status_url", "start", "expected_end", "services", "announcement_id")
TIME_NAMES = ("start", "expected_end")

TIME_FORMATS = {
    "en": "{d:%Y-%m-%d %H:%M}",
    "cs": "{d.day}. {d.month}. {d.year} {d:%H:%M}",
    "de": "{d:%d.%m.%Y %H:%M}",
    "pl": "{d:%d.%m.%Y %H:%M}",
    "fi": "{d:%d.%m.%Y} klo {d:%H.%M}",
    "nb": "{d:%d.%m.%Y} kl. {d:%H:%M}",
}


class TemplateError(ValueError):
    """A template or its placeholder declarations are not usable."""


@dataclass(frozen=True)
class Placeholder:
    name: str
    label: str
    kind: str = "text"
    required: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "kind": self.kind, "required": self.required}


@dataclass(frozen=True)
class Texts:
    subject: str
    body: str
    sms_text: str = ""

    def items(self) -> list[tuple[str, str]]:
        return [("subject", self.subject), ("body", self.body), ("sms_text", self.sms_text)]


@dataclass(frozen=True)
class Leftover:
    field: str
    marker: str
    context: str

    def describe(self) -> str:
        return f"{self.field} still contains {self.marker!r} near “{self.context}”"


@dataclass
class Filled:
    texts: Texts
    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    leftovers: list[Leftover] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not (self.missing or self.invalid or self.leftovers)


def parse_declarations(raw: Iterable[Any] | None) -> list[Placeholder]:
    """Declarations from JSON: ``"name"`` or ``{"name", "label", "kind", "required"}``; names unique."""
    result: list[Placeholder] = []
    seen: set[str] = set()
    for item in raw or []:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, Mapping):
            raise TemplateError(f"a placeholder declaration must be a name or an object, not {item!r}")
        name = str(item.get("name", "")).strip()
        if not NAME.match(name):
            raise TemplateError(f"{name!r} is not a valid placeholder name (letters, digits, _)")
        if name in seen:
            raise TemplateError(f"placeholder {name!r} is declared twice")
        kind = str(item.get("kind") or "text")
        if kind not in KINDS:
            raise TemplateError(f"placeholder {name!r}: kind must be one of {', '.join(KINDS)}")
        seen.add(name)
        label = str(item.get("label") or "").strip() or name.replace("_", " ").capitalize()
        result.append(Placeholder(name, label, kind, bool(item.get("required", True))))
    return result


def used_names(text: str) -> list[str]:
    """Placeholder names in ``text``, in order of first use."""
    return list(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(text or "")))


def declarations_for(texts: Texts, declared: Iterable[Placeholder]) -> list[Placeholder]:
    """The declarations plus every used name that is neither declared nor automatic."""
    result = list(declared)
    known = {p.name for p in result} | set(AUTOMATIC)
    for _field, text in texts.items():
        for name in used_names(text):
            if name not in known:
                known.add(name)
                result.append(Placeholder(name, name.replace("_", " ").capitalize()))
    return result


def value_for(value: Any, language: str) -> str | None:
    """A plain value, or the ``language`` (then ``*``, then ``en``) entry of a per-language value."""
    if isinstance(value, Mapping):
        for key in (language, "*", "en"):
            if key in value and value[key] is not None:
                return str(value[key])
        return None
    return None if value is None else str(value)


def parse_time(value: str) -> datetime | None:
    """An aware ISO-8601 time (``Z`` allowed); None when it is not one."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def format_time(moment: datetime, language: str, timezone: str = "UTC") -> str:
    """``moment`` for a reader of ``language``, in ``timezone`` with the UTC time beside it."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    pattern = TIME_FORMATS.get(language, TIME_FORMATS["en"])
    local = moment.astimezone(zone)
    text = f"{pattern.format(d=local)} {local.tzname() or ''}".strip()
    if local.utcoffset() != moment.astimezone(UTC).utcoffset():
        text += f" ({moment.astimezone(UTC):%H:%M} UTC)"
    return text


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace every ``{{name}}`` that has a value; the others stay (and are reported as leftovers)."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)] if m.group(1) in values else m.group(0), text or "")


def leftovers(field_name: str, text: str, *, limit: int = 5) -> list[Leftover]:
    """Every marker left in ``text`` (at most ``limit`` per marker), with a little context."""
    found: list[Leftover] = []
    for marker in MARKERS:
        start = text.find(marker)
        count = 0
        while start >= 0 and count < limit:
            snippet = " ".join(text[max(0, start - 25) : start + len(marker) + 25].split())
            found.append(Leftover(field_name, marker, snippet))
            count += 1
            start = text.find(marker, start + len(marker))
    return found


def fill(
    texts: Texts,
    declared: Iterable[Placeholder],
    values: Mapping[str, Any],
    *,
    language: str = "en",
    timezone: str = "UTC",
) -> Filled:
    """Fill ``texts`` for readers of ``language``; report what is missing, invalid or left over."""
    declarations = declarations_for(texts, declared)
    by_name = {p.name: p for p in declarations}
    used = {name for _f, text in texts.items() for name in used_names(text)}
    resolved: dict[str, str] = {}
    missing: list[str] = []
    invalid: list[str] = []
    for name in list(dict.fromkeys([*by_name, *sorted(used)])):
        raw = value_for(values.get(name), language)
        spec = by_name.get(name) or (Placeholder(name, name, "datetime") if name in TIME_NAMES else None)
        if raw is None or not raw.strip():
            if spec is not None and not spec.required:
                resolved[name] = ""
            elif spec is not None or name in used:
                missing.append(name)
            continue
        if spec is not None and spec.kind == "datetime":
            moment = parse_time(raw)
            if moment is None:
                invalid.append(name)
                continue
            resolved[name] = format_time(moment, language, timezone)
        else:
            resolved[name] = raw.strip() if spec is None or spec.kind != "multiline" else raw.strip("\n")
    filled = Texts(*(substitute(text, resolved).strip() for _f, text in texts.items()))
    # an unfilled placeholder is reported once, as missing, not again as a leftover marker
    probe_values = {**resolved, **{name: "" for name in missing + invalid}}
    found = [item for name, text in texts.items() for item in leftovers(name, substitute(text, probe_values))]
    return Filled(filled, missing, invalid, found)


def describe_problems(missing: Iterable[str], invalid: Iterable[str], found: Iterable[Leftover]) -> str:
    parts = []
    missing, invalid, found = list(missing), list(invalid), list(found)
    if missing:
        parts.append("unfilled placeholders: " + ", ".join(missing))
    if invalid:
        parts.append("not an ISO-8601 time with a time zone: " + ", ".join(invalid))
    if found:
        parts.append("; ".join(item.describe() for item in found))
    return "; ".join(parts)
