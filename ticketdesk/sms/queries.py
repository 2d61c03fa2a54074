"""SMS reads: attempts with their history (the JSON shape of DESIGN.md), delivered ratios per gateway
and per country/operator over time, and the alerts banner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, selectinload

from ticketdesk.admin.models import Alert
from ticketdesk.sms import states
from ticketdesk.sms.models import SmsAttempt, SmsNotification
from ticketdesk.tickets.models import Ticket

GROUPS = ("gateway", "country", "operator")
BUCKETS = ("hour", "day")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def attempt_dict(
    attempt: SmsAttempt, notification: SmsNotification | None = None, ticket_number: int | None = None
) -> dict[str, Any]:
    """``{"id", "notification_id", "to", "text", "segments", "status", "gateway_id", "history"}`` and more."""
    notification = notification or attempt.notification
    return {
        "id": attempt.id,
        "notification_id": attempt.notification_id,
        "to": attempt.to_e164,
        "text": attempt.text,
        "segments": attempt.segments,
        "encoding": attempt.encoding,
        "status": attempt.status,
        "gateway": attempt.gateway,
        "gateway_id": attempt.gateway_id,
        "error": attempt.error,
        "kind": notification.kind if notification else None,
        "ticket": ticket_number,
        "contact_id": notification.contact_id if notification else None,
        "critical": notification.critical if notification else None,
        "resend_of_id": attempt.resend_of_id,
        "hold_reason": attempt.hold_reason,
        "country": attempt.country,
        "operator": attempt.operator,
        "scheduled_for": _iso(attempt.scheduled_for),
        "submitted_at": _iso(attempt.submitted_at),
        "final_at": _iso(attempt.final_at),
        "report_deadline": _iso(attempt.report_deadline),
        "created_at": _iso(attempt.created_at),
        "allowed_actions": [
            a for a in states.allowed_actions(attempt.status) if a in ("approve", "pause", "resume", "cancel")
        ],
        "history": [
            {
                "status": r.status,
                "at": _iso(r.at),
                "detail": r.detail,
                "source": r.source,
                "applied": r.applied,
                "gateway_status": r.gateway_status,
                "received_at": _iso(r.received_at),
            }
            for r in attempt.reports
        ],
    }


@dataclass(frozen=True)
class SmsFilter:
    ticket_id: int | None = None
    notification_id: int | None = None
    status: list[str] | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_attempts(
    session: Session,
    f: SmsFilter,
    *,
    org_scope: int | None,
    after_id: int | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first, keyset-paginated on the id; a contact (``org_scope``) sees only SMS sent to
    its organisation's contacts, never those to staff."""
    query = (
        select(SmsAttempt, SmsNotification, Ticket.number)
        .join(SmsNotification, SmsNotification.id == SmsAttempt.notification_id)
        .outerjoin(Ticket, Ticket.id == SmsNotification.ticket_id)
        .order_by(SmsAttempt.id.desc())
        .limit(limit + 1)
        .options(selectinload(SmsAttempt.reports))
    )
    if org_scope is not None:
        query = query.where(
            SmsNotification.organization_id == org_scope, SmsNotification.contact_id.is_not(None)
        )
    if f.ticket_id is not None:
        query = query.where(SmsNotification.ticket_id == f.ticket_id)
    if f.notification_id is not None:
        query = query.where(SmsAttempt.notification_id == f.notification_id)
    if f.status:
        query = query.where(SmsAttempt.status.in_(f.status))
    if f.kind:
        query = query.where(SmsNotification.kind == f.kind)
    if f.since is not None:
        query = query.where(SmsAttempt.created_at >= f.since)
    if f.until is not None:
        query = query.where(SmsAttempt.created_at < f.until)
    if after_id is not None:
        query = query.where(SmsAttempt.id < after_id)
    rows = session.execute(query).all()
    items = [attempt_dict(a, n, number) for a, n, number in rows[:limit]]
    next_id = rows[limit - 1][0].id if len(rows) > limit else None
    return items, next_id


def get_attempt(session: Session, attempt_id: int, *, org_scope: int | None) -> SmsAttempt | None:
    attempt = session.get(SmsAttempt, attempt_id)
    if attempt is None or org_scope is None:
        return attempt
    n = attempt.notification
    return attempt if n.organization_id == org_scope and n.contact_id is not None else None


def ticket_number_of(session: Session, attempt: SmsAttempt) -> int | None:
    ticket_id = attempt.notification.ticket_id
    return session.scalar(select(Ticket.number).where(Ticket.id == ticket_id)) if ticket_id else None


# --- delivered ratios ---------------------------------------------------------------------------


def _bucket(session: Session, bucket: str) -> ColumnElement[Any]:
    column = SmsAttempt.submitted_at
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(
            func.date_trunc(bucket, func.timezone("UTC", column)),
            'YYYY-MM-DD"T"HH24:00:00Z' if bucket == "hour" else "YYYY-MM-DD",
        )
    return func.strftime("%Y-%m-%dT%H:00:00Z" if bucket == "hour" else "%Y-%m-%d", column)


def ratios(
    session: Session,
    *,
    now: datetime,
    days: int = 7,
    bucket: str = "day",
    group: str = "gateway",
) -> list[dict[str, Any]]:
    """Per ``group`` (gateway, country or operator) and time ``bucket`` (hour or day): how many SMS were
    handed over, delivered, failed, still without a final report, and the delivered ratio."""
    if group not in GROUPS or bucket not in BUCKETS:
        raise ValueError(f"group must be one of {GROUPS}, bucket one of {BUCKETS}")
    key = {"gateway": SmsAttempt.gateway, "country": SmsAttempt.country, "operator": SmsAttempt.operator}[
        group
    ]
    when = _bucket(session, bucket)

    def count(*wanted: str) -> Any:
        return func.sum(case((SmsAttempt.status.in_(wanted), 1), else_=0))

    rows = session.execute(
        select(
            key,
            when,
            func.count(SmsAttempt.id),
            count(states.DELIVERED),
            count(states.FAILED),
            count(states.STOPPED),
            count(states.UNKNOWN),
        )
        .where(SmsAttempt.submitted_at > now - timedelta(days=days), SmsAttempt.submitted_at <= now)
        .group_by(key, when)
        .order_by(key, when)
    ).all()
    out = []
    for name, at, total, delivered, failed, stopped, unknown in rows:
        delivered, failed, stopped, unknown = (int(v or 0) for v in (delivered, failed, stopped, unknown))
        out.append(
            {
                "key": name or "unknown",
                "bucket": at,
                "total": int(total),
                "delivered": delivered,
                "failed": failed,
                "stopped": stopped,
                "unknown": unknown,
                "pending": int(total) - delivered - failed - stopped - unknown,
                "delivered_ratio": round(delivered / total, 4) if total else None,
            }
        )
    return out


def totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Collapse ``ratios`` rows over time: one row per key."""
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        item = merged.setdefault(
            row["key"],
            {
                "key": row["key"],
                "total": 0,
                "delivered": 0,
                "failed": 0,
                "stopped": 0,
                "unknown": 0,
                "pending": 0,
            },
        )
        for field in ("total", "delivered", "failed", "stopped", "unknown", "pending"):
            item[field] += row[field]
    for item in merged.values():
        item["delivered_ratio"] = round(item["delivered"] / item["total"], 4) if item["total"] else None
    return sorted(merged.values(), key=lambda r: (-r["total"], r["key"]))


# --- alerts banner --------------------------------------------------------------------------------


def alert_dict(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "severity": alert.severity,
        "message": alert.message,
        "details": alert.details,
        "created_at": _iso(alert.created_at),
        "resolved_at": _iso(alert.resolved_at),
    }


def banner(session: Session) -> dict[str, Any]:
    """What the agent workspace shows at the top: open SMS alerts and SMS waiting for an admin."""
    from ticketdesk.sms.monitor import open_alerts

    held = dict(
        session.execute(
            select(SmsAttempt.status, func.count(SmsAttempt.id))
            .where(SmsAttempt.status.in_((states.AWAITING_APPROVAL, states.PAUSED)))
            .group_by(SmsAttempt.status)
        ).all()
    )
    return {
        "alerts": [alert_dict(a) for a in open_alerts(session)],
        "awaiting_approval": int(held.get(states.AWAITING_APPROVAL, 0)),
        "paused": int(held.get(states.PAUSED, 0)),
    }
