"""Small helpers shared by the SMS integration tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ticketdesk.extensions import db
from ticketdesk.jobs.models import Job
from ticketdesk.jobs.runner import run_once
from ticketdesk.sms import service
from ticketdesk.sms.models import SmsAttempt, SmsNotification, SmsReport


def fresh(attempt_id: int) -> SmsAttempt:
    """A detached snapshot of the attempt as stored now; the read transaction is ended so that other
    threads (a live server, the worker) are not kept waiting for SQLite's lock."""
    db.session.expire_all()
    attempt = db.session.get(SmsAttempt, attempt_id)
    assert attempt is not None
    db.session.expunge(attempt)
    db.session.rollback()
    return attempt


def submitted(app: Any, n: int = 1, *, now: datetime) -> list[SmsAttempt]:
    """``n`` SMS queued and handed to the app's gateway by the worker (detached snapshots)."""
    ids = []
    for i in range(n):
        notification = service.queue_sms(
            db.session, to=f"+42077712{i:04d}", text=f"Message {i}", kind="manual", now=now
        )
        db.session.flush()
        ids.append(notification.attempts[-1].id)
    db.session.commit()
    run_once(app)
    attempts = [fresh(i) for i in ids]
    assert all(a.status == "submitted" for a in attempts)
    return attempts


def history(attempt_id: int) -> list[tuple[str, bool, str]]:
    rows = db.session.scalars(
        select(SmsReport).where(SmsReport.attempt_id == attempt_id).order_by(SmsReport.id)
    )
    return [(r.status, r.applied, r.source) for r in rows]


def count(model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def attempts_of(notification: SmsNotification) -> list[SmsAttempt]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(SmsAttempt).where(SmsAttempt.notification_id == notification.id).order_by(SmsAttempt.id)
        )
    )


def pending_jobs(kind: str) -> int:
    return count(Job, Job.kind == kind, Job.status == "pending")
