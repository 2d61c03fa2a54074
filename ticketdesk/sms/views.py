"""The SMS admin page (blueprint ``sms_admin`` under /admin/sms): open alerts, delivered ratios per
gateway and per country/operator over time, SMS held for approval or paused, recent failures, and
the actions (approve, resume, cancel, resend, pause all sending, bulk resend).

``sms_banner()`` is available in every template (lazily: no query unless a page calls it) for the
agent workspace's alert banner; ``templates/sms/_banner.html`` renders it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ticketdesk.contacts.models import Organization
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow
from ticketdesk.sms import control, monitor, queries, states
from ticketdesk.sms.models import SmsAttempt
from ticketdesk.sms.resend import ResendError, bulk_resend, resend_attempt

bp = Blueprint("sms_admin", __name__, url_prefix="/admin/sms")
ACTIONS = ("approve", "pause", "resume", "cancel")


@bp.app_context_processor
def _banner_helper() -> dict[str, Callable[[], dict[str, Any] | None]]:
    def sms_banner() -> dict[str, Any] | None:
        if not getattr(current_user, "is_authenticated", False) or not hasattr(current_user, "role"):
            return None
        return queries.banner(db.session)

    return {"sms_banner": sms_banner}


@bp.before_request
def _admins_only() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if not getattr(current_user, "is_admin", False):
        abort(403, description=_("Only admins can open this page."))
    return None


def _back() -> Any:
    args: dict[str, Any] = dict(request.args.items())
    return redirect(url_for("sms_admin.index", **args), code=303)


def _attempt_rows(
    status: tuple[str, ...], *, since: datetime | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    items, _next = queries.list_attempts(
        db.session, queries.SmsFilter(status=list(status), since=since), org_scope=None, limit=limit
    )
    return items


@bp.get("/")
def index() -> Any:
    now = utcnow()
    group = request.args.get("group", "gateway")
    bucket = request.args.get("bucket", "day")
    days = request.args.get("days", "7")
    if (
        group not in queries.GROUPS
        or bucket not in queries.BUCKETS
        or not days.isdigit()
        or not 1 <= int(days) <= 90
    ):
        group, bucket, days = "gateway", "day", "7"
    series = queries.ratios(db.session, now=now, days=int(days), bucket=bucket, group=group)
    totals = {
        g: queries.totals(queries.ratios(db.session, now=now, days=int(days), bucket="day", group=g))
        for g in queries.GROUPS
    }
    paused_all, paused_orgs = control.paused_scope(db.session)
    orgs = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    return render_template(
        "sms/admin.html",
        now=now,
        group=group,
        bucket=bucket,
        days=int(days),
        series=series,
        totals=totals,
        banner=queries.banner(db.session),
        cfg=monitor.config(db.session),
        awaiting=_attempt_rows((states.AWAITING_APPROVAL,)),
        paused=_attempt_rows((states.PAUSED,)),
        problems=_attempt_rows((states.FAILED, states.UNKNOWN), since=now - timedelta(days=int(days))),
        paused_all=paused_all,
        paused_orgs=[o for o in orgs if o.id in paused_orgs],
        organizations=orgs,
        default_since=(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        default_until=now.strftime("%Y-%m-%dT%H:%M"),
    )


def _run(action: Callable[[], str]) -> Any:
    try:
        message = action()
        db.session.commit()
        flash(message, "info")
    except (ResendError, states.SmsTransitionError, ValueError) as err:
        db.session.rollback()
        flash(str(err), "error")
    return _back()


@bp.post("/<int:attempt_id>/<action>")
def act(attempt_id: int, action: str) -> Any:
    attempt = db.session.get(SmsAttempt, attempt_id)
    if attempt is None or action not in (*ACTIONS, "resend"):
        abort(404)
    me, now = str(current_user.name), utcnow()

    def run() -> str:
        if action == "resend":
            new = resend_attempt(
                db.session, attempt, now=now, by=me, text=(request.form.get("text") or "").strip() or None
            )
            return _("SMS %(id)s resent as %(new)s.", id=attempt_id, new=new.id)
        control.act(db.session, attempt, action, now=now, by=me)
        return _("SMS %(id)s: %(action)s done.", id=attempt_id, action=action)

    return _run(run)


def _org_id() -> int | None:
    raw = (request.form.get("organization_id") or "").strip()
    return int(raw) if raw.isdigit() else None


@bp.post("/pause")
def pause() -> Any:
    org_id = _org_id()
    return _run(
        lambda: _(
            "Sending paused; %(n)s SMS held.",
            n=control.pause_sending(
                db.session, now=utcnow(), by=str(current_user.name), organization_id=org_id
            ),
        )
    )


@bp.post("/resume")
def resume() -> Any:
    org_id = _org_id()
    release = request.form.get("release") == "1"
    return _run(
        lambda: _(
            "Sending resumed; %(n)s paused SMS released.",
            n=control.resume_sending(
                db.session, now=utcnow(), by=str(current_user.name), organization_id=org_id, release=release
            ),
        )
    )


def _utc(name: str) -> datetime:
    raw = (request.form.get(name) or "").strip()
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(_("%(name)s is not a date and time.", name=name)) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@bp.post("/resend")
def resend_range() -> Any:
    def run() -> str:
        since, until = _utc("since"), _utc("until")
        if until <= since:
            raise ValueError(_("The end of the range must be after its start."))
        statuses = tuple(s for s in request.form.getlist("status") if s in ("failed", "unknown")) or (
            "failed",
            "unknown",
        )
        report = bulk_resend(
            db.session,
            since=since,
            until=until,
            now=utcnow(),
            by=str(current_user.name),
            statuses=statuses,
            text=(request.form.get("text") or "").strip() or None,
            kind=request.form.get("kind") or None,
            dry_run=request.form.get("dry_run") == "1",
        )
        reasons = "; ".join(sorted({s.reason for s in report.skipped}))
        if request.form.get("dry_run") == "1":
            return _(
                "Dry run: %(n)s would be resent, %(s)s skipped (%(why)s).",
                n=len(report.would_resend),
                s=len(report.skipped),
                why=reasons or "-",
            )
        return _(
            "%(n)s SMS resent, %(s)s skipped (%(why)s).",
            n=len(report.resent),
            s=len(report.skipped),
            why=reasons or "-",
        )

    return _run(run)


@bp.post("/alerts/<int:alert_id>/resolve")
def resolve_alert(alert_id: int) -> Any:
    from ticketdesk.admin.models import Alert

    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.kind != monitor.ALERT_KIND:
        abort(404)

    def run() -> str:
        if alert.resolved_at is None:
            monitor.resolve(db.session, alert, now=utcnow(), note=f"resolved by {current_user.name}")
        return _("Alert marked as handled.")

    return _run(run)
