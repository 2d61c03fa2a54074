"""Group commit of delivery reports: the webhook requests one process serves at once share a transaction.

Gateways post one report per request (Twilio always does), and a transaction costs nearly the same
whether it holds one report or a hundred: the write lock (SQLite) or the WAL flush (PostgreSQL),
the look-ups, the flush and the commit. So a request does not apply its reports itself; it queues
them here. The request that finds no batch under way leads: it takes what is queued (up to
``MAX_REPORTS``), applies it with ``webhooks.receive_many`` in its own session, commits, hands every
request of the batch its own outcomes and passes the lead to the first request queued meanwhile.

What one request guaranteed on its own still holds for each: its reports are applied in the order
given and committed before it answers (a 200 means stored and visible), Socket.IO events go out
after that commit, and a batch that fails is applied again request by request, so a bad report fails
only the request that brought it. Other processes (more web processes, the worker) are kept apart by
the database, as before.

Under gevent (gunicorn's ``gevent`` worker, README "Running in production") requests are greenlets of
one thread, and SQLite's calls do not yield to the others: a leader that took its batch at once would
always find it alone. So there the leader first waits until the event loop is idle
(``gevent.idle()``), by which time every request that had arrived has read its body and queued its
reports behind it. (PostgreSQL's driver yields during its round trips, so batches fill there anyway.)
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ticketdesk.sms.webhooks import GatewayReport, ReportOutcome, receive_many

log = logging.getLogger(__name__)

MAX_REPORTS = 200  # a batch this size commits in a few milliseconds; waiting requests see no delay


@dataclass(eq=False)
class _Request:
    reports: list[GatewayReport]
    woken: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    outcomes: list[ReportOutcome] | None = None
    error: BaseException | None = None


class GroupCommit:
    """One per process and app: requests of its threads queue their reports here."""

    def __init__(self, max_reports: int = MAX_REPORTS) -> None:
        self.max_reports = max_reports
        self._lock = threading.Lock()
        self._queue: deque[_Request] = deque()
        self._busy = False  # a leader is applying a batch; while False the queue is empty

    def receive(
        self,
        session: Session,
        reports: list[GatewayReport],
        *,
        clock: Callable[[], datetime],
        context: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> list[ReportOutcome]:
        """Apply ``reports`` (in order), together with those of concurrent requests, and return their
        outcomes once committed. ``session`` is used only if this request leads the batch, inside
        ``context()`` (the fast path pushes an app context there: the requests that only wait need none)."""
        me = _Request(reports)
        with self._lock:
            self._queue.append(me)
            me.lead, self._busy = not self._busy, True
        if not me.lead:
            me.woken.wait()  # until our outcomes are in, or until we are to lead the next batch
        if me.lead:
            with context():
                self._lead(session, clock)
        if me.error is not None:
            raise me.error
        assert me.outcomes is not None
        return me.outcomes

    def _lead(self, session: Session, clock: Callable[[], datetime]) -> None:
        """Apply one batch (ours comes first), wake its requests and pass the lead on: one batch per
        leader, so that no request's answer waits behind batches queued after it."""
        _let_others_queue()
        with self._lock:
            batch = self._take()
        try:
            apply_batch(session, batch, now=clock())
        finally:
            with self._lock:
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].woken.set()
                else:
                    self._busy = False
            for request in batch:
                if request.outcomes is None and request.error is None:
                    request.error = RuntimeError("the batch of delivery reports was interrupted")
                request.woken.set()

    def _take(self) -> list[_Request]:
        """The leader (first in the queue) and those behind it, up to ``max_reports`` reports."""
        batch = [self._queue.popleft()]
        size = len(batch[0].reports)
        while self._queue and size + len(self._queue[0].reports) <= self.max_reports:
            size += len(self._queue[0].reports)
            batch.append(self._queue.popleft())
        return batch


def _let_others_queue() -> None:
    """Under gevent's monkey-patching: wait until the event loop has nothing else to do, so that the
    requests that have arrived queue their reports into this batch. Threads need nothing: they queue
    while the previous batch is being applied."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("threading"):
        import gevent

        gevent.idle()


def apply_batch(session: Session, batch: list[_Request], *, now: datetime) -> None:
    """Apply and commit the reports of ``batch`` in one transaction; if that fails, each request's
    reports in a transaction of their own (the error then belongs to the request that caused it)."""
    try:
        outcomes = iter(receive_many(session, [r for request in batch for r in request.reports], now=now))
        session.commit()
    except Exception as err:
        session.rollback()
        if len(batch) == 1:
            batch[0].error = err
            return
        log.warning(
            "a batch of %d delivery-report requests failed (%s); applying them one by one",
            len(batch),
            type(err).__name__,
        )
        for request in batch:
            apply_batch(session, [request], now=now)
        return
    for request in batch:
        request.outcomes = [next(outcomes) for _ in request.reports]
