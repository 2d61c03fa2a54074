"""Fill a template family for an announcement message, in every language it has.

``compose(...)`` returns a :class:`Draft`: the filled texts per language and everything that would
block sending (missing placeholders, invalid times, leftover markers), gathered over all languages
so one answer names every problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ticketdesk.admin.store import app_settings, get_value
from ticketdesk.announcements import catalog, states
from ticketdesk.announcements.models import AnnouncementTemplate, ContactGroup
from ticketdesk.announcements.templates import Filled, Leftover, Texts, describe_problems, fill
from ticketdesk.contacts.models import Service
from ticketdesk.errors import ValidationFailed

DEFAULT_TIMEZONE = "Europe/Prague"


class PlaceholdersUnfilled(ValidationFailed):
    """422: the message cannot be sent; ``details`` names every unfilled placeholder."""

    code = "placeholders_unfilled"


@dataclass
class Draft:
    kind: str
    status: str
    template: AnnouncementTemplate
    renderings: dict[str, Filled] = field(default_factory=dict)  # language → filled texts

    @property
    def languages(self) -> list[str]:
        return list(self.renderings)

    @property
    def primary(self) -> Filled:
        return self.renderings[self.template.language]

    @property
    def missing(self) -> list[str]:
        return list(dict.fromkeys(n for f in self.renderings.values() for n in f.missing))

    @property
    def invalid(self) -> list[str]:
        return list(dict.fromkeys(n for f in self.renderings.values() for n in f.invalid))

    @property
    def leftovers(self) -> list[tuple[str, Leftover]]:
        return [(lang, item) for lang, f in self.renderings.items() for item in f.leftovers]

    @property
    def ready(self) -> bool:
        return all(f.ready for f in self.renderings.values())

    def problems(self) -> dict[str, Any]:
        return {
            "missing": self.missing,
            "invalid": self.invalid,
            "leftovers": [
                {"language": lang, "field": item.field, "marker": item.marker, "context": item.context}
                for lang, item in self.leftovers
            ],
        }

    def describe(self) -> str:
        texts = describe_problems(self.missing, self.invalid, [item for _l, item in self.leftovers])
        return f"nothing was sent: {texts}"

    def raise_unless_ready(self) -> None:
        if not self.ready:
            raise PlaceholdersUnfilled(self.describe(), details=self.problems())

    def texts(self, language: str) -> Texts:
        return (self.renderings.get(language) or self.primary).texts


def zone(session: Session) -> str:
    return str(get_value(session, "announcements.timezone", DEFAULT_TIMEZONE) or DEFAULT_TIMEZONE)


def status_url(announcement_id: int | None, public: bool) -> str:
    base = app_settings().public_url.rstrip("/")
    if not public:
        return f"{base}/portal/"
    return f"{base}/status/{announcement_id}" if announcement_id else f"{base}/status"


def service_names(session: Session, groups: list[ContactGroup]) -> str | None:
    names = [
        s.name
        for g in groups
        if g.kind == "service" and g.service_id
        for s in [session.get(Service, g.service_id)]
        if s is not None
    ]
    return ", ".join(dict.fromkeys(names)) or None


def automatic_values(
    session: Session,
    *,
    kind: str,
    status: str,
    title: str | None,
    starts_at: datetime | None,
    expected_end: datetime | None,
    groups: list[ContactGroup],
    announcement_id: int | None,
    public: bool,
) -> dict[str, Any]:
    return {
        "title": title or None,
        "status": {lang: states.label(status, lang) for lang in states.LABELS},
        "status_url": status_url(announcement_id, public),
        "start": starts_at.isoformat() if starts_at else None,
        "expected_end": expected_end.isoformat() if expected_end else None,
        "services": service_names(session, groups),
        "announcement_id": str(announcement_id) if announcement_id else None,
    }


def compose(
    session: Session,
    *,
    kind: str,
    status: str,
    template: AnnouncementTemplate,
    values: dict[str, Any],
    automatic: dict[str, Any],
) -> Draft:
    """Fill every language version of ``template``; given ``values`` win over the automatic ones."""
    if template.kind != kind:
        raise ValidationFailed(
            f"template {template.name!r} is for a {template.kind}, not a {kind}", code="wrong_template_kind"
        )
    versions = catalog.family(session, template)
    declared = catalog.declarations(versions)
    merged = {**{k: v for k, v in automatic.items() if v is not None}, **values}
    draft = Draft(kind=kind, status=status, template=template)
    tz = zone(session)
    for version in versions:
        texts = Texts(version.subject, version.body, version.sms_text or "")
        draft.renderings[version.language] = fill(
            texts, declared, merged, language=version.language, timezone=tz
        )
    return draft


def clean_values(values: dict[str, Any] | None) -> dict[str, Any]:
    """Placeholder values from a request: strings or per-language strings; blanks dropped."""
    result: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if isinstance(value, dict):
            inner = {str(k): str(v) for k, v in value.items() if v is not None and str(v).strip()}
            if inner:
                result[str(key)] = inner
        elif value is not None and str(value).strip():
            result[str(key)] = str(value) if not isinstance(value, str) else value
    return result
