"""Hand one announcement message to every recipient: e-mail through the outbound queue (primary
route, fallback route after repeated failures) and SMS through the SMS service; one
``AnnouncementDelivery`` row per recipient and channel, also when nothing could be sent (with why).

The mail is ``templates/mail/<lang>/announcement.txt`` around the message: its own text, then the
earlier messages of the same announcement, newest first, each quoted in the recipient's language.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.admin.store import app_settings, get_value
from ticketdesk.announcements import states
from ticketdesk.announcements.models import Announcement, AnnouncementDelivery, AnnouncementUpdate
from ticketdesk.announcements.recipients import Recipient, recipients_of, sms_numbers
from ticketdesk.announcements.templates import format_time
from ticketdesk.outbound.service import queue_mail
from ticketdesk.paths import templates_dir

log = logging.getLogger(__name__)
MAIL_KIND = "announcement"


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir() / "mail")),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )
    env.filters["quote"] = lambda text: "\n".join(("> " + line).rstrip() for line in str(text).splitlines())
    return env


def mail_language(language: str) -> str:
    return language if (templates_dir() / "mail" / language / f"{MAIL_KIND}.txt").is_file() else "en"


def rendering(update: AnnouncementUpdate, language: str) -> dict[str, str]:
    """The message of ``update`` in ``language`` (its own language when it has no such version)."""
    found = (update.renderings or {}).get(language)
    if found:
        return found
    return {"subject": update.subject, "body": update.body, "sms_text": update.sms_text or ""}


def earlier_messages(
    session: Session, announcement: Announcement, before: AnnouncementUpdate
) -> list[AnnouncementUpdate]:
    """The messages sent for ``announcement`` before ``before``, newest first."""
    return list(
        session.scalars(
            select(AnnouncementUpdate)
            .where(
                AnnouncementUpdate.announcement_id == announcement.id,
                AnnouncementUpdate.id != before.id,
                AnnouncementUpdate.sent_at.is_not(None),
            )
            .order_by(AnnouncementUpdate.sent_at.desc(), AnnouncementUpdate.id.desc())
        )
    )


def mail_text(
    update: AnnouncementUpdate,
    earlier: list[AnnouncementUpdate],
    language: str,
    *,
    status_url: str,
    timezone: str,
) -> tuple[str, str]:
    """(subject, body) of the mail for a reader of ``language``, earlier messages quoted newest first."""
    own = rendering(update, language)
    lang = mail_language(language)
    quoted = [
        {
            "subject": r["subject"],
            "body": r["body"],
            "status": states.label(u.status, language),
            "at": format_time(u.sent_at or u.created_at, language, timezone),
        }
        for u in earlier
        for r in [rendering(u, language)]
    ]
    text = (
        _env()
        .get_template(f"{lang}/{MAIL_KIND}.txt")
        .render(
            subject=own["subject"],
            body=own["body"],
            earlier=quoted,
            status_url=status_url,
            status=states.label(update.status, language),
        )
    )
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip("\n") + "\n"


def deliver(
    session: Session,
    announcement: Announcement,
    update: AnnouncementUpdate,
    *,
    now: datetime,
    status_url: str,
    timezone: str,
) -> list[AnnouncementDelivery]:
    """Queue the message for every recipient of the announcement's groups (in this transaction)."""
    from ticketdesk.sms.service import InvalidNumber, queue_sms

    channels = set(announcement.channels or ("email", "sms"))
    languages = list((update.renderings or {}).keys()) or [update.language]
    default_language = app_settings().default_language
    recipients = recipients_of(
        session, announcement.groups, languages=languages, default_language=default_language
    )
    numbers = sms_numbers(recipients)
    earlier = earlier_messages(session, announcement, update)
    from_name = str(get_value(session, "announcements.from_name", "Service status") or "Service status")
    rows: list[AnnouncementDelivery] = []

    def row(item: Recipient, channel: str, **kw: Any) -> None:
        rows.append(
            AnnouncementDelivery(
                update_id=update.id,
                contact_id=item.contact.id,
                channel=channel,
                language=item.language,
                created_at=now,
                **kw,
            )
        )

    for item in recipients:
        if "email" in channels:
            if item.email:
                subject, body = mail_text(
                    update, earlier, item.language, status_url=status_url, timezone=timezone
                )
                mail = queue_mail(
                    session,
                    kind=MAIL_KIND,
                    to=[item.email],
                    subject=subject,
                    text=body,
                    now=now,
                    language=item.language,
                    from_name=from_name,
                )
                row(
                    item,
                    "email",
                    address=item.email,
                    outbound_mail_id=mail.id if mail else None,
                    note=None if mail else "the address was not usable",
                )
            else:
                row(item, "email", address="", note="no e-mail address")
        sms_text = rendering(update, item.language).get("sms_text", "")
        if "sms" not in channels or not sms_text:
            continue
        number = numbers.get(item.contact.id)
        if number is None:
            row(item, "sms", address=item.mobile or "", note=_no_sms_reason(item, numbers))
            continue
        try:
            notification = queue_sms(
                session,
                to=number,
                text=sms_text,
                kind="announcement",
                now=now,
                critical=announcement.kind == states.OUTAGE,
                contact=item.contact,
                organization=item.contact.organization,
                language=item.language,
                approved=True,
                reason_ref={"announcement_id": announcement.id, "update_id": update.id},
            )
        except InvalidNumber as err:
            row(item, "sms", address=number, note=str(err)[:200])
            continue
        row(item, "sms", address=number, sms_notification_id=notification.id)
    session.add_all(rows)
    session.flush()
    log.info(
        "announcement %s: message %s queued for %d recipient(s)", announcement.id, update.id, len(recipients)
    )
    return rows


def _no_sms_reason(item: Recipient, numbers: dict[int, str]) -> str:
    if not item.contact.notify_sms:
        return "SMS turned off for this contact"
    if item.mobile is None:
        return "no mobile number"
    if item.mobile in numbers.values():
        return "same number as another recipient (one SMS sent)"
    return "no SMS"
