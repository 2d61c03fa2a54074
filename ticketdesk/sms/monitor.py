"""The silent-failure detector (seed 000: the gateway accepted everything, nothing arrived for days).

Every minute (job ``sms.monitor``) and for each gateway, over a sliding window (default the last
15 minutes of hand-overs):

* **missing**  — of the SMS handed over at least 5 minutes ago, the share still without a final
  report (delivered/failed/stopped) is above the threshold (default 15 %);
* **failed**   — the share of SMS in the window that failed (refused or reported failed) is above
  the threshold;
* **baseline** — the delivered ratio is far below the gateway's own 7-day baseline (default more
  than 10 percentage points under it).

A finding opens one ``Alert`` per gateway (banner in the agent workspace), mails every admin
and emits ``sms.alert`` to the ``agents`` room; it stays open (no repeated mails) until a
window with enough traffic is healthy again, which resolves it. Windows with fewer than
``min_sample`` SMS decide nothing. The ``log`` gateway (nothing is really sent) is not watched.
Thresholds live in the admin setting ``sms.monitor`` (a JSON object with the field names of
``MonitorConfig``).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ticketdesk.admin.models import Alert
from ticketdesk.admin.store import get_value
from ticketdesk.realtime.publish import publish
from ticketdesk.sms import states
from ticketdesk.sms.models import SmsAttempt

log = logging.getLogger(__name__)
ALERT_KIND = "sms.silent_failure"


@dataclass(frozen=True)
class MonitorConfig:
    window_minutes: int = 15
    report_after_minutes: int = 5
    threshold: float = 0.15
    baseline_drop: float = 0.10
    baseline_days: int = 7
    min_sample: int = 10
    min_baseline_sample: int = 50
    ignore_gateways: tuple[str, ...] = ("log",)

    @classmethod
    def from_setting(cls, value: dict[str, Any] | None) -> MonitorConfig:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in (value or {}).items() if k in known}
        if "ignore_gateways" in data:
            data["ignore_gateways"] = tuple(data["ignore_gateways"])
        return cls(**data)


@dataclass(frozen=True)
class Window:
    """One gateway's figures for one window."""

    gateway: str
    total: int  # handed over in the window
    old_enough: int  # handed over at least report_after_minutes ago
    missing: int  # of old_enough: no final report yet
    failed: int  # of total
    delivered: int  # of old_enough
    baseline: float | None  # delivered ratio over the previous days, None without enough traffic

    @property
    def missing_share(self) -> float:
        return self.missing / self.old_enough if self.old_enough else 0.0

    @property
    def failed_share(self) -> float:
        return self.failed / self.total if self.total else 0.0

    @property
    def delivered_ratio(self) -> float:
        return self.delivered / self.old_enough if self.old_enough else 0.0


@dataclass(frozen=True)
class Finding:
    gateway: str
    rule: str  # missing | failed | baseline
    window: Window


def evaluate(window: Window, cfg: MonitorConfig) -> Finding | None | bool:
    """A Finding, ``True`` when the window is healthy with enough traffic, ``None`` when it cannot tell."""
    if window.old_enough >= cfg.min_sample and window.missing_share > cfg.threshold:
        return Finding(window.gateway, "missing", window)
    if window.total >= cfg.min_sample and window.failed_share > cfg.threshold:
        return Finding(window.gateway, "failed", window)
    if (
        window.old_enough >= cfg.min_sample
        and window.baseline is not None
        and window.delivered_ratio < window.baseline - cfg.baseline_drop
    ):
        return Finding(window.gateway, "baseline", window)
    return True if window.old_enough >= cfg.min_sample else None


def config(session: Session) -> MonitorConfig:
    return MonitorConfig.from_setting(get_value(session, "sms.monitor", None))


def measure(session: Session, *, now: datetime, cfg: MonitorConfig) -> list[Window]:
    start = now - timedelta(minutes=cfg.window_minutes)
    cutoff = now - timedelta(minutes=cfg.report_after_minutes)
    old = SmsAttempt.submitted_at <= cutoff
    final = SmsAttempt.status.in_(states.FINAL_STATES)
    rows = session.execute(
        select(
            SmsAttempt.gateway,
            func.count(SmsAttempt.id),
            func.sum(case((old, 1), else_=0)),
            func.sum(case((and_(old, ~final), 1), else_=0)),
            func.sum(case((SmsAttempt.status == states.FAILED, 1), else_=0)),
            func.sum(case((and_(old, SmsAttempt.status == states.DELIVERED), 1), else_=0)),
        )
        .where(SmsAttempt.submitted_at > start, SmsAttempt.submitted_at <= now)
        .group_by(SmsAttempt.gateway)
    ).all()
    base_start = now - timedelta(days=cfg.baseline_days)
    baselines = {
        gateway: (int(count), int(delivered or 0))
        for gateway, count, delivered in session.execute(
            select(
                SmsAttempt.gateway,
                func.count(SmsAttempt.id),
                func.sum(case((SmsAttempt.status == states.DELIVERED, 1), else_=0)),
            )
            .where(SmsAttempt.submitted_at > base_start, SmsAttempt.submitted_at <= start)
            .group_by(SmsAttempt.gateway)
        )
    }
    windows = []
    for gateway, total, old_enough, missing, failed, delivered in rows:
        if gateway in cfg.ignore_gateways:
            continue
        count, base_delivered = baselines.get(gateway, (0, 0))
        baseline = base_delivered / count if count >= cfg.min_baseline_sample else None
        windows.append(
            Window(
                gateway,
                int(total),
                int(old_enough or 0),
                int(missing or 0),
                int(failed or 0),
                int(delivered or 0),
                baseline,
            )
        )
    return windows


def open_alerts(session: Session) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert).where(Alert.kind == ALERT_KIND, Alert.resolved_at.is_(None)).order_by(Alert.id)
        )
    )


def _pct(value: float) -> str:
    return f"{value * 100:.0f}"


def describe(finding: Finding, cfg: MonitorConfig) -> str:
    w = finding.window
    if finding.rule == "missing":
        return (
            f"{w.missing} of {w.old_enough} SMS through {w.gateway} ({_pct(w.missing_share)} %) have no "
            f"delivery report after {cfg.report_after_minutes} minutes"
        )
    if finding.rule == "failed":
        return f"{w.failed} of {w.total} SMS through {w.gateway} ({_pct(w.failed_share)} %) failed"
    return (
        f"only {_pct(w.delivered_ratio)} % of SMS through {w.gateway} were delivered, against a 7-day "
        f"baseline of {_pct(w.baseline or 0)} %"
    )


def _context(finding: Finding, cfg: MonitorConfig) -> dict[str, Any]:
    w = finding.window
    return {
        "gateway": w.gateway,
        "rule": finding.rule,
        "total": w.old_enough if finding.rule != "failed" else w.total,
        "missing": w.missing,
        "failed": w.failed,
        "delivered": w.delivered,
        "missing_pct": _pct(w.missing_share),
        "failed_pct": _pct(w.failed_share),
        "delivered_pct": _pct(w.delivered_ratio),
        "baseline_pct": None if w.baseline is None else _pct(w.baseline),
        "threshold_pct": _pct(cfg.threshold),
        "window_minutes": cfg.window_minutes,
        "report_after_minutes": cfg.report_after_minutes,
    }


def _alert_event(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "severity": alert.severity,
        "message": alert.message,
        "details": alert.details,
        "created_at": alert.created_at.isoformat() if alert.created_at else None,
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
    }


def raise_alert(session: Session, finding: Finding, cfg: MonitorConfig, *, now: datetime) -> Alert:
    """Open the alert, mail the admins and tell every agent's screen."""
    details = {**asdict(finding.window), **_context(finding, cfg)}
    alert = Alert(
        kind=ALERT_KIND,
        severity="critical",
        message="SMS delivery problem: " + describe(finding, cfg),
        details=details,
        dedupe_key=f"sms.monitor:{finding.gateway}",
        created_at=now,
    )
    session.add(alert)
    session.flush()
    _mail_admins(session, finding, cfg, now=now)
    publish(session, "sms.alert", _alert_event(alert), ["agents"])
    log.warning("SMS alert: %s", alert.message)
    return alert


def resolve(session: Session, alert: Alert, *, now: datetime, note: str) -> None:
    alert.resolved_at = now
    alert.details = {**(alert.details or {}), "resolution": note}
    publish(session, "sms.alert", _alert_event(alert), ["agents"])


def _mail_admins(session: Session, finding: Finding, cfg: MonitorConfig, *, now: datetime) -> None:
    from ticketdesk.accounts.models import Agent
    from ticketdesk.admin.store import app_settings
    from ticketdesk.outbound.service import queue_mail
    from ticketdesk.sms.texts import MAIL_LANGUAGES, pick_language, render_mail

    context = {**_context(finding, cfg), "page_url": f"{app_settings().public_url}/admin/sms"}
    admins = session.scalars(select(Agent).where(Agent.role == "admin", Agent.active.is_(True))).all()
    by_language: dict[str, list[str]] = {}
    for admin in admins:
        by_language.setdefault(pick_language(admin.language, available=MAIL_LANGUAGES), []).append(
            admin.email
        )
    for lang, addresses in sorted(by_language.items()):
        subject, body = render_mail("alert", lang, **context)
        queue_mail(
            session,
            kind="sms_alert",
            to=addresses,
            subject=subject,
            text=body,
            now=now,
            language=lang,
            from_name="ticketdesk",
        )


def check(session: Session, *, now: datetime) -> list[Finding]:
    """Measure every gateway, open alerts for new findings and resolve the ones that are healthy again."""
    cfg = config(session)
    current = {a.dedupe_key: a for a in open_alerts(session)}
    findings: list[Finding] = []
    for window in measure(session, now=now, cfg=cfg):
        verdict = evaluate(window, cfg)
        key = f"sms.monitor:{window.gateway}"
        if isinstance(verdict, Finding):
            findings.append(verdict)
            if key not in current:
                current[key] = raise_alert(session, verdict, cfg, now=now)
        elif verdict is True and key in current:
            resolve(session, current.pop(key), now=now, note="delivery looks healthy again")
    return findings
