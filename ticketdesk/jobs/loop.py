"""The worker loop, used by ``ticketdesk worker`` and (in a thread) by the embedded ``serve``."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from ticketdesk.extensions import db
from ticketdesk.jobs.runner import run_once

log = logging.getLogger(__name__)


def run_forever(app: Flask, stop: threading.Event, *, interval: float = 2.0) -> None:
    while not stop.is_set():
        try:
            with app.app_context():
                ran = run_once(app)
        except Exception:  # the database may be down: log, wait, try again; never die
            log.exception("worker pass failed; retrying in %.0f s", interval * 5)
            with app.app_context():
                db.session.remove()
            stop.wait(interval * 5)
            continue
        if not ran:
            stop.wait(interval)


def start_thread(app: Flask, *, interval: float = 2.0) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever,
        args=(app, stop),
        kwargs={"interval": interval},
        name="ticketdesk-worker",
        daemon=True,
    )
    thread.start()
    return stop
