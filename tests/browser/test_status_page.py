"""The public status page in a real browser (Chromium): no login, the current outage, planned
maintenance and history, one announcement's messages, the language switch and the feed links."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.integration.announcements.helpers import build_world, maintenance_values, outage_values
from ticketdesk.announcements import service
from ticketdesk.extensions import db

pytestmark = pytest.mark.browser


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="status-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_status_page_in_chromium(app: Flask, browser: Any, make_org: Any, make_contact: Any) -> None:
    world = build_world(make_org, make_contact)
    now = datetime.now(UTC)
    outage = service.create_announcement(
        db.session,
        kind="outage",
        groups=[world.groups["sms"]],
        template=world.templates["outage_en"],
        values=outage_values(),
        now=now - timedelta(minutes=30),
    )
    service.add_update(db.session, outage, status="identified", now=now - timedelta(minutes=5))
    planned = service.create_announcement(
        db.session,
        kind="maintenance",
        groups=[world.groups["subs"]],
        template=world.templates["maintenance_en"],
        values=maintenance_values(now + timedelta(days=1), now + timedelta(days=1, hours=2)),
        now=now,
    )
    past = service.create_announcement(
        db.session,
        kind="maintenance",
        groups=[world.groups["all"]],
        template=world.templates["maintenance_en"],
        values={
            **maintenance_values(now - timedelta(days=2), now - timedelta(days=2, hours=-1)),
            "services": "Core network",
        },
        now=now - timedelta(days=3),
    )
    service.add_update(db.session, past, status="completed", now=now - timedelta(days=2))
    service.create_announcement(
        db.session,
        kind="outage",
        groups=[world.groups["alfa"]],
        template=world.templates["outage_en"],
        values={**outage_values(), "services": "Private VPN"},
        now=now,
    )
    db.session.commit()
    outage_id, planned_id, past_id = outage.id, planned.id, past.id
    db.session.rollback()  # hold no transaction while the server thread reads

    with serve(app) as url:
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone, as customers check it
        page.set_default_timeout(15_000)
        response = page.goto(f"{url}/status")
        assert response is not None and response.status == 200 and page.url == f"{url}/status"  # no login
        assert page.inner_text("#status-summary") == "We are dealing with an outage."

        current = page.locator(f"#current-outages #announcement-{outage_id}")
        assert current.is_visible()
        assert "Outage: SMS gateway (Cause identified)" in current.locator("h3").inner_text()
        messages = current.locator(".status-message")
        assert messages.count() == 2
        assert "Cause identified" in messages.nth(0).inner_text()  # newest first
        assert "T-Mobile CZ, O2 CZ" in messages.nth(1).inner_text()
        assert page.locator(f"#maintenance #announcement-{planned_id}").is_visible()
        assert "Subscriptions" in page.inner_text("#maintenance")
        history = page.locator(f"#history #announcement-{past_id}")
        assert history.is_visible() and "Core network" in history.inner_text()
        assert "Private VPN" not in page.inner_text("body")
        # nothing overflows sideways on a phone
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        feeds = page.locator("head link[rel=alternate]")
        assert sorted(feeds.nth(i).get_attribute("type") for i in range(feeds.count())) == [
            "application/atom+xml",
            "application/feed+json",
        ]

        history.locator("h3 a").click()
        page.wait_for_url(f"**/status/{past_id}*")
        detail = page.locator(f"#announcement-{past_id} .status-message")
        assert detail.count() == 2 and "Completed" in detail.nth(0).inner_text()

        page.goto(f"{url}/status")
        page.click(".status-langs a[lang=cs]")
        page.wait_for_url(lambda u: u.endswith("lang=cs"))
        assert "Výpadek: SMS gateway (Příčina nalezena)" in page.inner_text(f"#announcement-{outage_id} h3")
        assert page.get_attribute(".status-page", "lang") == "cs"

        feed = page.request.get(f"{url}/status/feed")
        assert feed.ok and "<feed" in feed.text() and "Private VPN" not in feed.text()
        page.close()
