"""Remind on-call staff of announcements that are due (see ``states.due_reminders``): an outage not
announced past the threshold, an outage update every 30 minutes, a maintenance without its completion
notice. One open ``Alert`` per announcement and reason (``dedupe_key`` ``announcement:<id>:<reason>``),
counted up on every repetition; a mail to the on-call agents (the admins when nobody is on call), a
Socket.IO ``announcement.reminder`` to every agent and, unless turned off, an SMS to on-call agents.
Sending the next message resolves the alert (``service.resolve_reminders``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.accounts.models import Agent
from ticketdesk.admin.models import Alert
from ticketdesk.admin.store import app_settings, get_value
from ticketdesk.announcements import states
from ticketdesk.announcements.models import Announcement
from ticketdesk.announcements.service import REMINDER_KIND, resolve_reminders
from ticketdesk.outbound.service import queue_template
from ticketdesk.realtime.publish import publish

log = logging.getLogger(__name__)
CLOSED = sorted({s for values in states.CLOSING.values() for s in values})
MESSAGES = {
    "outage_unannounced": "Outage “{title}” has been open {minutes} min without an announcement to customers",
    "outage_update_due": "Outage “{title}”: the last update to customers was {minutes} min ago; send the next one",
    "completion_due": "Maintenance “{title}” has no completion notice yet ({minutes} min past its planned end)",
}


def policy(session: Session) -> states.ReminderPolicy:
    def minutes(key: str, default: int) -> timedelta:
        return timedelta(minutes=max(1, int(get_value(session, key, default) or default)))

    return states.ReminderPolicy(
        outage_threshold=minutes("announcements.outage_threshold_minutes", 15),
        update_every=minutes("announcements.update_every_minutes", 30),
        repeat=minutes("announcements.reminder_repeat_minutes", 15),
    )


def snapshot(announcement: Announcement) -> states.Snapshot:
    first = min((u.sent_at for u in announcement.updates if u.sent_at), default=None)
    return states.Snapshot(
        kind=announcement.kind,
        status=announcement.status,
        opened_at=announcement.starts_at
        if announcement.kind == states.OUTAGE and announcement.starts_at
        else announcement.created_at,
        announced_at=first,
        last_message_at=announcement.last_update_at,
        starts_at=announcement.starts_at,
        expected_end=announcement.expected_end,
    )


def _key(announcement_id: int, reason: str) -> str:
    return f"announcement:{announcement_id}:{reason}"


def check(session: Session, *, now: datetime) -> list[Alert]:
    """Raise or repeat every reminder due at ``now``; returns the alerts that reminded."""
    rules = policy(session)
    reminded: list[Alert] = []
    for announcement in session.scalars(
        select(Announcement).where(Announcement.status.not_in(CLOSED)).order_by(Announcement.id)
    ):
        open_alerts = {
            a.dedupe_key: a
            for a in session.scalars(
                select(Alert).where(
                    Alert.kind == REMINDER_KIND,
                    Alert.resolved_at.is_(None),
                    Alert.dedupe_key.like(f"announcement:{announcement.id}:%"),
                )
            )
        }
        last = {}
        for key, alert in open_alerts.items():
            at = (alert.details or {}).get("last_reminded_at")
            if key and at:
                last[key.rsplit(":", 1)[1]] = datetime.fromisoformat(at)
        for reminder in states.due_reminders(
            snapshot(announcement), now=now, policy=rules, last_reminded=last
        ):
            reminded.append(
                _remind(
                    session,
                    announcement,
                    reminder,
                    open_alerts.get(_key(announcement.id, reminder.reason)),
                    now=now,
                )
            )
    # reminders of announcements closed meanwhile (e.g. by a direct status change) are over too
    for alert in session.scalars(
        select(Alert).where(Alert.kind == REMINDER_KIND, Alert.resolved_at.is_(None))
    ):
        found = session.get(Announcement, (alert.details or {}).get("announcement_id") or -1)
        if found is None or found.status in CLOSED:
            alert.resolved_at = now
    return reminded


def _remind(
    session: Session,
    announcement: Announcement,
    reminder: states.Reminder,
    alert: Alert | None,
    *,
    now: datetime,
) -> Alert:
    minutes = max(0, int((now - reminder.due_since).total_seconds() // 60)) + _base_minutes(
        session, announcement, reminder
    )
    message = MESSAGES[reminder.reason].format(title=announcement.title, minutes=minutes)
    page_url = f"{app_settings().public_url.rstrip('/')}/announcements/{announcement.id}"
    if alert is None:
        alert = Alert(
            kind=REMINDER_KIND,
            severity="critical" if announcement.kind == states.OUTAGE else "warning",
            message=message,
            dedupe_key=_key(announcement.id, reminder.reason),
            created_at=now,
            details={"announcement_id": announcement.id, "reason": reminder.reason, "count": 0},
        )
        session.add(alert)
    alert.message = message
    alert.details = {
        **(alert.details or {}),
        "count": int((alert.details or {}).get("count", 0)) + 1,
        "last_reminded_at": now.isoformat(),
        "due_since": reminder.due_since.isoformat(),
        "minutes": minutes,
        "page_url": page_url,
    }
    session.flush()
    context: dict[str, Any] = {
        "reason": reminder.reason,
        "title": announcement.title,
        "announcement_kind": announcement.kind,
        "status_label": states.label(announcement.status),
        "minutes": minutes,
        "page_url": page_url,
        "reminder": message,
    }
    staff = _on_call(session)
    by_language: dict[str, list[str]] = {}
    for agent in staff:
        by_language.setdefault(agent.language if agent.language in ("en", "cs") else "en", []).append(
            agent.email
        )
    for language, addresses in sorted(by_language.items()):
        queue_template(
            session,
            kind="announcement_reminder",
            to=addresses,
            language=language,
            now=now,
            from_name="ticketdesk",
            **{**context, "status_label": states.label(announcement.status, language)},
        )
    if get_value(session, "announcements.reminder_sms", True):
        from ticketdesk.sms.service import notify_on_call

        notify_on_call(session, text=f"ticketdesk: {message}. {page_url}", now=now)
    publish(
        session,
        "announcement.reminder",
        {
            "alert_id": alert.id,
            "announcement_id": announcement.id,
            "reason": reminder.reason,
            "kind": announcement.kind,
            "title": announcement.title,
            "status": announcement.status,
            "minutes": minutes,
            "message": message,
            "count": alert.details["count"],
            "url": f"/announcements/{announcement.id}",
        },
        ["agents"],
    )
    log.warning("announcement reminder: %s", message)
    return alert


def _base_minutes(session: Session, announcement: Announcement, reminder: states.Reminder) -> int:
    """How long the condition had lasted when the reminder became due (the threshold itself)."""
    rules = policy(session)
    if reminder.reason == "outage_unannounced":
        return int(rules.outage_threshold.total_seconds() // 60)
    if reminder.reason == "outage_update_due":
        return int(rules.update_every.total_seconds() // 60)
    return 0


def _on_call(session: Session) -> list[Agent]:
    agents = session.scalars(
        select(Agent).where(Agent.active.is_(True), Agent.on_call.is_(True)).order_by(Agent.id)
    ).all()
    if agents:
        return list(agents)
    log.warning("nobody is on call: announcement reminders go to the admins")
    return list(
        session.scalars(select(Agent).where(Agent.active.is_(True), Agent.role == "admin").order_by(Agent.id))
    )


__all__ = ["check", "policy", "snapshot", "resolve_reminders"]
