"""The SMS worker: hand attempts to the gateway, reconcile unknown outcomes, release scheduled
ones, apply the report deadline, match late reports and run the silent-failure monitor.

Every queued attempt has its own ``sms.send`` job (written with the SMS, the outbox). The job
hands over its attempt together with up to ``SEND_BATCH - 1`` other queued ones (locked with
``SKIP LOCKED`` on PostgreSQL, so concurrent workers take different ones) and marks their jobs
done; batching only saves transactions, each attempt still gets its own stamp, hand-over and
record, and ``SEND_CONCURRENCY`` hand-overs are in flight at once.

Hand-over is crash-safe without ever sending twice blindly:

1. only a ``queued`` attempt is sent. ``send_started_at`` is stamped and committed *before* the
   HTTP call, which carries the attempt's fixed idempotency key;
2. the gateway's answer is recorded in a second transaction: accepted → ``submitted``,
   refused (4xx) → ``failed`` (not retried), unknown (5xx, timeout, no id) → ``unknown`` and a
   ``sms.reconcile`` job;
3. a ``queued`` attempt whose stamp is older than ``SEND_LEASE`` was abandoned by a worker that
   died half-way (found by its job's retry, or by the ``sms.due`` sweep): its outcome is marked
   unknown and reconciled instead of sending again.

Reconciliation asks the gateway (``lookup``): if it has the message, the attempt is
``submitted`` (or whatever the gateway reports); if it certainly does not, the attempt goes back
to ``queued`` and is sent again under the same idempotency key; if the gateway cannot be asked
now, the job retries with backoff; if it can never be asked (no look-up API, e.g. Twilio without
a message SID), the attempt stays ``unknown`` for a person to decide (a deliberate resend).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import lazyload

from ticketdesk.extensions import db
from ticketdesk.jobs.models import Job
from ticketdesk.jobs.queue import enqueue
from ticketdesk.jobs.registry import JobContext, RetryLater, job
from ticketdesk.ports.sms import GatewayError, LookupUnsupported, SendResult, SmsOut
from ticketdesk.sms import monitor, states, webhooks
from ticketdesk.sms.lifecycle import move, prefetch_rooms, record, send_job_key, sync_attempts, transition
from ticketdesk.sms.models import SmsAttempt, SmsReport, SmsStop

log = logging.getLogger(__name__)
SEND_LEASE = timedelta(minutes=2)  # longer than any gateway timeout: a stamp older than this is a crash
SEND_BATCH = 50  # attempts one job hands over (one stamp transaction, one record transaction)
SEND_CONCURRENCY = 8  # hand-overs in flight at once within a batch
RECONCILE_DELAYS = (30, 60, 120, 300, 600, 1800, 3600)
BATCH = 500


def _gateway(ctx: JobContext) -> Any:
    return ctx.app.extensions["ticketdesk.ports"].sms


def callback_url(gateway: Any, public_url: str) -> str:
    path = "/api/v1/sms/twilio/status" if getattr(gateway, "name", "") == "twilio" else "/api/v1/sms/status"
    return public_url.rstrip("/") + path


def _locked(attempt_id: int) -> SmsAttempt | None:
    return db.session.scalar(
        select(SmsAttempt)
        .where(SmsAttempt.id == attempt_id)
        .options(lazyload(SmsAttempt.reports), lazyload(SmsAttempt.notification))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _reconcile_later(attempt_id: int, now: datetime, step: int = 0) -> None:
    delay = RECONCILE_DELAYS[min(step, len(RECONCILE_DELAYS) - 1)]
    enqueue(
        db.session,
        "sms.reconcile",
        {"attempt_id": attempt_id, "step": step},
        run_at=now + timedelta(seconds=delay),
        max_attempts=len(RECONCILE_DELAYS) + 3,
    )


def _crashed(attempt: SmsAttempt, now: datetime) -> None:
    """A hand-over was stamped but never recorded: the worker died. Ask the gateway, never resend blindly."""
    transition(
        db.session,
        attempt,
        "submit_unknown",
        now=now,
        detail="the worker stopped during the hand-over; asking the gateway before any resend",
    )
    _reconcile_later(attempt.id, now)


def _batch(own_id: int) -> list[SmsAttempt]:
    """Other queued attempts nobody is handing over, taken along with this job's own (locked; on
    PostgreSQL rows another worker holds are skipped)."""
    return list(
        db.session.scalars(
            select(SmsAttempt)
            .where(
                SmsAttempt.status == states.QUEUED,
                SmsAttempt.send_started_at.is_(None),
                SmsAttempt.id != own_id,
            )
            .order_by(SmsAttempt.id)
            .limit(SEND_BATCH - 1)
            .options(lazyload(SmsAttempt.notification))
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )


def _finish_sibling_jobs(attempt_ids: list[int], *, now: datetime) -> None:
    """The pending ``sms.send`` jobs of attempts this batch takes along are done by it (they would only
    find their attempt no longer queued). A job that another worker already runs is left alone."""
    if not attempt_ids:
        return
    rows = db.session.scalars(
        select(func.max(SmsReport.id))
        .where(SmsReport.attempt_id.in_(attempt_ids), SmsReport.status == states.QUEUED)
        .group_by(SmsReport.attempt_id)
    ).all()
    if rows:
        db.session.execute(
            update(Job)
            .where(Job.dedupe_key.in_([send_job_key(r) for r in rows]), Job.status == "pending")
            .values(status="done", finished_at=now)
            .execution_options(synchronize_session=False)
        )


def _hand_over(gateway: Any, outgoing: list[SmsOut]) -> list[SendResult]:
    if len(outgoing) == 1:
        return [gateway.send(outgoing[0])]
    with ThreadPoolExecutor(
        max_workers=min(SEND_CONCURRENCY, len(outgoing)), thread_name_prefix="sms-send"
    ) as pool:
        return list(pool.map(gateway.send, outgoing))


def _record(attempt: SmsAttempt, result: SendResult, now: datetime) -> None:
    attempt.send_started_at = None
    attempt.submitted_at = attempt.submitted_at or now
    if result.gateway_id:
        attempt.gateway_id = result.gateway_id
    if attempt.status != states.QUEUED:  # a report (or an admin) got there first: the answer is history
        record(
            db.session,
            attempt,
            states.SUBMITTED if result.kind == "accepted" else attempt.status,
            now=now,
            detail=f"gateway answer {result.kind}: {result.reason}".rstrip(": "),
            applied=False,
        )
        return
    detail = {
        "accepted": f"accepted by the gateway as {result.gateway_id}"
        + (" (log gateway: NOT REALLY SENT)" if attempt.gateway == "log" else ""),
        "refused": f"refused by the gateway: {result.reason}",
        "unknown": f"outcome unknown ({result.reason}); asking the gateway before any resend",
    }[result.kind]
    transition(db.session, attempt, result.action, now=now, detail=detail, sync=False)
    if result.kind == "unknown":
        _reconcile_later(attempt.id, now)


@job("sms.send")
def send(payload: dict[str, Any], ctx: JobContext) -> None:
    """Hand this job's attempt, and up to SEND_BATCH-1 other queued ones, to the gateway.

    The other attempts' own jobs then find them no longer queued and finish at once; batching only
    amortises the transactions, every attempt still gets its own stamp, hand-over and record.
    """
    own_id = int(payload["attempt_id"])
    now = ctx.now
    own = _locked(own_id)
    if own is None or own.status != states.QUEUED:
        return
    if own.send_started_at is not None:
        if own.send_started_at <= now - SEND_LEASE:
            _crashed(own, now)
        return  # a fresh stamp: another worker is handing it over right now
    batch = [own, *_batch(own_id)]
    stopped = set(
        db.session.scalars(select(SmsStop.e164).where(SmsStop.e164.in_({a.to_e164 for a in batch})))
    )
    gateway = _gateway(ctx)
    callback = callback_url(gateway, ctx.app.extensions["ticketdesk.settings"].public_url)
    sending: list[SmsAttempt] = []
    for attempt in batch:
        if attempt.to_e164 in stopped:
            transition(db.session, attempt, "stop_listed", now=now)
            continue
        attempt.send_started_at, attempt.gateway = now, gateway.name
        sending.append(attempt)
    outgoing = [
        SmsOut(id=a.id, to=a.to_e164, text=a.text, idempotency_key=a.idempotency_key, callback_url=callback)
        for a in sending
    ]
    ids = [a.id for a in sending]
    _finish_sibling_jobs([a.id for a in batch if a.id != own_id], now=now)
    db.session.commit()  # the stamps are durable before anything leaves the building

    results = _hand_over(gateway, outgoing)

    locked = {
        a.id: a
        for a in db.session.scalars(
            select(SmsAttempt)
            .where(SmsAttempt.id.in_(ids))
            .options(lazyload(SmsAttempt.notification))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    prefetch_rooms(db.session, [a.notification_id for a in locked.values()])
    for attempt_id, result in zip(ids, results, strict=True):
        if attempt_id in locked:
            _record(locked[attempt_id], result, now)
    sync_attempts(db.session, list(locked.values()), now=now)


@job("sms.reconcile")
def reconcile(payload: dict[str, Any], ctx: JobContext) -> None:
    attempt_id, step = int(payload["attempt_id"]), int(payload.get("step", 0))
    attempt = _locked(attempt_id)
    if attempt is None or attempt.status != states.UNKNOWN:
        return
    now = ctx.now
    try:
        found = _gateway(ctx).lookup(attempt.id, attempt.gateway_id)
    except LookupUnsupported as err:
        record(
            db.session,
            attempt,
            states.UNKNOWN,
            now=now,
            applied=False,
            detail=f"cannot ask the gateway ({err}); not resent automatically to avoid a duplicate",
        )
        return
    except GatewayError as err:
        delay = RECONCILE_DELAYS[min(step + 1, len(RECONCILE_DELAYS) - 1)]
        raise RetryLater(f"reconciliation of SMS {attempt_id}: {err}", delay=delay) from err
    if found is None:
        if attempt.gateway_id is None:  # never accepted anywhere: sending again is safe
            attempt.send_started_at = None
            transition(db.session, attempt, "reconcile_missing", now=now)
        else:
            record(
                db.session,
                attempt,
                states.UNKNOWN,
                now=now,
                applied=False,
                detail="the gateway accepted this SMS earlier but no longer knows it; not resent automatically",
            )
        return
    if found.gateway_id and not attempt.gateway_id:
        attempt.gateway_id = found.gateway_id
    if found.status == states.SUBMITTED and attempt.report_deadline is None:
        # The hand-over's outcome is known now: the gateway has it. (Not a report, so not subject to
        # the report ranking, where a late "submitted" never undoes "unknown".)
        move(
            db.session,
            attempt,
            states.SUBMITTED,
            now=now,
            source="reconcile",
            detail=f"reconciled: the gateway has the message as {attempt.gateway_id}; waiting for its report",
        )
        return
    report = webhooks.GatewayReport(
        found.gateway_id or attempt.gateway_id or "",
        found.status,
        None,
        found.detail or "reported by the gateway's status look-up",
    )
    webhooks.apply(db.session, attempt, report, now=now, source="reconcile")


@job("sms.report_unmatched")
def report_unmatched(payload: dict[str, Any], ctx: JobContext) -> None:
    report = webhooks.GatewayReport.from_payload(payload["report"])
    outcome = webhooks.receive(db.session, report, now=ctx.now, defer=False)
    if not outcome.matched:
        raise RetryLater(f"no SMS with gateway id {report.gateway_id} yet", delay=30)


@job("sms.due", every=30)
def due(payload: dict[str, Any], ctx: JobContext) -> None:
    """Scheduled attempts whose time has come (quiet hours over, planned send time) are queued; hand-overs
    abandoned by a crashed worker are reconciled."""
    ids = db.session.scalars(
        select(SmsAttempt.id)
        .where(SmsAttempt.status == states.SCHEDULED, SmsAttempt.scheduled_for <= ctx.now)
        .order_by(SmsAttempt.scheduled_for)
        .limit(BATCH)
    ).all()
    for attempt_id in ids:
        attempt = _locked(attempt_id)
        if attempt is not None and attempt.status == states.SCHEDULED:
            transition(db.session, attempt, "due", now=ctx.now)
    db.session.commit()
    stale = db.session.scalars(
        select(SmsAttempt.id)
        .where(SmsAttempt.status == states.QUEUED, SmsAttempt.send_started_at <= ctx.now - SEND_LEASE)
        .limit(BATCH)
    ).all()
    for attempt_id in stale:  # hand-overs whose worker died (their job may already be finished)
        attempt = _locked(attempt_id)
        if attempt is not None and attempt.status == states.QUEUED and attempt.send_started_at is not None:
            _crashed(attempt, ctx.now)
    db.session.commit()


@job("sms.deadlines", every=60)
def deadlines(payload: dict[str, Any], ctx: JobContext) -> None:
    """No final report by the deadline: ``unknown`` (a late report still settles it), and ask the gateway."""
    ids = db.session.scalars(
        select(SmsAttempt.id)
        .where(SmsAttempt.status.in_(states.AWAITING_REPORT_STATES), SmsAttempt.report_deadline <= ctx.now)
        .order_by(SmsAttempt.report_deadline)
        .limit(BATCH)
    ).all()
    for attempt_id in ids:
        attempt = _locked(attempt_id)
        if attempt is None or attempt.status not in states.AWAITING_REPORT_STATES:
            continue
        transition(db.session, attempt, "deadline_passed", now=ctx.now)
        gateway = _gateway(ctx)
        if getattr(gateway, "supports_lookup", False) and gateway.name != "log":  # the log never learns more
            _reconcile_later(attempt_id, ctx.now)
    db.session.commit()


@job("sms.monitor", every=60)
def run_monitor(payload: dict[str, Any], ctx: JobContext) -> None:
    """The silent-failure detector (``ticketdesk.sms.monitor``)."""
    monitor.check(db.session, now=ctx.now)
