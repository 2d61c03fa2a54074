"""Inbound SMTP and LMTP (aiosmtpd): unknown local addresses refused at RCPT (550), every message stored
before the answer, "try again later" (451) when it could not be stored, one answer per recipient on LMTP."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from aiosmtpd.smtp import Session as SmtpSession
from flask import Flask
from sqlalchemy import select

from ticketdesk.extensions import db
from ticketdesk.intake.service import receive
from ticketdesk.intake.store import Envelope, StoreFailed

log = logging.getLogger(__name__)
ADDRESS_CACHE_SECONDS = 30


class IntakeHandler:
    """aiosmtpd handler: RCPT checks the support addresses, DATA stores and processes the message."""

    def __init__(self, app: Flask, *, lmtp: bool = False) -> None:
        self.app = app
        self.lmtp = lmtp
        self._addresses: dict[str, str] = {}
        self._loaded_at = 0.0

    def _known(self) -> dict[str, str]:
        if time.monotonic() - self._loaded_at > ADDRESS_CACHE_SECONDS:
            from ticketdesk.tickets.models import Queue, QueueAddress

            mapping = dict(self.app.extensions["ticketdesk.settings"].support_addresses)
            try:
                with self.app.app_context():
                    rows = db.session.execute(
                        select(QueueAddress.address, Queue.slug).join(
                            Queue, Queue.id == QueueAddress.queue_id
                        )
                    ).all()
                    db.session.remove()
                mapping.update({address: slug for address, slug in rows})
            except Exception:  # database down: the configured addresses still work
                log.warning("could not load queue addresses; using the configured ones")
            self._addresses, self._loaded_at = mapping, time.monotonic()
        return self._addresses

    def queue_of(self, address: str) -> str | None:
        address = address.strip().lower()
        local, _, domain = address.partition("@")
        known = self._known()
        return known.get(address) or known.get(f"{local.split('+', 1)[0]}@{domain}")

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: SmtpEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        loop = asyncio.get_running_loop()
        queue = await loop.run_in_executor(None, self.queue_of, address)
        if queue is None:
            return f"550 5.1.1 <{address}>: no such support address here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: SmtpEnvelope) -> str:
        raw = envelope.original_content or b""
        rcpts = tuple(a.lower() for a in envelope.rcpt_tos)
        meta = Envelope(
            source="lmtp" if self.lmtp else "smtp",
            mail_from=envelope.mail_from or "",
            rcpt_to=rcpts,
            peer_ip=(session.peer[0] if isinstance(session.peer, tuple) else None),
            helo=session.host_name,
            queue_slug=self.queue_of(rcpts[0]) if rcpts else None,
        )
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(None, lambda: receive(self.app, raw, meta))
            status = f"250 2.0.0 stored as intake #{outcome.raw_id}"
        except StoreFailed as err:
            log.error("could not store an inbound message: %s", err)
            status = "451 4.3.0 cannot store the message now; try again later"
        if self.lmtp:
            return "\r\n".join(status for _ in rcpts) or status
        return status


class _Controller(Controller):
    def __init__(
        self, handler: IntakeHandler, *, lmtp: bool, tls: ssl.SSLContext | None, size: int, **kwargs: Any
    ) -> None:
        self._lmtp, self._tls, self._size = lmtp, tls, size
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        cls = LMTP if self._lmtp else SMTP
        return cls(
            self.handler,
            data_size_limit=self._size,
            enable_SMTPUTF8=True,
            decode_data=False,
            tls_context=self._tls,
            require_starttls=False,
            ident="ticketdesk intake",
        )


def tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    if not cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key or None)
    return context


def make_controller(app: Flask, host: str, port: int, *, lmtp: bool = False) -> Controller:
    settings = app.extensions["ticketdesk.settings"]
    handler = IntakeHandler(app, lmtp=lmtp)
    return _Controller(
        handler,
        lmtp=lmtp,
        tls=tls_context(settings.intake_tls_cert, settings.intake_tls_key),
        size=settings.max_message_bytes,
        hostname=host,
        port=port,
        ready_timeout=10,
    )


def start_in_thread(app: Flask, host: str, port: int, *, lmtp: bool = False) -> Controller:
    """Start the intake server in a background thread (used by ``serve`` and by tests)."""
    controller = make_controller(app, host, port, lmtp=lmtp)
    controller.start()
    return controller
