"""Claim and run jobs; safe with any number of workers (SKIP LOCKED on PostgreSQL, a guarded
UPDATE on SQLite), so each job is done once."""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from flask import Flask
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from ticketdesk.extensions import db
from ticketdesk.jobs.models import Job
from ticketdesk.jobs.queue import enqueue
from ticketdesk.jobs.registry import HANDLERS, PERIODIC, JobContext, PermanentFailure, RetryLater
from ticketdesk.ports.clock import utcnow

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def load_handlers() -> None:
    """Import every module that registers job handlers."""
    from ticketdesk import job_modules  # noqa: F401


def schedule_periodic() -> None:
    """Enqueue each periodic job once per interval bucket; the unique dedupe key makes it once overall."""
    now = utcnow()
    for kind, every in PERIODIC.items():
        bucket = int(now.timestamp()) // every
        try:
            with db.session.begin_nested():
                enqueue(db.session, kind, {}, dedupe_key=f"periodic:{kind}:{bucket}", max_attempts=1)
        except IntegrityError:
            pass  # another worker scheduled it first
    db.session.commit()


def claim_next() -> Job | None:
    now = utcnow()
    ready = and_(
        or_(Job.status == "pending", and_(Job.status == "running", Job.locked_until < now)),
        Job.run_at <= now,
    )
    if db.session.get_bind().dialect.name == "postgresql":
        job = db.session.scalar(
            select(Job).where(ready).order_by(Job.run_at, Job.id).limit(1).with_for_update(skip_locked=True)
        )
        if job is None:
            db.session.commit()
            return None
        job.status, job.locked_until, job.locked_by = "running", now + LEASE, WORKER_ID
        job.attempts += 1
        db.session.commit()
        return job
    for candidate in db.session.scalars(select(Job.id).where(ready).order_by(Job.run_at, Job.id).limit(5)):
        result = db.session.execute(
            update(Job)
            .where(Job.id == candidate, ready)
            .values(
                status="running", locked_until=now + LEASE, locked_by=WORKER_ID, attempts=Job.attempts + 1
            )
        )
        if result.rowcount == 1:
            db.session.commit()
            return db.session.get(Job, candidate)
    db.session.commit()
    return None


def _backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempt - 1), 3600))


def run_job(app: Flask, job: Job) -> bool:
    """Run one claimed job in its own transaction; returns True when it succeeded."""
    job_id, kind, payload, attempt = job.id, job.kind, dict(job.payload or {}), job.attempts
    handler = HANDLERS.get(kind)
    error: str | None = None
    delay: timedelta | None = None
    permanent = handler is None
    if handler is None:
        error = f"no handler for job kind {kind!r}"
    else:
        try:
            handler(payload, JobContext(app=app, now=utcnow(), job_id=job_id, attempt=attempt))
            db.session.commit()
        except RetryLater as err:
            db.session.rollback()
            error = str(err)
            delay = timedelta(seconds=err.delay) if err.delay is not None else None
        except PermanentFailure as err:
            db.session.rollback()
            error, permanent = str(err), True
        except Exception as err:  # recorded on the job and retried with backoff, never lost
            db.session.rollback()
            log.exception("job %s (%s) failed", job_id, kind)
            error = f"{type(err).__name__}: {err}"
    stored = db.session.get(Job, job_id)
    if stored is None:
        return error is None
    now = utcnow()
    if error is None:
        stored.status, stored.finished_at, stored.locked_until, stored.last_error = "done", now, None, None
    elif permanent or stored.attempts >= stored.max_attempts:
        stored.status, stored.finished_at, stored.last_error, stored.locked_until = "failed", now, error, None
    else:
        stored.status, stored.last_error, stored.locked_until = "pending", error, None
        stored.run_at = now + (delay if delay is not None else _backoff(stored.attempts))
    db.session.commit()
    return error is None


def run_pending(app: Flask, *, limit: int | None = None) -> int:
    """Run ready jobs until none is left (or ``limit``); returns how many ran."""
    count = 0
    while limit is None or count < limit:
        job = claim_next()
        if job is None:
            break
        run_job(app, job)
        count += 1
    return count


def run_once(app: Flask) -> int:
    """One worker pass: schedule what is due, then run everything ready."""
    load_handlers()
    schedule_periodic()
    return run_pending(app)
