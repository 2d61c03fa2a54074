"""Timed ticket work: close resolved tickets after the reopen window; return scheduled tickets on their date."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from ticketdesk.admin.store import reopen_window
from ticketdesk.extensions import db
from ticketdesk.jobs.registry import JobContext, job
from ticketdesk.tickets import service
from ticketdesk.tickets.history import ActorRef
from ticketdesk.tickets.models import Ticket
from ticketdesk.tickets.states import LifecycleError, Status

log = logging.getLogger(__name__)
BATCH = 500


@job("tickets.autoclose", every=60)
def autoclose(payload: dict[str, Any], ctx: JobContext) -> None:
    """Resolved tickets whose reopen window has passed become closed."""
    cutoff = ctx.now - reopen_window(db.session)
    numbers = db.session.scalars(
        select(Ticket.number)
        .where(Ticket.status == Status.RESOLVED, Ticket.resolved_at <= cutoff)
        .order_by(Ticket.resolved_at)
        .limit(BATCH)
    ).all()
    for number in numbers:
        ticket = service.get_for_update(db.session, number)
        try:
            service.change_status(
                db.session,
                ticket,
                Status.CLOSED,
                ActorRef.system("auto-close"),
                now=ctx.now,
                detail=f"reopen window of {reopen_window(db.session).days} days passed",
            )
        except LifecycleError:
            continue  # reopened meanwhile, or still inside the window
        db.session.commit()


@job("tickets.scheduled_due", every=60)
def scheduled_due(payload: dict[str, Any], ctx: JobContext) -> None:
    """Scheduled tickets come back to the queue by themselves on their date."""
    numbers = db.session.scalars(
        select(Ticket.number)
        .where(Ticket.status == Status.SCHEDULED, Ticket.scheduled_for <= ctx.now)
        .order_by(Ticket.scheduled_for)
        .limit(BATCH)
    ).all()
    for number in numbers:
        ticket = service.get_for_update(db.session, number)
        if (
            ticket.status != Status.SCHEDULED
            or ticket.scheduled_for is None
            or ticket.scheduled_for > ctx.now
        ):
            continue
        service.change_status(
            db.session,
            ticket,
            Status.QUEUED,
            ActorRef.system("schedule"),
            now=ctx.now,
            detail="scheduled date reached",
        )
        db.session.commit()


@job("jobs.cleanup", every=3600)
def cleanup(payload: dict[str, Any], ctx: JobContext) -> None:
    """Finished jobs older than a week are deleted (failed ones stay for inspection)."""
    from datetime import timedelta

    from sqlalchemy import delete

    from ticketdesk.jobs.models import Job

    db.session.execute(delete(Job).where(Job.status == "done", Job.finished_at < ctx.now - timedelta(days=7)))
