"""What gateways tell us: delivery reports (generic JSON and Twilio) and inbound SMS (STOP/START).

Every report is stored append-only in the attempt's history, once: the same report twice (same
gateway status, time and error) is recognised by its dedupe key and recorded only the first
time. A report only moves the attempt forward (``states.apply_report``: rank, not arrival
time); one that arrives out of order is recorded with ``applied=False``.

A report for a gateway id we do not know yet (the gateway may report before our worker has
stored its answer) is kept as a ``sms.report_unmatched`` job and matched again later.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from ticketdesk.db.rows import executemany
from ticketdesk.jobs.queue import enqueue
from ticketdesk.phone.numbers import normalize
from ticketdesk.ports.clock import utcnow
from ticketdesk.sms import control, states
from ticketdesk.sms.lifecycle import enter, history_values, move, publish_event, record
from ticketdesk.sms.models import SmsAttempt, SmsNotification, SmsReport
from ticketdesk.tickets.models import Ticket

log = logging.getLogger(__name__)

STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "STOPP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ODHLASIT", "LOPETA"}
)
START_WORDS = frozenset({"START", "UNSTOP"})


class BadReport(ValueError):
    """A report body that does not follow the protocol (HTTP 422)."""


@dataclass(frozen=True)
class GatewayReport:
    gateway_id: str
    status: str  # one of states.REPORT_STATUSES
    at: datetime | None = None
    error: str = ""
    operator: str | None = None
    gateway_status: str | None = None  # the gateway's own word when it differs (Twilio "undelivered")

    def to_payload(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat() if self.at else None
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> GatewayReport:
        at = datetime.fromisoformat(data["at"]) if data.get("at") else None
        return cls(
            data["gateway_id"],
            data["status"],
            at,
            data.get("error") or "",
            data.get("operator"),
            data.get("gateway_status"),
        )


@dataclass(frozen=True)
class ReportOutcome:
    matched: bool
    attempt_id: int | None = None
    status: str | None = None  # the attempt's state afterwards
    applied: bool = False
    duplicate: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "id": self.attempt_id,
            "status": self.status,
            "applied": self.applied,
            "duplicate": self.duplicate,
            "note": self.note,
        }


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 (``Z`` allowed); a time without zone is taken as UTC."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadReport("'at' must be an ISO-8601 time")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadReport(f"'at' is not an ISO-8601 time: {value[:40]!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_generic(data: Any) -> GatewayReport:
    """Read one report of the generic protocol ``{"id", "status", "error", "at"}`` (+ optional ``operator``)."""
    if not isinstance(data, dict):
        raise BadReport("a report must be a JSON object")
    gateway_id = data.get("id")
    if gateway_id in (None, "") or isinstance(gateway_id, bool | dict | list):
        raise BadReport("'id' (the gateway's message id) is required")
    status = data.get("status")
    if status not in states.REPORT_STATUSES:
        raise BadReport(f"'status' must be one of {', '.join(states.REPORT_STATUSES)}, not {status!r}")
    error = data.get("error") or ""
    operator = data.get("operator") or data.get("network") or None
    return GatewayReport(
        str(gateway_id)[:120],
        status,
        parse_time(data.get("at")),
        str(error)[:1000],
        str(operator)[:80] if operator else None,
    )


def dedupe_key(attempt_id: int, report: GatewayReport) -> str:
    at = report.at.isoformat() if report.at else ""
    raw = f"{attempt_id}|{report.gateway_status or report.status}|{at}|{report.error}"
    return "gw:" + hashlib.sha256(raw.encode()).hexdigest()


_ATTEMPTS = SmsAttempt.__table__
_REPORTS = SmsReport.__table__
_NOTIFICATIONS = SmsNotification.__table__
_TICKETS = Ticket.__table__
_LATER = _ATTEMPTS.alias("later")
# Built once, in SQLAlchemy Core: a batch of reports is a few statements, not a unit of work.
_FIND = (
    select(
        _ATTEMPTS.c.id,
        _ATTEMPTS.c.notification_id,
        _ATTEMPTS.c.gateway_id,
        _ATTEMPTS.c.status,
        _ATTEMPTS.c.submitted_at,
        _ATTEMPTS.c.final_at,
        _ATTEMPTS.c.report_deadline,
        _ATTEMPTS.c.hold_reason,
        _ATTEMPTS.c.error,
        _ATTEMPTS.c.operator,
        ~exists().where(
            _LATER.c.notification_id == _ATTEMPTS.c.notification_id, _LATER.c.id > _ATTEMPTS.c.id
        ),
        _NOTIFICATIONS.c.kind,
        _TICKETS.c.number,
    )
    .join(_NOTIFICATIONS, _NOTIFICATIONS.c.id == _ATTEMPTS.c.notification_id)
    .outerjoin(_TICKETS, _TICKETS.c.id == _NOTIFICATIONS.c.ticket_id)
    .where(_ATTEMPTS.c.gateway_id.in_(bindparam("gateway_ids", expanding=True)))
    .order_by(_ATTEMPTS.c.id)
    .with_for_update(of=_ATTEMPTS)
)
_SEEN = select(_REPORTS.c.dedupe_key).where(_REPORTS.c.dedupe_key.in_(bindparam("keys", expanding=True)))
_INSERT_HISTORY = insert(_REPORTS)
_CHANGING = ("status", "updated_at", "final_at", "report_deadline", "hold_reason", "error", "operator")
_UPDATE_ATTEMPT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
    .values({name: bindparam(f"new_{name}") for name in _CHANGING})
)
_UPDATE_NOTIFICATION = (
    update(_NOTIFICATIONS)
    .where(_NOTIFICATIONS.c.id == bindparam("notification_id"))
    .values(status=bindparam("new_status"), updated_at=bindparam("new_updated_at"))
)


@dataclass(eq=False)
class _Attempt:
    """An attempt as a batch of reports reads and changes it (the columns ``lifecycle.enter`` sets)."""

    id: int
    notification_id: int
    gateway_id: str
    status: str
    submitted_at: datetime | None
    final_at: datetime | None
    report_deadline: datetime | None
    hold_reason: str | None
    error: str | None
    operator: str | None
    latest: bool  # its notification's latest attempt (whose state the notification shows)
    kind: str
    number: int | None
    updated_at: datetime | None = None  # set when changed
    moved: bool = False


def find_attempts(session: Session, gateway_ids: list[str]) -> dict[str, _Attempt]:
    """The attempts with these gateway ids, locked for the update (the newest if an id was reused),
    with whether each is its notification's latest and what its events need."""
    rows = session.connection().execute(_FIND, {"gateway_ids": sorted(set(gateway_ids))}).all()
    return {row[2] or "": _Attempt(*row[:10], bool(row[10]), *row[11:]) for row in rows}


def receive_many(
    session: Session,
    reports: list[GatewayReport],
    *,
    now: datetime,
    source: str = "gateway",
    defer: bool = True,
) -> list[ReportOutcome]:
    """Apply reports (in the order given) to the attempts they name, in the caller's transaction.

    A report whose gateway id is unknown is kept as a ``sms.report_unmatched`` job (``defer``). The
    rules are those of ``apply`` (one report to a loaded attempt); the writes are a few statements for
    the whole batch: one SELECT of the attempts, one of the reports already stored, one INSERT of the
    history rows, one UPDATE (executemany) of the attempts that changed and one of their notifications.
    """
    session.flush()  # what the caller changed in this session is in the database before we read
    attempts = find_attempts(session, [r.gateway_id for r in reports])
    keys = {id(r): dedupe_key(attempts[r.gateway_id].id, r) for r in reports if r.gateway_id in attempts}
    connection = session.connection()
    seen = set(connection.scalars(_SEEN, {"keys": sorted(set(keys.values()))})) if keys else set()
    outcomes: list[ReportOutcome] = []
    history: list[dict[str, Any]] = []
    changed: dict[int, _Attempt] = {}
    for report in reports:
        attempt = attempts.get(report.gateway_id)
        if attempt is None:
            if defer:
                enqueue(
                    session,
                    "sms.report_unmatched",
                    {"report": report.to_payload(), "received_at": now.isoformat()},
                    run_at=now,
                    max_attempts=10,
                )
            outcomes.append(
                ReportOutcome(False, note="no SMS with this gateway id yet; kept and matched again later")
            )
            continue
        key = keys[id(report)]
        if key in seen:
            outcomes.append(
                ReportOutcome(
                    True, attempt.id, attempt.status, duplicate=True, note="duplicate report ignored"
                )
            )
            continue
        seen.add(key)
        outcome, row = _outcome(session, attempt, report, key, now=now, source=source)
        outcomes.append(outcome)
        history.append(row)
        if attempt.updated_at is not None:
            changed[attempt.id] = attempt
    if history:
        executemany(connection, _INSERT_HISTORY, history)
    if changed:
        _write(session, list(changed.values()), now=now)
    return outcomes


def _outcome(
    session: Session, attempt: _Attempt, report: GatewayReport, key: str, *, now: datetime, source: str
) -> tuple[ReportOutcome, dict[str, Any]]:
    """``_apply`` for an attempt of a batch: the outcome and the history row to insert; the attempt's
    new columns are kept on it for ``_write``, its event is published after commit."""
    outcome, status, detail, gateway_word = _decide(attempt.status, report)
    if report.operator and report.operator != attempt.operator:
        attempt.operator = report.operator
        attempt.updated_at = attempt.updated_at or utcnow()  # as the column's onupdate would
    if outcome.changed:
        previous = attempt.status
        enter(session, attempt, outcome.new_state, now=now, at=report.at, detail=detail)
        attempt.moved = True
        publish_event(
            session,
            attempt,
            previous=previous,
            now=now,
            detail=detail,
            kind=attempt.kind,
            number=attempt.number,
        )
    row = history_values(
        attempt.id,
        status,
        now=now,
        at=report.at,
        detail=detail,
        source=source,
        applied=outcome.changed,
        gateway_status=gateway_word,
        dedupe_key=key,
    )
    return ReportOutcome(True, attempt.id, attempt.status, applied=outcome.changed, note=outcome.note), row


def _write(session: Session, attempts: list[_Attempt], *, now: datetime) -> None:
    """One UPDATE (executemany) of the changed attempts, one of the notifications whose latest attempt
    moved (they show its state); what the session had loaded of them is expired."""
    attempts.sort(key=lambda a: a.id)
    connection = session.connection()
    executemany(
        connection,
        _UPDATE_ATTEMPT,
        [{"attempt_id": a.id, **{f"new_{name}": getattr(a, name) for name in _CHANGING}} for a in attempts],
    )
    notifications = {a.notification_id: a.status for a in attempts if a.moved and a.latest}
    if notifications:
        executemany(
            connection,
            _UPDATE_NOTIFICATION,
            [
                {"notification_id": nid, "new_status": status, "new_updated_at": now}
                for nid, status in sorted(notifications.items())
            ],
        )
    if session.identity_map:
        for attempt in attempts:
            for loaded in (
                session.identity_map.get(identity_key(SmsAttempt, attempt.id)),
                session.identity_map.get(identity_key(SmsNotification, attempt.notification_id)),
            ):
                if loaded is not None:
                    session.expire(loaded)


def receive(
    session: Session, report: GatewayReport, *, now: datetime, source: str = "gateway", defer: bool = True
) -> ReportOutcome:
    """Apply one report to the attempt it names; an unknown id is kept for later (``defer``)."""
    return receive_many(session, [report], now=now, source=source, defer=defer)[0]


def apply(
    session: Session, attempt: SmsAttempt, report: GatewayReport, *, now: datetime, source: str = "gateway"
) -> ReportOutcome:
    """Record ``report`` in the history of ``attempt`` (once) and move it forward if it is news."""
    key = dedupe_key(attempt.id, report)
    if session.scalar(select(SmsReport.id).where(SmsReport.dedupe_key == key)) is not None:
        return ReportOutcome(
            True, attempt.id, attempt.status, duplicate=True, note="duplicate report ignored"
        )
    return _apply(session, attempt, report, key, now=now, source=source)


def _apply(
    session: Session,
    attempt: SmsAttempt,
    report: GatewayReport,
    key: str,
    *,
    now: datetime,
    source: str,
) -> ReportOutcome:
    outcome, status, detail, gateway_word = _decide(attempt.status, report)
    if report.operator:
        attempt.operator = report.operator
    if outcome.changed:
        move(
            session,
            attempt,
            outcome.new_state,
            now=now,
            at=report.at,
            detail=detail,
            source=source,
            gateway_status=gateway_word,
            dedupe_key=key,
        )
    else:
        record(
            session,
            attempt,
            status,
            now=now,
            at=report.at,
            detail=detail,
            source=source,
            applied=False,
            gateway_status=gateway_word,
            dedupe_key=key,
        )
    return ReportOutcome(True, attempt.id, attempt.status, applied=outcome.changed, note=outcome.note)


def _decide(current: str, report: GatewayReport) -> tuple[states.Outcome, str, str, str | None]:
    """What ``report`` does to an attempt in state ``current``: the outcome, the status and detail of its
    history row, and the gateway's own word for the history when it differs from ours."""
    outcome = states.apply_report(current, report.status)
    target, translation = states.REPORT_TARGET[report.status]
    detail = "; ".join(p for p in (translation, report.error) if p)
    gateway_word = report.gateway_status or (report.status if report.status != target else None)
    if outcome.changed:
        return outcome, outcome.new_state, detail, gateway_word
    return outcome, target, "; ".join(p for p in (detail, outcome.note) if p), gateway_word


# --- inbound SMS -----------------------------------------------------------------------------------


def _keyword(text: str) -> str:
    words = (text or "").strip().split()
    if not words:
        return ""
    plain = unicodedata.normalize("NFKD", words[0])
    return "".join(c for c in plain if c.isalnum()).upper()


@dataclass(frozen=True)
class InboundOutcome:
    action: str  # stopped | started | ignored
    number: str | None
    stopped_attempts: int = 0


def receive_inbound(
    session: Session, sender: str, text: str, *, now: datetime, region: str | None = None
) -> InboundOutcome:
    """An SMS sent to us: ``STOP`` (and its usual synonyms) puts the sender on the STOP list and
    stops what is still waiting for that number; ``START``/``UNSTOP`` takes it off again."""
    e164 = normalize(sender, region, bare_international=True)
    if e164 is None:
        raise BadReport(f"'from' is not a phone number: {str(sender)[:40]!r}")
    word = _keyword(text)
    if word in STOP_WORDS:
        count = control.add_stop(session, e164, now=now, text=text)
        log.info("an inbound STOP put a number on the STOP list (%d waiting SMS stopped)", count)
        return InboundOutcome("stopped", e164, count)
    if word in START_WORDS:
        control.remove_stop(session, e164)
        return InboundOutcome("started", e164)
    return InboundOutcome("ignored", e164)
