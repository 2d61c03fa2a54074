"""Worker jobs of announcements: the reminders to on-call staff, checked every minute."""

from __future__ import annotations

from typing import Any

from ticketdesk.announcements import reminders
from ticketdesk.extensions import db
from ticketdesk.jobs.registry import JobContext, job


@job("announcements.reminders", every=60)
def remind(payload: dict[str, Any], ctx: JobContext) -> None:
    reminders.check(db.session, now=ctx.now)
