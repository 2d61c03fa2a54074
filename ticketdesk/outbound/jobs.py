"""Deliver queued mail: primary route with retries and backoff, the fallback route after repeated
failures, each attempt recorded on the mail."""

from __future__ import annotations

import logging
from typing import Any

from ticketdesk.db.blobs import load_blob
from ticketdesk.extensions import db
from ticketdesk.jobs.registry import JobContext, PermanentFailure, RetryLater, job
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.ports.mail import TransportError
from ticketdesk.ports.registry import Ports

log = logging.getLogger(__name__)
FALLBACK_AFTER = 2  # failed primary attempts before the fallback route is used


@job("mail.send")
def send_mail(payload: dict[str, Any], ctx: JobContext) -> None:
    mail = db.session.get(OutboundMail, payload["id"])
    if mail is None or mail.state in ("sent", "bounced"):
        return
    ports: Ports = ctx.app.extensions["ticketdesk.ports"]
    raw = load_blob(db.session, mail.blob_sha256)
    if raw is None:
        raise PermanentFailure(f"rendered mail {mail.id} is missing")
    rcpts = list(dict.fromkeys([*mail.to_addrs, *mail.cc_addrs]))
    mail.attempts += 1
    routes = [("primary", ports.mail)]
    if ports.mail_fallback is not None and mail.attempts > FALLBACK_AFTER:
        routes = [("fallback", ports.mail_fallback), ("primary", ports.mail)]
    errors = []
    for route, transport in routes:
        try:
            transport.send(mail.mail_from, rcpts, raw)
        except TransportError as err:
            errors.append(f"{route}: {err}")
            if err.permanent and len(routes) == 1:
                mail.state, mail.last_error = "failed", "; ".join(errors)
                db.session.commit()
                raise PermanentFailure(mail.last_error) from err
            continue
        mail.state, mail.route, mail.sent_at, mail.last_error = "sent", route, ctx.now, None
        if errors:
            mail.last_error = "; ".join(errors)
        return
    mail.last_error = "; ".join(errors)
    db.session.commit()  # keep the attempt count and error even though the job retries
    raise RetryLater(mail.last_error, delay=min(15 * 2 ** (mail.attempts - 1), 1800))
