"""Czech and English for the agent workspace: the locale comes from the signed-in agent's ``language``,
else from a language chosen on the login page (kept in the session), else from the browser.

``register(app)`` installs the per-request choice (``g.locale``, read by the app's Babel locale selector)
and the template helpers (``get_locale``, ``fmt_dt``, ``LANGUAGES``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, g, request, session
from flask_babel import format_datetime, get_locale, lazy_gettext

LANGUAGES: dict[str, Any] = {"en": "English", "cs": "Čeština"}

STATUS_LABELS = {
    "queued": lazy_gettext("Queued"),
    "in_progress": lazy_gettext("In progress"),
    "waiting_for_client": lazy_gettext("Waiting for client"),
    "resolved": lazy_gettext("Resolved"),
    "scheduled": lazy_gettext("Scheduled"),
    "closed": lazy_gettext("Closed"),
}
PRIORITY_LABELS = {
    "urgent": lazy_gettext("Urgent"),
    "high": lazy_gettext("High"),
    "normal": lazy_gettext("Normal"),
    "low": lazy_gettext("Low"),
}
STATUS_ACTIONS = {
    "queued": lazy_gettext("Back to queue"),
    "in_progress": lazy_gettext("Start work"),
    "waiting_for_client": lazy_gettext("Wait for client"),
    "resolved": lazy_gettext("Resolve"),
    "closed": lazy_gettext("Close"),
    "scheduled": lazy_gettext("Schedule"),
}
EVENT_LABELS = {
    "ticket.created": lazy_gettext("opened the ticket"),
    "status.started": lazy_gettext("started work"),
    "status.waiting": lazy_gettext("now waiting for the client"),
    "status.resolved": lazy_gettext("resolved"),
    "status.scheduled": lazy_gettext("scheduled"),
    "status.closed": lazy_gettext("closed"),
    "status.requeued": lazy_gettext("returned to the queue"),
    "status.client_replied": lazy_gettext("client replied: back to work"),
    "status.reopened": lazy_gettext("reopened"),
    "status.schedule_due": lazy_gettext("scheduled date reached"),
    "message.reply": lazy_gettext("replied"),
    "message.note": lazy_gettext("added an internal note"),
    "message.client": lazy_gettext("client wrote"),
    "claim.taken": lazy_gettext("claimed the ticket"),
    "claim.released": lazy_gettext("released the claim"),
    "claim.refused": lazy_gettext("client refused single-agent handling"),
    "cc.added": lazy_gettext("added to copy"),
    "cc.removed": lazy_gettext("removed from copy"),
    "priority.changed": lazy_gettext("changed the priority"),
    "routing.assigned": lazy_gettext("assigned"),
    "sla.due_times": lazy_gettext("set the expected response and resolution times"),
    "sla.changed": lazy_gettext("expected times changed"),
    "sla.notified": lazy_gettext("told the client the new expected times"),
    "sla.warning": lazy_gettext("SLA breach is near"),
    "sender.confirmed": lazy_gettext("confirmed by the sender"),
    "ticket.legacy_reference": lazy_gettext("opened from a reply to an earlier system's ticket"),
    "call.linked": lazy_gettext("opened from a phone call"),
    "call.attached": lazy_gettext("phone call attached"),
    "call.verification": lazy_gettext("caller verification"),
}


def choose_locale() -> str | None:
    """The language for this request, or None to let the browser decide."""
    from flask_login import current_user

    if (
        getattr(current_user, "is_authenticated", False)
        and getattr(current_user, "language", None) in LANGUAGES
    ):
        return str(current_user.language)
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(list(LANGUAGES)) or None


_NUMERIC = {"cs": "%d. %m. %Y %H:%M", "en": "%Y-%m-%d %H:%M"}


def fmt_dt(value: datetime | None, form: str = "short") -> str:
    """A timestamp for pages: numeric, in the reader's convention, UTC (the page script shows local time).

    ``form="long"`` gives Babel's full localised form (slower; for single values, not table cells).
    """
    if value is None:
        return ""
    if form == "long":
        return format_datetime(value, "medium")
    return value.strftime(_NUMERIC.get(str(get_locale() or "en"), _NUMERIC["en"])) + " UTC"


def register(app: Flask) -> None:
    @app.before_request
    def _pick_locale() -> None:
        if request.endpoint == "static":
            return
        g.locale = choose_locale()

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {
            "get_locale": get_locale,
            "fmt_dt": fmt_dt,
            "LANGUAGES": LANGUAGES,
            # resolved once per page (not once per table cell)
            "STATUS_LABELS": {k: str(v) for k, v in STATUS_LABELS.items()},
            "PRIORITY_LABELS": {k: str(v) for k, v in PRIORITY_LABELS.items()},
            "STATUS_ACTIONS": {k: str(v) for k, v in STATUS_ACTIONS.items()},
            "EVENT_LABELS": {k: str(v) for k, v in EVENT_LABELS.items()},
        }


def choices(pairs: Any) -> list[Any]:
    """(value, label) pairs as WTForms select choices (``SelectChoice`` where WTForms has it)."""
    try:
        from wtforms.fields.choices import SelectChoice
    except ImportError:  # WTForms before 3.3 takes plain tuples
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]
