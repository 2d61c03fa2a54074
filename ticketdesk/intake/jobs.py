"""Intake timed work: finish messages a crash left pending, retry failures, re-check and expire holds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage
from ticketdesk.intake.pipeline import LEASE, process
from ticketdesk.jobs.registry import JobContext, job
from ticketdesk.senderauth import holds

GRACE = timedelta(seconds=30)  # leave fresh messages to the transport that is processing them now
AUTO_RETRIES = 3


@job("intake.sweep", every=30)
def sweep(payload: dict[str, Any], ctx: JobContext) -> None:
    now = ctx.now
    ids = db.session.scalars(
        select(RawMessage.id)
        .where(
            or_(
                and_(RawMessage.status == "pending", RawMessage.received_at < now - GRACE),
                and_(RawMessage.status == "processing", RawMessage.processed_at < now - LEASE),
                and_(
                    RawMessage.status == "failed",
                    RawMessage.attempts < AUTO_RETRIES,
                    RawMessage.processed_at < now - timedelta(minutes=5),
                ),
            )
        )
        .order_by(RawMessage.id)
        .limit(500)
    ).all()
    settings, dns = ctx.app.extensions["ticketdesk.settings"], ctx.app.extensions["ticketdesk.ports"].dns
    for raw_id in ids:
        process(db.session, raw_id, now=now, settings=settings, dns=dns)


@job("senderauth.recheck", every=60)
def recheck_holds(payload: dict[str, Any], ctx: JobContext) -> None:
    holds.recheck(
        db.session,
        now=ctx.now,
        settings=ctx.app.extensions["ticketdesk.settings"],
        dns=ctx.app.extensions["ticketdesk.ports"].dns,
    )


@job("senderauth.expire", every=300)
def expire_holds(payload: dict[str, Any], ctx: JobContext) -> None:
    holds.expire(db.session, now=ctx.now)
