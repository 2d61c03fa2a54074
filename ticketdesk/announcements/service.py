"""Announcement writes: open an outage or a maintenance (announced at once, or as an internal
incident first), add messages (updates) along the lifecycle, and send each to the recipients.

Every write runs in the caller's transaction; the caller commits. A message is only created when
every language of its template is completely filled (``compose.PlaceholdersUnfilled`` otherwise,
nothing written). Sending a message resolves the open reminders of its announcement; the worker
(``announcements.jobs``) raises new ones when they are due again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.accounts.models import Agent
from ticketdesk.admin.models import Alert
from ticketdesk.announcements import states
from ticketdesk.announcements.compose import Draft, automatic_values, clean_values, compose, status_url, zone
from ticketdesk.announcements.delivery import deliver
from ticketdesk.announcements.models import (
    Announcement,
    AnnouncementTemplate,
    AnnouncementUpdate,
    ContactGroup,
)
from ticketdesk.announcements.recipients import contacts_of
from ticketdesk.announcements.templates import TIME_NAMES, parse_time
from ticketdesk.errors import Conflict, ValidationFailed
from ticketdesk.realtime.publish import publish

CHANNELS = ("email", "sms")
REMINDER_KIND = "announcement.reminder"


@dataclass(frozen=True)
class Plan:
    """What a message would be: for a preview, or checked right before sending."""

    draft: Draft | None
    status: str
    title: str
    recipients: int
    problems: list[str]

    @property
    def ready(self) -> bool:
        return self.draft is not None and self.draft.ready and not self.problems


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed(f"{name} needs a time zone (e.g. 2026-12-01T22:00:00Z)")
    return value


def _times(
    values: dict[str, Any], starts_at: datetime | None, expected_end: datetime | None
) -> tuple[dict[str, Any], datetime | None, datetime | None]:
    """Times live in the announcement's fields (status page, reminders): a ``start``/``expected_end``
    value given as a placeholder moves there (unless the field itself is given); one that is not a
    time stays a value, so it is reported as invalid."""
    values = dict(values)
    found: dict[str, datetime | None] = {"start": starts_at, "expected_end": expected_end}
    for name in TIME_NAMES:
        raw = values.get(name)
        moment = parse_time(raw) if isinstance(raw, str) else None
        if moment is not None or (raw is not None and found[name] is not None):
            values.pop(name)
            found[name] = found[name] or moment
    return values, found["start"], found["expected_end"]


def _channels(channels: list[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(channels or CHANNELS))
    if not chosen or any(c not in CHANNELS for c in chosen):
        raise ValidationFailed(f"channels must be some of {', '.join(CHANNELS)}")
    return chosen


def default_public(groups: list[ContactGroup]) -> bool:
    """Public on the status page when it concerns a service or everyone, not one customer's group."""
    return any(g.kind in ("service", "everyone") for g in groups)


def _plan(
    session: Session,
    *,
    kind: str,
    status: str,
    template: AnnouncementTemplate | None,
    values: dict[str, Any],
    title: str | None,
    starts_at: datetime | None,
    expected_end: datetime | None,
    groups: list[ContactGroup],
    announcement_id: int | None,
    public: bool,
) -> Plan:
    problems: list[str] = []
    draft = None
    if template is None:
        problems.append("choose a template")
    else:
        auto = automatic_values(
            session,
            kind=kind,
            status=status,
            title=title,
            starts_at=starts_at,
            expected_end=expected_end,
            groups=groups,
            announcement_id=announcement_id,
            public=public,
        )
        draft = compose(session, kind=kind, status=status, template=template, values=values, automatic=auto)
    if not groups:
        problems.append("choose at least one contact group")
    count = len(contacts_of(session, groups)) if groups else 0
    if groups and count == 0 and not public:  # a public one still informs through the status page
        problems.append("the chosen groups have no active technical or partner contact")
    if starts_at and expected_end and expected_end <= starts_at:
        problems.append("the expected end is not after the start")
    final_title = (title or "").strip() or (draft.primary.texts.subject if draft else "")
    return Plan(draft, status, final_title[:300], count, problems)


def _require(plan: Plan) -> Draft:
    if plan.draft is not None:
        plan.draft.raise_unless_ready()
    if plan.problems or plan.draft is None:
        raise ValidationFailed("nothing was sent: " + "; ".join(plan.problems), code="not_ready")
    return plan.draft


def preview_new(
    session: Session,
    *,
    kind: str,
    groups: list[ContactGroup],
    template: AnnouncementTemplate | None,
    values: dict[str, Any] | None = None,
    title: str | None = None,
    status: str | None = None,
    starts_at: datetime | None = None,
    expected_end: datetime | None = None,
    public: bool | None = None,
    now: datetime | None = None,
) -> Plan:
    status, values, starts_at, expected_end = _first_message(
        kind, status, values, starts_at, expected_end, now
    )
    return _new_plan(session, kind, status, template, values, title, starts_at, expected_end, groups, public)


def _first_message(
    kind: str,
    status: str | None,
    values: dict[str, Any] | None,
    starts_at: datetime | None,
    expected_end: datetime | None,
    now: datetime | None,
) -> tuple[str, dict[str, Any], datetime | None, datetime | None]:
    """Checked first status, cleaned values and aware times; an outage began when it was opened."""
    status = states.check_first(kind, status)
    cleaned, starts_at, expected_end = _times(
        clean_values(values), _aware(starts_at, "starts_at"), _aware(expected_end, "expected_end")
    )
    if kind == states.OUTAGE and starts_at is None:
        starts_at = now
    return status, cleaned, starts_at, expected_end


def _new_plan(
    session: Session,
    kind: str,
    status: str,
    template: AnnouncementTemplate | None,
    values: dict[str, Any],
    title: str | None,
    starts_at: datetime | None,
    expected_end: datetime | None,
    groups: list[ContactGroup],
    public: bool | None,
) -> Plan:
    return _plan(
        session,
        kind=kind,
        status=status,
        template=template,
        values=values,
        title=title,
        starts_at=starts_at,
        expected_end=expected_end,
        groups=groups,
        announcement_id=None,
        public=default_public(groups) if public is None else public,
    )


def create_announcement(
    session: Session,
    *,
    kind: str,
    groups: list[ContactGroup],
    template: AnnouncementTemplate | None,
    values: dict[str, Any] | None = None,
    title: str | None = None,
    status: str | None = None,
    starts_at: datetime | None = None,
    expected_end: datetime | None = None,
    public: bool | None = None,
    channels: list[str] | None = None,
    internal: bool = False,
    agent: Agent | None = None,
    now: datetime,
) -> Announcement:
    """Open an announcement; unless ``internal``, its first message goes out now.

    An internal incident (typically an outage being investigated) needs only a title; the worker
    reminds on-call staff when an outage stays unannounced past the threshold.
    """
    status, values, starts_at, expected_end = _first_message(
        kind, status, values, starts_at, expected_end, now
    )
    is_public = default_public(groups) if public is None else public
    plan = None
    if internal:
        if not (title or "").strip():
            raise ValidationFailed("an internal incident needs a title")
        if template is not None and template.kind != kind:
            raise ValidationFailed(
                f"template {template.name!r} is for a {template.kind}", code="wrong_template_kind"
            )
    else:
        plan = _new_plan(
            session, kind, status, template, values, title, starts_at, expected_end, groups, is_public
        )
        _require(plan)
    announcement = Announcement(
        kind=kind,
        title=(plan.title if plan else (title or "").strip()[:300]),
        status=status,
        template_id=template.id if template else None,
        values=values,
        starts_at=starts_at,
        expected_end=expected_end,
        created_by_id=agent.id if agent else None,
        created_at=now,
        public=is_public,
        channels=_channels(channels),
    )
    announcement.groups = list(groups)
    session.add(announcement)
    session.flush()
    if not internal:
        _send(session, announcement, template=template, status=status, agent=agent, now=now)  # type: ignore[arg-type]
    else:
        _publish(session, announcement, None)
    return announcement


def preview_update(
    session: Session,
    announcement: Announcement,
    *,
    status: str | None = None,
    template: AnnouncementTemplate | None = None,
    values: dict[str, Any] | None = None,
    title: str | None = None,
    starts_at: datetime | None = None,
    expected_end: datetime | None = None,
    groups: list[ContactGroup] | None = None,
) -> Plan:
    return _next(
        session,
        announcement,
        status=status,
        template=template,
        values=values,
        title=title,
        starts_at=starts_at,
        expected_end=expected_end,
        groups=groups,
    )[0]


def _next(
    session: Session,
    announcement: Announcement,
    *,
    status: str | None,
    template: AnnouncementTemplate | None,
    values: dict[str, Any] | None,
    title: str | None,
    starts_at: datetime | None,
    expected_end: datetime | None,
    groups: list[ContactGroup] | None,
) -> tuple[Plan, dict[str, Any], list[ContactGroup], datetime | None, datetime | None]:
    announced = announcement.last_update_at is not None
    new_status = status or announcement.status
    if announced:
        states.check_transition(announcement.kind, announcement.status, new_status)
    else:
        states.check_first(announcement.kind, new_status)
    if template is None and announcement.template_id is not None:
        template = session.get(AnnouncementTemplate, announcement.template_id)
    given, starts_at, expected_end = _times(
        clean_values(values), _aware(starts_at, "starts_at"), _aware(expected_end, "expected_end")
    )
    merged = {**(announcement.values or {}), **given}
    for name in TIME_NAMES:  # a time given now replaces an earlier (invalid) value of that name
        if (name == "start" and starts_at) or (name == "expected_end" and expected_end):
            merged.pop(name, None)
    chosen = list(announcement.groups)
    if groups is not None:  # before the first message the groups may change; later they can only grow
        chosen = list(groups) if not announced else list(dict.fromkeys([*chosen, *groups]))
    plan = _plan(
        session,
        kind=announcement.kind,
        status=new_status,
        template=template,
        values=merged,
        title=title or announcement.title,
        starts_at=starts_at or announcement.starts_at,
        expected_end=expected_end or announcement.expected_end,
        groups=chosen,
        announcement_id=announcement.id,
        public=announcement.public,
    )
    return plan, merged, chosen, starts_at, expected_end


def add_update(
    session: Session,
    announcement: Announcement,
    *,
    status: str | None = None,
    template: AnnouncementTemplate | None = None,
    values: dict[str, Any] | None = None,
    title: str | None = None,
    starts_at: datetime | None = None,
    expected_end: datetime | None = None,
    groups: list[ContactGroup] | None = None,
    agent: Agent | None = None,
    now: datetime,
) -> AnnouncementUpdate:
    """Send the next message of ``announcement`` (the first one of an internal incident, an
    extension, a change, the end); its mail quotes every earlier message, newest first."""
    plan, merged, chosen, starts_at, expected_end = _next(
        session,
        announcement,
        status=status,
        template=template,
        values=values,
        title=title,
        starts_at=starts_at,
        expected_end=expected_end,
        groups=groups,
    )
    draft = _require(plan)
    announcement.values = merged
    announcement.groups = chosen
    if title:
        announcement.title = title.strip()[:300]
    elif announcement.last_update_at is None and not announcement.title:
        announcement.title = plan.title
    if starts_at is not None:
        announcement.starts_at = starts_at
    if expected_end is not None:
        announcement.expected_end = expected_end
    announcement.template_id = draft.template.id
    return _send(session, announcement, template=draft.template, status=plan.status, agent=agent, now=now)


def _send(
    session: Session,
    announcement: Announcement,
    *,
    template: AnnouncementTemplate,
    status: str,
    agent: Agent | None,
    now: datetime,
) -> AnnouncementUpdate:
    # compose again with the announcement's id (its status link) and final values
    plan = _plan(
        session,
        kind=announcement.kind,
        status=status,
        template=template,
        values=announcement.values or {},
        title=announcement.title,
        starts_at=announcement.starts_at,
        expected_end=announcement.expected_end,
        groups=list(announcement.groups),
        announcement_id=announcement.id,
        public=announcement.public,
    )
    draft = _require(plan)
    primary = draft.primary.texts
    update = AnnouncementUpdate(
        announcement_id=announcement.id,
        status=status,
        subject=primary.subject,
        body=primary.body,
        sms_text=primary.sms_text,
        created_by_id=agent.id if agent else None,
        created_at=now,
        sent_at=now,
        template_id=template.id,
        language=template.language,
        values=dict(announcement.values or {}),
        renderings={
            lang: {"subject": f.texts.subject, "body": f.texts.body, "sms_text": f.texts.sms_text}
            for lang, f in draft.renderings.items()
        },
    )
    session.add(update)
    session.flush()
    announcement.status, announcement.last_update_at = status, now
    if states.is_closed(announcement.kind, status):
        announcement.ended_at = announcement.ended_at or now
        if announcement.kind == states.MAINTENANCE:
            announcement.completion_sent_at = now
    deliver(
        session,
        announcement,
        update,
        now=now,
        timezone=zone(session),
        status_url=status_url(announcement.id, announcement.public),
    )
    resolve_reminders(session, announcement, now=now, note=f"message {update.id} sent ({status})")
    _publish(session, announcement, update)
    return update


def close_internal(session: Session, announcement: Announcement, *, now: datetime, note: str = "") -> None:
    """Close an incident that was never announced (a false alarm, or over before anyone was affected)."""
    if announcement.last_update_at is not None:
        raise Conflict("this announcement was sent; close it with a final message", code="already_announced")
    if states.is_closed(announcement.kind, announcement.status):
        raise Conflict(f"this {announcement.kind} is already {announcement.status}", code="already_closed")
    announcement.status = "resolved" if announcement.kind == states.OUTAGE else "cancelled"
    announcement.ended_at = now
    resolve_reminders(session, announcement, now=now, note=note or "closed without an announcement")
    _publish(session, announcement, None)


def resolve_reminders(session: Session, announcement: Announcement, *, now: datetime, note: str) -> None:
    prefix = f"announcement:{announcement.id}:"
    for alert in session.scalars(
        select(Alert).where(
            Alert.kind == REMINDER_KIND, Alert.resolved_at.is_(None), Alert.dedupe_key.like(prefix + "%")
        )
    ):
        alert.resolved_at = now
        alert.details = {**(alert.details or {}), "resolution": note}


def _publish(session: Session, announcement: Announcement, update: AnnouncementUpdate | None) -> None:
    data = {
        "id": announcement.id,
        "kind": announcement.kind,
        "status": announcement.status,
        "title": announcement.title,
        "update_id": update.id if update else None,
        "announced": announcement.last_update_at is not None,
    }
    publish(session, "announcement.updated", data, ["agents"])
