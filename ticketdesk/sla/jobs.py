"""Timed SLA work: escalate near breaches every minute; mail the client when due times changed.

Each ticket is locked, re-checked and committed on its own, so one bad ticket never blocks the rest
and two workers never warn twice (the warning is recorded under the row lock).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from ticketdesk.extensions import db
from ticketdesk.jobs.registry import JobContext, job
from ticketdesk.sla import service
from ticketdesk.tickets.models import Ticket

log = logging.getLogger(__name__)


@job("sla.escalate", every=60)
def escalate(payload: dict[str, Any], ctx: JobContext) -> None:
    """Warn agents (live, history, on-call SMS for urgent tickets) once per near breach."""
    for near in service.near_breaches(db.session, now=ctx.now):
        ticket = db.session.scalar(select(Ticket).where(Ticket.id == near.ticket_id).with_for_update(of=Ticket))
        if ticket is None:
            continue
        try:
            fired = service.escalate(db.session, ticket, near.kind, now=ctx.now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("SLA escalation of ticket %s (%s) failed", near.number, near.kind)
            continue
        if fired:
            log.info("SLA %s warning for ticket %s (%s)", near.kind, near.number, near.state)


@job("sla.notify_change")
def notify_change(payload: dict[str, Any], ctx: JobContext) -> None:
    """Tell the client the new due times (if they moved enough since they were last told)."""
    number = payload.get("number")
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number).with_for_update(of=Ticket))
    if ticket is None:
        return
    service.send_due_time_update(db.session, ticket, now=ctx.now)
