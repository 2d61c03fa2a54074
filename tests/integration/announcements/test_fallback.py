"""When the primary SMTP server refuses, announcement mail goes out through the fallback route, and
the announcement's delivery shows it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.fixtures.smtpsink import SmtpSink
from tests.integration.announcements.helpers import World, outage_values
from ticketdesk.announcements import queries, service
from ticketdesk.extensions import db
from ticketdesk.jobs.runner import run_once
from ticketdesk.ports.mail import SmtpTransport

T0 = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)


@pytest.fixture
def routes(app: Any) -> Iterator[tuple[SmtpSink, SmtpSink]]:
    primary, fallback = SmtpSink(refuse_with="451 4.3.0 mail server temporarily unavailable"), SmtpSink()
    primary.controller.start()
    fallback.controller.start()
    ports = app.extensions["ticketdesk.ports"]
    previous = ports.mail, ports.mail_fallback
    ports.mail, ports.mail_fallback = (
        SmtpTransport(primary.url, timeout=5),
        SmtpTransport(fallback.url, timeout=5),
    )
    try:
        yield primary, fallback
    finally:
        ports.mail, ports.mail_fallback = previous
        primary.controller.stop()
        fallback.controller.stop()


def test_refused_by_the_primary_route_delivered_by_the_fallback(
    app: Any, world: World, routes: tuple[SmtpSink, SmtpSink]
) -> None:
    primary, fallback = routes
    with time_machine.travel(T0, tick=False) as clock:
        ann = service.create_announcement(
            db.session,
            kind="outage",
            groups=[world.groups["sms"]],
            channels=["email"],
            template=world.templates["outage_en"],
            values=outage_values(),
            now=T0,
        )
        db.session.commit()
        run_once(app)  # first attempt: refused by the primary server
        (row, *_others) = queries.deliveries(db.session, ann)
        assert row.state == "queued" and row.mail.attempts == 1 and "451" in (row.mail.last_error or "")
        db.session.commit()
        for _ in range(4):  # the retries (15 s, 30 s …); after two refusals the fallback route is used
            clock.shift(timedelta(minutes=1))
            run_once(app)
    fallback.wait_for(3)
    assert primary.messages == []
    assert sorted(r for m in fallback.messages for r in m.rcpt_tos) == [
        "alice@alfa.test",
        "bea@partner.test",
        "bob@beta.test",
    ]
    db.session.expire_all()
    rows = queries.deliveries(db.session, ann)
    assert {(r.state, r.mail.route) for r in rows} == {("sent", "fallback")}
    assert {r.mail.attempts for r in rows} == {3}  # two refusals by the primary, then the fallback
    counts = queries.delivery_counts(rows)
    assert counts == {"email": {"sent": 3}}
