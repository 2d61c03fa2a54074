"""Put work into the job table, inside the caller's transaction (the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.db.rows import insert_loaded
from ticketdesk.jobs.models import Job
from ticketdesk.ports.clock import utcnow


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 8,
) -> Job | None:
    """Add a job to ``session``; with ``dedupe_key``, a job already there with that key wins (returns None)."""
    if dedupe_key is not None:
        exists = session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key))
        if exists is not None:
            return None
    job = Job(
        kind=kind,
        payload=payload or {},
        run_at=run_at or utcnow(),
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
    )
    return insert_loaded(session, job)
