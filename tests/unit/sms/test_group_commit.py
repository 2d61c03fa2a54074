"""The group-commit queue on its own (no database): batches in arrival order up to ``max_reports``, each
request gets its own outcomes, and a leader that dies still wakes the requests of its batch."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from ticketdesk.sms import groupcommit
from ticketdesk.sms.groupcommit import GroupCommit
from ticketdesk.sms.webhooks import GatewayReport, ReportOutcome


class _Died(BaseException):
    """Not an error ``apply_batch`` handles: it ends the leader's thread."""


def _reports(name: str, n: int) -> list[GatewayReport]:
    return [GatewayReport(f"{name}{i}", "delivered") for i in range(n)]


def _wait_for(condition: Any) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _queue_behind_leader(applier: GroupCommit, sizes: list[int], results: dict[str, Any]) -> None:
    """The first request leads (and is held by the fake below); the others queue in this order."""

    def post(name: str, n: int) -> None:
        try:
            results[name] = applier.receive(None, _reports(name, n), clock=lambda: datetime.now(UTC))  # type: ignore[arg-type]
        except BaseException as err:  # the test looks at what the request would have raised
            results[name] = err

    threads = []
    for index, n in enumerate(sizes):
        threads.append(threading.Thread(target=post, args=(f"r{index}-", n)))
        threads[-1].start()
        _wait_for(lambda index=index: index == 0 or len(applier._queue) == index)
    results["threads"] = threads


def test_batches_take_waiting_requests_in_order_up_to_max_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    applier = GroupCommit(max_reports=3)
    batches: list[list[int]] = []
    release = threading.Event()

    def fake(session: Any, batch: list[Any], *, now: datetime) -> None:
        if not batches:
            release.wait(5)
        batches.append([len(r.reports) for r in batch])
        for request in batch:
            request.outcomes = [ReportOutcome(True, note=r.gateway_id) for r in request.reports]

    monkeypatch.setattr(groupcommit, "apply_batch", fake)
    results: dict[str, Any] = {}
    _queue_behind_leader(applier, [1, 2, 1, 1, 5], results)
    release.set()
    for thread in results["threads"]:
        thread.join(5)
    assert batches == [[1], [2, 1], [1], [5]]  # a request bigger than the limit goes alone
    assert [o.note for o in results["r1-"]] == ["r1-0", "r1-1"]
    assert [o.note for o in results["r4-"]] == [f"r4-{i}" for i in range(5)]


def test_a_leader_that_dies_still_wakes_its_batch_and_hands_on(monkeypatch: pytest.MonkeyPatch) -> None:
    applier = GroupCommit()
    release = threading.Event()
    calls: list[int] = []

    def fake(session: Any, batch: list[Any], *, now: datetime) -> None:
        calls.append(len(batch))
        if len(calls) == 2:
            raise _Died
        release.wait(5)
        for request in batch:
            request.outcomes = [ReportOutcome(True) for _ in request.reports]

    monkeypatch.setattr(groupcommit, "apply_batch", fake)
    results: dict[str, Any] = {}
    _queue_behind_leader(applier, [1, 1, 1], results)
    release.set()
    for thread in results["threads"]:
        thread.join(5)
    assert calls == [1, 2]
    assert isinstance(results["r1-"], _Died)
    assert isinstance(results["r2-"], RuntimeError)  # woken, not left waiting forever
    assert not applier._busy and not applier._queue  # the next request leads at once


def test_only_the_leader_enters_the_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path passes an app context as ``context``: the leader applies the batch inside it, the
    requests that only wait for their outcomes never push one."""
    applier = GroupCommit()
    release = threading.Event()
    entered: list[str] = []
    inside: list[bool] = []

    @contextmanager
    def context() -> Iterator[None]:
        entered.append(threading.current_thread().name)
        inside.append(True)
        try:
            yield
        finally:
            inside.pop()

    def fake(session: Any, batch: list[Any], *, now: datetime) -> None:
        assert inside == [True]
        if len(entered) == 1:
            release.wait(5)
        for request in batch:
            request.outcomes = [ReportOutcome(True) for _ in request.reports]

    monkeypatch.setattr(groupcommit, "apply_batch", fake)
    results: dict[str, Any] = {}

    def post(name: str) -> None:
        results[name] = applier.receive(
            None,  # type: ignore[arg-type]
            _reports(name, 1),
            clock=lambda: datetime.now(UTC),
            context=context,
        )

    threads = [threading.Thread(target=post, args=(f"r{i}-",), name=f"r{i}") for i in range(4)]
    threads[0].start()
    _wait_for(lambda: applier._busy)
    for index, thread in enumerate(threads[1:], start=1):
        thread.start()
        _wait_for(lambda index=index: len(applier._queue) == index)
    release.set()
    for thread in threads:
        thread.join(5)
    assert entered == ["r0", "r1"]  # the first batch's leader, then the leader of the three queued
    assert all(len(results[f"r{i}-"]) == 1 for i in range(4))
