"""Group commit of delivery reports over real HTTP: concurrent webhook requests of one process are applied
in one transaction, and each still answers with its own outcome only once its report is committed.

Which requests share a batch depends on timing; to make it certain, the first batch is held until the
others have queued behind it (they then form the second batch).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from tests.integration.sms.helpers import fresh, history, submitted
from ticketdesk.api.sms import GROUP_COMMIT
from ticketdesk.extensions import db
from ticketdesk.sms import groupcommit
from ticketdesk.sms.groupcommit import GroupCommit
from ticketdesk.sms.models import SmsAttempt

START = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def batches(app: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[int]]:
    """``hold(n)``: a fresh applier whose first batch waits until ``n`` more requests queue behind it;
    returns the list the sizes of its batches (in requests) are appended to."""
    applier = GroupCommit()
    monkeypatch.setitem(app.extensions, GROUP_COMMIT, applier)
    sizes: list[int] = []
    apply_batch = groupcommit.apply_batch

    def hold(waiting: int) -> list[int]:
        def held(session: Any, batch: list[Any], *, now: datetime) -> None:
            if not sizes:
                deadline = time.monotonic() + 10
                while len(applier._queue) < waiting and time.monotonic() < deadline:
                    time.sleep(0.01)
            sizes.append(len(batch))
            apply_batch(session, batch, now=now)

        monkeypatch.setattr(groupcommit, "apply_batch", held)
        return sizes

    return hold


def _post_together(live_url: str, gateway: Any, reports: list[tuple[Any, str, datetime]]) -> list[Any]:
    """POST the first report, then the others, each from its own thread; the answers in that order."""
    url = f"{live_url}/api/v1/sms/status"

    def post(report: tuple[Any, str, datetime]) -> requests.Response:
        body, headers = gateway.build_report(report[0], report[1], at=report[2])
        return requests.post(url, data=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(len(reports)) as pool:
        first = pool.submit(post, reports[0])
        time.sleep(0.05)  # the first request leads the (held) first batch
        rest = [pool.submit(post, r) for r in reports[1:]]
        return [f.result() for f in [first, *rest]]


def test_concurrent_reports_share_a_transaction_and_get_their_own_answers(
    app: Any, gateway: Any, live_url: str, batches: Any
) -> None:
    attempts = submitted(app, 12, now=START)
    sizes = batches(11)
    engine = db.engine
    seen_after_answer: dict[int, str] = {}
    lock = threading.Lock()
    url = f"{live_url}/api/v1/sms/status"

    def post(attempt: SmsAttempt) -> dict[str, Any]:
        body, headers = gateway.build_report(attempt.gateway_id, "delivered", at=START)
        resp = requests.post(url, data=body, headers=headers, timeout=30)
        with engine.connect() as conn:  # what anybody reads right after the answer
            status = conn.scalar(select(SmsAttempt.status).where(SmsAttempt.id == attempt.id))
        with lock:
            seen_after_answer[attempt.id] = status
        assert resp.status_code == 200
        return dict(resp.json())

    with ThreadPoolExecutor(12) as pool:
        first = pool.submit(post, attempts[0])
        time.sleep(0.05)
        answers = [f.result() for f in [first, *(pool.submit(post, a) for a in attempts[1:])]]

    assert sizes == [1, 11]
    assert [(a["id"], a["status"], a["applied"]) for a in answers] == [
        (attempt.id, "delivered", True) for attempt in attempts
    ]
    assert set(seen_after_answer.values()) == {"delivered"}
    for attempt in attempts:
        assert fresh(attempt.id).status == "delivered"
        assert history(attempt.id) == [("queued", True, "system"), ("submitted", True, "system")] + [
            ("delivered", True, "gateway")
        ]


def test_one_batch_keeps_duplicates_once_and_never_moves_backwards(
    app: Any, gateway: Any, live_url: str, batches: Any
) -> None:
    opener, attempt = submitted(app, 2, now=START)
    sizes = batches(3)
    delivered_at = START + timedelta(seconds=30)
    answers = _post_together(
        live_url,
        gateway,
        [
            (opener.gateway_id, "delivered", START),
            (attempt.gateway_id, "delivered", delivered_at),
            (attempt.gateway_id, "delivered", delivered_at),  # the gateway retried: a duplicate
            (attempt.gateway_id, "submitted", START),  # older news, whenever it is applied
        ],
    )
    assert sizes == [1, 3]
    outcomes = [a.json() for a in answers[1:]]
    assert all(a.status_code == 200 for a in answers)
    assert sorted(o["duplicate"] for o in outcomes[:2]) == [False, True]
    assert all(o["status"] == "delivered" for o in outcomes[:2])
    got = fresh(attempt.id)
    assert got.status == "delivered" and got.final_at == delivered_at
    gateway_rows = [h for h in history(attempt.id) if h[2] == "gateway"]
    assert sorted(gateway_rows) == [("delivered", True, "gateway"), ("submitted", False, "gateway")]


def test_a_failing_batch_is_applied_again_request_by_request(
    app: Any, gateway: Any, live_url: str, batches: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    opener, *others = submitted(app, 4, now=START)
    poisoned = others[1].gateway_id
    receive_many = groupcommit.receive_many

    def failing(session: Any, reports: list[Any], **kw: Any) -> Any:
        if any(r.gateway_id == poisoned for r in reports):
            raise RuntimeError("a report this code cannot apply")
        return receive_many(session, reports, **kw)

    monkeypatch.setattr(groupcommit, "receive_many", failing)
    sizes = batches(3)
    answers = _post_together(
        live_url, gateway, [(a.gateway_id, "delivered", START) for a in [opener, *others]]
    )
    assert sizes == [1, 3, 1, 1, 1]  # the batch of three failed and was applied one by one
    assert [a.status_code for a in answers] == [200, 200, 500, 200]
    assert [fresh(a.id).status for a in others] == ["delivered", "submitted", "delivered"]
    assert ("delivered", True, "gateway") not in history(others[1].id)
