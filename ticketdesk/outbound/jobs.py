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


def _routes(ports: Ports, attempt: int) -> list[tuple[str, Any]]:
    """The primary route; after FALLBACK_AFTER failed attempts the fallback first, then the primary."""
    if ports.mail_fallback is None:
        return [("primary", ports.mail)]
    if attempt > FALLBACK_AFTER:
        return [("fallback", ports.mail_fallback), ("primary", ports.mail)]
    return [("primary", ports.mail)]


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
    routes = _routes(ports, mail.attempts)
    errors: list[str] = []
    permanent: list[bool] = []
    for route, transport in routes:  # the list may grow while we walk it
        try:
            transport.send(mail.mail_from, rcpts, raw)
        except TransportError as err:
            errors.append(f"{route}: {err}")
            permanent.append(err.permanent)
            if err.permanent and ports.mail_fallback is not None and all(r != "fallback" for r, _ in routes):
                routes.append(
                    ("fallback", ports.mail_fallback)
                )  # refused by the primary: try the other route now
            continue
        mail.state, mail.route, mail.sent_at = "sent", route, ctx.now
        mail.last_error = "; ".join(errors) or None
        return
    mail.last_error = "; ".join(errors)
    if all(permanent):  # every route refused it for good: retrying cannot help
        mail.state = "failed"
        db.session.commit()
        raise PermanentFailure(mail.last_error)
    db.session.commit()  # keep the attempt count and error even though the job retries
    raise RetryLater(mail.last_error, delay=min(15 * 2 ** (mail.attempts - 1), 1800))
