"""Every state change of an SMS attempt, with its history, its notification and its event.

``transition`` applies one of our own actions through ``ticketdesk.sms.states``; ``move`` puts
an attempt into a state the table (or a gateway report) allowed. Either way an ``SmsReport``
row is appended (the history is never rewritten), the notification keeps the status of its
latest attempt, and ``sms.status`` is published to the staff rooms after commit. Entering
``queued`` wakes the sender with a ``sms.send`` job written in the same transaction.

Batches (the worker) pass ``sync=False`` and bring the notifications up to date once with
``sync_attempts``; what a batch read once (settings, what its events need) is kept for the length
of the transaction. Batches of delivery reports (``webhooks.receive_many``) apply the same rules
(``enter``, ``history_values``, ``publish_event``) to plain rows and write them in a few statements.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.util import identity_key

from ticketdesk.admin.store import get_value
from ticketdesk.jobs.queue import enqueue
from ticketdesk.realtime.publish import publish
from ticketdesk.realtime.rooms import sms_rooms
from ticketdesk.sms import states
from ticketdesk.sms.models import SmsAttempt, SmsNotification, SmsReport
from ticketdesk.tickets.models import Ticket

DEFAULT_REPORT_DEADLINE_MIN = 60
NO_COVERAGE_PATIENCE = timedelta(days=7)  # operators keep retrying a switched-off phone about a week


# --- what one transaction read once ------------------------------------------------------------


def tx_cache(session: Session) -> dict[str, Any]:
    """A dict that lives as long as the current transaction (settings read once per batch)."""
    real = session() if isinstance(session, scoped_session) else session
    tx = real.get_transaction()
    held = session.info.get("sms.cache")
    if held is None or held[0] is not tx:
        held = session.info["sms.cache"] = (tx, {})
    return held[1]


def setting(session: Session, key: str, default: Any) -> Any:
    cache = tx_cache(session).setdefault("settings", {})
    if key not in cache:
        cache[key] = get_value(session, key, default)
    return cache[key]


def report_deadline(session: Session) -> timedelta:
    return timedelta(
        minutes=int(setting(session, "sms.report_deadline_minutes", DEFAULT_REPORT_DEADLINE_MIN))
    )


def send_job_key(queued_row_id: int) -> str:
    """The dedupe key of the ``sms.send`` job woken by one entry into ``queued`` (its history row)."""
    return f"sms.send:{queued_row_id}"


def wake_sender(session: Session, attempt: SmsAttempt, queued_row: SmsReport, *, now: datetime) -> None:
    session.flush()
    enqueue(
        session, "sms.send", {"attempt_id": attempt.id}, run_at=now, dedupe_key=send_job_key(queued_row.id)
    )


# --- transitions and history -------------------------------------------------------------------


def record(
    session: Session,
    attempt: SmsAttempt,
    status: str,
    *,
    now: datetime,
    at: datetime | None = None,
    detail: str = "",
    source: str = "system",
    applied: bool = True,
    gateway_status: str | None = None,
    dedupe_key: str | None = None,
) -> SmsReport:
    """Append one row to the attempt's history (reports are never updated or deleted)."""
    row = SmsReport(
        **history_values(
            attempt.id,
            status,
            now=now,
            at=at,
            detail=detail,
            source=source,
            applied=applied,
            gateway_status=gateway_status,
            dedupe_key=dedupe_key,
        )
    )
    session.add(row)
    return row


def history_values(
    attempt_id: int,
    status: str,
    *,
    now: datetime,
    at: datetime | None,
    detail: str,
    source: str,
    applied: bool,
    gateway_status: str | None,
    dedupe_key: str | None,
) -> dict[str, Any]:
    """The columns of one history row (``record`` adds it to the session; batches INSERT many at once)."""
    return {
        "attempt_id": attempt_id,
        "status": status,
        "gateway_status": gateway_status,
        "at": at or now,
        "detail": detail[:2000],
        "source": source,
        "applied": applied,
        "dedupe_key": dedupe_key,
        "received_at": now,
    }


def transition(
    session: Session,
    attempt: SmsAttempt,
    action: str,
    *,
    now: datetime,
    detail: str = "",
    source: str = "system",
    sync: bool = True,
) -> states.Outcome:
    """Apply one of our own actions (raises SmsTransitionError when the table forbids it)."""
    outcome = states.apply_action(attempt.status, action)
    note = detail or outcome.note
    row = move(session, attempt, outcome.new_state, now=now, detail=note, source=source, sync=sync)
    if outcome.new_state == states.QUEUED:
        wake_sender(session, attempt, row, now=now)
    return outcome


def move(
    session: Session,
    attempt: SmsAttempt,
    new_state: str,
    *,
    now: datetime,
    at: datetime | None = None,
    detail: str = "",
    source: str = "system",
    gateway_status: str | None = None,
    dedupe_key: str | None = None,
    sync: bool = True,
) -> SmsReport:
    """Put the attempt into ``new_state`` (already allowed by ``states``) with its history row.

    ``sync=False`` leaves the notification's status to a later ``sync_notifications`` (batches).
    """
    previous = attempt.status
    enter(session, attempt, new_state, now=now, at=at, detail=detail)
    row = record(
        session,
        attempt,
        new_state,
        now=now,
        at=at,
        detail=detail,
        source=source,
        gateway_status=gateway_status,
        dedupe_key=dedupe_key,
    )
    if sync:
        sync_attempts(session, [attempt], now=now)
    publish_status(session, attempt, previous=previous, now=now, detail=detail)
    return row


def enter(
    session: Session, attempt: Any, new_state: str, *, now: datetime, at: datetime | None, detail: str
) -> None:
    """What entering ``new_state`` sets on the attempt: a mapped ``SmsAttempt`` (``move``) or any object
    with its column names (batches of reports, written with one UPDATE)."""
    attempt.status, attempt.updated_at = new_state, now
    if new_state in states.FINAL_STATES:
        attempt.final_at = at or now
    if new_state not in (states.AWAITING_APPROVAL, states.PAUSED, states.SCHEDULED):
        attempt.hold_reason = None
    if new_state == states.SUBMITTED and attempt.report_deadline is None:
        attempt.report_deadline = (attempt.submitted_at or now) + report_deadline(session)
    if new_state == states.NO_COVERAGE:
        attempt.report_deadline = (at or now) + NO_COVERAGE_PATIENCE
    if new_state == states.FAILED and detail:
        attempt.error = detail[:1000]


_LATEST = (
    select(SmsAttempt.status)
    .where(SmsAttempt.notification_id == SmsNotification.id)
    .order_by(SmsAttempt.id.desc())
    .limit(1)
    .scalar_subquery()
)
_ROOMS_MANY = select(SmsNotification.id, SmsNotification.kind, Ticket.number).outerjoin(
    Ticket, Ticket.id == SmsNotification.ticket_id
)


def sync_notifications(session: Session, notification_ids: list[int], *, now: datetime) -> None:
    """Each notification shows the state of its latest attempt (one UPDATE for a whole batch)."""
    if not notification_ids:
        return
    session.flush()
    session.execute(
        update(SmsNotification)
        .where(SmsNotification.id.in_(sorted(set(notification_ids))))
        .values(status=_LATEST, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    for nid in set(notification_ids):
        _expire_notification(session, nid)


def sync_attempts(session: Session, attempts: list[SmsAttempt], *, now: datetime) -> None:
    """Bring the notifications of these (just moved) attempts up to date, in one statement."""
    sync_notifications(session, [a.notification_id for a in attempts], now=now)


def _expire_notification(session: Session, notification_id: int) -> None:
    loaded = session.identity_map.get(identity_key(SmsNotification, notification_id))
    if loaded is not None:
        session.expire(loaded, ["status", "updated_at"])


def prefetch_rooms(session: Session, notification_ids: list[int]) -> None:
    """Load what ``sms.status`` events of many notifications need, at once (for a batch of transitions)."""
    cache = tx_cache(session).setdefault("rooms", {})
    wanted = [n for n in set(notification_ids) if n not in cache]
    if wanted:
        for nid, *info in session.execute(_ROOMS_MANY.where(SmsNotification.id.in_(wanted))):
            cache[nid] = tuple(info)


def publish_status(
    session: Session, attempt: SmsAttempt, *, previous: str | None, now: datetime, detail: str
) -> None:
    cache = tx_cache(session).setdefault("rooms", {})
    if attempt.notification_id not in cache:
        prefetch_rooms(session, [attempt.notification_id])
    kind, number = cache[attempt.notification_id]
    publish_event(session, attempt, previous=previous, now=now, detail=detail, kind=kind, number=number)


def publish_event(
    session: Session,
    attempt: Any,
    *,
    previous: str | None,
    now: datetime,
    detail: str,
    kind: str,
    number: int | None,
) -> None:
    """``sms.status`` for the attempt's new state, to staff after commit (``kind`` and ``number`` are its
    notification's kind and ticket number)."""
    data = {
        "id": attempt.id,
        "notification_id": attempt.notification_id,
        "status": attempt.status,
        "previous": previous,
        "at": now.isoformat(),
        "detail": detail,
        "number": number,
        "kind": kind,
    }
    publish(session, "sms.status", data, sms_rooms(number))
