"""Admin writes for what announcements are built from: services (and which organisations subscribe),
contact groups and the templates in their languages. Runs in the caller's transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketdesk.announcements import states
from ticketdesk.announcements.models import (
    AnnouncementTemplate,
    ContactGroup,
    announcement_groups,
    group_members,
)
from ticketdesk.announcements.recipients import GROUP_KINDS
from ticketdesk.announcements.templates import (
    Placeholder,
    TemplateError,
    Texts,
    declarations_for,
    parse_declarations,
)
from ticketdesk.contacts.models import Contact, Organization, Service
from ticketdesk.errors import Conflict, NotFound, ValidationFailed

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
LANGUAGE = re.compile(r"^[a-z]{2}$")


# --- services ------------------------------------------------------------------------------------


def create_service(session: Session, *, slug: str, name: str, description: str = "") -> Service:
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        raise ValidationFailed("the slug must be lower-case letters, digits and dashes (e.g. sms-gateway)")
    if session.scalar(select(Service.id).where(Service.slug == slug)) is not None:
        raise Conflict(f"a service {slug!r} exists already", code="service_exists")
    service = Service(slug=slug, name=(name or "").strip() or slug, description=(description or "").strip())
    session.add(service)
    session.flush()
    return service


def get_service(session: Session, ref: int | str) -> Service:
    found = (
        session.get(Service, ref)
        if isinstance(ref, int)
        else session.scalar(select(Service).where(Service.slug == str(ref).strip().lower()))
    )
    if found is None:
        raise NotFound(f"service {ref} not found")
    return found


def update_service(
    session: Session,
    service: Service,
    *,
    name: str | None = None,
    description: str | None = None,
    organization_ids: Iterable[int] | None = None,
) -> Service:
    if name is not None:
        service.name = name.strip() or service.name
    if description is not None:
        service.description = description.strip()
    if organization_ids is not None:
        wanted = set(organization_ids)
        orgs = (
            session.scalars(select(Organization).where(Organization.id.in_(wanted))).all() if wanted else []
        )
        if len(orgs) != len(wanted):
            raise ValidationFailed("unknown organisation in organization_ids")
        for org in session.scalars(select(Organization)):
            has = service in org.services
            if org.id in wanted and not has:
                org.services.append(service)
            elif org.id not in wanted and has:
                org.services.remove(service)
    session.flush()
    return service


def subscribers(session: Session, service: Service) -> list[Organization]:
    return [
        o for o in session.scalars(select(Organization).order_by(Organization.name)) if service in o.services
    ]


# --- groups --------------------------------------------------------------------------------------


def create_group(
    session: Session,
    *,
    name: str,
    kind: str,
    service_id: int | None = None,
    organization_id: int | None = None,
    member_ids: Iterable[int] | None = None,
) -> ContactGroup:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("a group needs a name")
    if kind not in GROUP_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(GROUP_KINDS)}")
    if kind == "service" and (service_id is None or session.get(Service, service_id) is None):
        raise ValidationFailed("a service group needs an existing service")
    if kind == "organization" and (
        organization_id is None or session.get(Organization, organization_id) is None
    ):
        raise ValidationFailed("an organisation group needs an existing organisation")
    group = ContactGroup(
        name=name,
        kind=kind,
        service_id=service_id if kind == "service" else None,
        organization_id=organization_id if kind == "organization" else None,
    )
    session.add(group)
    session.flush()
    if kind == "manual":
        set_members(session, group, member_ids or [])
    return group


def get_group(session: Session, group_id: int) -> ContactGroup:
    group = session.get(ContactGroup, group_id)
    if group is None:
        raise NotFound(f"contact group {group_id} not found")
    return group


def groups_by_ids(session: Session, ids: Iterable[int]) -> list[ContactGroup]:
    wanted = list(dict.fromkeys(ids))
    found = {g.id: g for g in session.scalars(select(ContactGroup).where(ContactGroup.id.in_(wanted)))}
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise ValidationFailed(
            f"unknown contact group(s): {', '.join(map(str, unknown))}", code="unknown_group"
        )
    return [found[i] for i in wanted]


def members(session: Session, group: ContactGroup) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact)
            .join(group_members, group_members.c.contact_id == Contact.id)
            .where(group_members.c.group_id == group.id)
            .order_by(Contact.id)
        )
    )


def set_members(session: Session, group: ContactGroup, contact_ids: Iterable[int]) -> None:
    if group.kind != "manual":
        raise ValidationFailed("only a manual group has members picked by hand")
    wanted = list(dict.fromkeys(contact_ids))
    known = set(session.scalars(select(Contact.id).where(Contact.id.in_(wanted)))) if wanted else set()
    if len(known) != len(wanted):
        raise ValidationFailed("unknown contact in members")
    session.execute(group_members.delete().where(group_members.c.group_id == group.id))
    if wanted:
        session.execute(group_members.insert(), [{"group_id": group.id, "contact_id": c} for c in wanted])
    session.flush()


def rename_group(session: Session, group: ContactGroup, name: str) -> None:
    if not (name or "").strip():
        raise ValidationFailed("a group needs a name")
    group.name = name.strip()


def delete_group(session: Session, group: ContactGroup) -> None:
    used = session.scalar(
        select(func.count())
        .select_from(announcement_groups)
        .where(announcement_groups.c.group_id == group.id)
    )
    if used:
        raise Conflict(
            "this group was used by announcements; it is kept for their history", code="group_in_use"
        )
    session.delete(group)
    session.flush()


def ensure_everyone_group(session: Session, name: str = "Everyone") -> ContactGroup:
    found = session.scalar(
        select(ContactGroup).where(ContactGroup.kind == "everyone").order_by(ContactGroup.id)
    )
    return found or create_group(session, name=name, kind="everyone")


# --- templates -----------------------------------------------------------------------------------


def save_template(
    session: Session,
    template: AnnouncementTemplate | None,
    *,
    name: str,
    kind: str,
    language: str,
    subject: str,
    body: str,
    sms_text: str = "",
    placeholders: list[Any] | None = None,
) -> AnnouncementTemplate:
    """Create or change a template (one language of a template family: same name and kind)."""
    name, language = (name or "").strip(), (language or "").strip().lower()
    if not name:
        raise ValidationFailed("a template needs a name")
    if kind not in states.KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(states.KINDS)}")
    if not LANGUAGE.match(language):
        raise ValidationFailed("language must be a two-letter code (en, cs, de, pl, fi, nb…)")
    if not (subject or "").strip() or not (body or "").strip():
        raise ValidationFailed("a template needs a subject and a body")
    try:
        declared = parse_declarations(placeholders)
    except TemplateError as err:
        raise ValidationFailed(str(err), code="bad_placeholders") from None
    clash = session.scalar(
        select(AnnouncementTemplate.id).where(
            AnnouncementTemplate.name == name,
            AnnouncementTemplate.kind == kind,
            AnnouncementTemplate.language == language,
            AnnouncementTemplate.id != (template.id if template else -1),
        )
    )
    if clash is not None:
        raise Conflict(f"template {name!r} ({kind}) already has a {language} version", code="template_exists")
    texts = Texts(subject.strip(), body.strip("\n"), (sms_text or "").strip())
    full = declarations_for(texts, declared)  # names used in the texts are declared too
    row = template or AnnouncementTemplate()
    row.name, row.kind, row.language = name, kind, language
    row.subject, row.body, row.sms_text = texts.subject, texts.body, texts.sms_text
    row.placeholders = [p.as_dict() for p in full]
    if template is None:
        session.add(row)
    session.flush()
    return row


def get_template(
    session: Session, ref: int | str, *, kind: str | None = None, language: str | None = None
) -> AnnouncementTemplate:
    """A template by id, or by name (then the ``language`` version, else the oldest one)."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        found = session.get(AnnouncementTemplate, int(ref))
    else:
        versions = session.scalars(
            select(AnnouncementTemplate)
            .where(
                AnnouncementTemplate.name == ref.strip(),
                *([AnnouncementTemplate.kind == kind] if kind else []),
            )
            .order_by(AnnouncementTemplate.id)
        ).all()
        found = next((t for t in versions if t.language == language), versions[0] if versions else None)
    if found is None or (kind is not None and found.kind != kind):
        raise ValidationFailed(
            f"no {kind or ''} template {ref!r}".replace("  ", " "), code="unknown_template"
        )
    return found


def family(session: Session, template: AnnouncementTemplate) -> list[AnnouncementTemplate]:
    """Every language version of ``template`` (same name and kind), ``template`` first."""
    others = session.scalars(
        select(AnnouncementTemplate)
        .where(
            AnnouncementTemplate.name == template.name,
            AnnouncementTemplate.kind == template.kind,
            AnnouncementTemplate.id != template.id,
        )
        .order_by(AnnouncementTemplate.language)
    ).all()
    return [template, *others]


def declarations(versions: Iterable[AnnouncementTemplate]) -> list[Placeholder]:
    """The placeholders of a family: every language's declarations, the first version's label winning."""
    merged: dict[str, Placeholder] = {}
    for version in versions:
        texts = Texts(version.subject, version.body, version.sms_text or "")
        for item in declarations_for(texts, parse_declarations(version.placeholders)):
            merged.setdefault(item.name, item)
    return list(merged.values())
