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

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, aliased, lazyload

from ticketdesk.jobs.queue import enqueue
from ticketdesk.phone.numbers import normalize
from ticketdesk.sms import control, states
from ticketdesk.sms.lifecycle import move, record, remember, sync_attempts
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


_LATER = aliased(SmsAttempt)
# Built once: composing this query costs more than running it.
_FIND = (
    select(
        SmsAttempt,
        ~exists().where(_LATER.notification_id == SmsAttempt.notification_id, _LATER.id > SmsAttempt.id),
        SmsNotification.kind,
        Ticket.number,
    )
    .join(SmsNotification, SmsNotification.id == SmsAttempt.notification_id)
    .outerjoin(Ticket, Ticket.id == SmsNotification.ticket_id)
    .where(SmsAttempt.gateway_id.in_(bindparam("gateway_ids", expanding=True)))
    .order_by(SmsAttempt.id)
    .options(lazyload(SmsAttempt.notification))
    .with_for_update(of=SmsAttempt)
)
_SEEN = select(SmsReport.dedupe_key).where(SmsReport.dedupe_key.in_(bindparam("keys", expanding=True)))


def find_attempts(session: Session, gateway_ids: list[str]) -> dict[str, SmsAttempt]:
    """The attempts with these gateway ids, locked for the update (the newest if an id was reused).

    The same query remembers, for this transaction, whether each is its notification's latest
    attempt and which Socket.IO rooms it belongs to, so applying a report costs no further reads.
    """
    rows = session.execute(_FIND, {"gateway_ids": sorted(set(gateway_ids))}).all()
    found: dict[str, SmsAttempt] = {}
    for attempt, latest, kind, number in rows:
        found[attempt.gateway_id or ""] = attempt
        remember(session, attempt, latest=bool(latest), rooms=(kind, number))
    return found


def find_attempt(session: Session, gateway_id: str) -> SmsAttempt | None:
    return find_attempts(session, [gateway_id]).get(gateway_id)


def receive_many(
    session: Session,
    reports: list[GatewayReport],
    *,
    now: datetime,
    source: str = "gateway",
    defer: bool = True,
) -> list[ReportOutcome]:
    """Apply reports (in the order given) to the attempts they name, in the caller's transaction.

    A report whose gateway id is unknown is kept as a ``sms.report_unmatched`` job (``defer``).
    """
    attempts = find_attempts(session, [r.gateway_id for r in reports])
    keys = {id(r): dedupe_key(attempts[r.gateway_id].id, r) for r in reports if r.gateway_id in attempts}
    seen = set(session.scalars(_SEEN, {"keys": sorted(set(keys.values()))})) if keys else set()
    outcomes: list[ReportOutcome] = []
    moved: list[SmsAttempt] = []
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
        outcomes.append(_apply(session, attempt, report, key, now=now, source=source, sync=False))
        if outcomes[-1].applied:
            moved.append(attempt)
    sync_attempts(session, moved, now=now)
    return outcomes


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
    sync: bool = True,
) -> ReportOutcome:
    outcome = states.apply_report(attempt.status, report.status)
    target, translation = states.REPORT_TARGET[report.status]
    detail = "; ".join(p for p in (translation, report.error) if p)
    if report.operator:
        attempt.operator = report.operator
    gateway_word = report.gateway_status or (report.status if report.status != target else None)
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
            sync=sync,
        )
    else:
        record(
            session,
            attempt,
            target,
            now=now,
            at=report.at,
            detail="; ".join(p for p in (detail, outcome.note) if p),
            source=source,
            applied=False,
            gateway_status=gateway_word,
            dedupe_key=key,
        )
    return ReportOutcome(True, attempt.id, attempt.status, applied=outcome.changed, note=outcome.note)


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
