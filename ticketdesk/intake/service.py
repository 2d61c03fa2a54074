"""Intake entry points used by every transport and by the admin pages: receive, retry, release."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from ticketdesk.errors import Conflict, NotFound
from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage
from ticketdesk.intake.pipeline import Outcome, process
from ticketdesk.intake.store import Envelope, StoreFailed, store_raw
from ticketdesk.ports.clock import utcnow

log = logging.getLogger(__name__)


def _settings_dns(app: Flask) -> tuple[Any, Any]:
    return app.extensions["ticketdesk.settings"], app.extensions["ticketdesk.ports"].dns


def _context(app: Flask) -> Any:
    """The caller's app context when it is this app's (one session), else a fresh one (server threads)."""
    if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
        return nullcontext()
    return app.app_context()


def receive(app: Flask, raw: bytes, envelope: Envelope, *, process_now: bool = True) -> Outcome:
    """Store ``raw`` (committed first; raises StoreFailed → the sender retries), then process it.

    Processing problems never raise: the message is stored and the failure is in the intake log.
    """
    with _context(app):
        now = utcnow()
        try:
            row, new = store_raw(db.session, raw, envelope, now=now, claim=process_now)
        except StoreFailed:
            db.session.rollback()
            raise
        except Exception as err:  # a dead database or a full disk: the MTA must try again
            db.session.rollback()
            raise StoreFailed(f"{type(err).__name__}: {err}") from err
        if not new:
            return Outcome(row.id, "duplicate", None, row.disposition_detail)
        if not process_now:
            return Outcome(row.id, "pending")
        settings, dns = _settings_dns(app)
        try:
            return process(db.session, row.id, now=now, settings=settings, dns=dns, claimed=True, data=raw)
        except Exception:  # stored; the worker's sweep finishes it
            log.exception("intake #%s stored but not processed; the worker will retry", row.id)
            db.session.rollback()
            return Outcome(row.id, "pending")


def _get(session: Session, raw_id: int) -> RawMessage:
    raw = session.get(RawMessage, raw_id)
    if raw is None:
        raise NotFound(f"intake #{raw_id} not found")
    return raw


def retry(session: Session, raw_id: int, *, now: datetime | None = None) -> Outcome:
    """Process a failed (or stuck) message again."""
    from flask import current_app

    raw = _get(session, raw_id)
    if raw.disposition not in ("failed", None) and raw.status == "done":
        raise Conflict(
            f"intake #{raw_id} was processed ({raw.disposition}); nothing to retry", code="not_failed"
        )
    raw.status = "pending"
    session.commit()
    settings, dns = _settings_dns(current_app)
    return process(session, raw_id, now=now or utcnow(), settings=settings, dns=dns)


def release_quarantined(session: Session, raw_id: int, *, now: datetime | None = None) -> Outcome:
    """An admin releases a quarantined message into a ticket (after adding the sender as a contact)."""
    from flask import current_app

    raw = _get(session, raw_id)
    if raw.disposition != "quarantined":
        raise Conflict(f"intake #{raw_id} is not quarantined", code="not_quarantined")
    raw.status = "pending"
    session.commit()
    settings, dns = _settings_dns(current_app)
    outcome = process(session, raw_id, now=now or utcnow(), settings=settings, dns=dns, release=True)
    if outcome.disposition == "quarantined":
        raise Conflict(
            f"intake #{raw_id} is still quarantined: {outcome.detail}. Add the sender "
            f"({raw.from_addr}) as an active technical contact first.",
            code="still_quarantined",
        )
    return outcome
