"""The client portal in real browsers: a customer signs in with the link from the SMTP sink, opens a
ticket, an agent replies from another browser and the customer sees it without reloading; the agent
claims the ticket, the customer refuses single-agent handling with the mailed link, and the agent's
queue shows the ticket back in the shared queue, again without a reload.

Screenshots go to the test's tmp dir (and to $TICKETDESK_SCREENSHOTS when set).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.phone.live import live_server
from tests.web.portal.helpers import link_in

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _real_socketio(app: Any) -> None:
    """Undo what an earlier ``socketio.test_client`` did to the shared server (it replaces the packet
    senders with ones that only feed test clients, so real browsers would never hear back)."""
    from ticketdesk.extensions import socketio

    server = socketio.server
    for name in ("_send_packet", "_send_eio_packet"):
        server.__dict__.pop(name, None)
    server.async_handlers = True
    server.eio.async_handlers = True


@pytest.fixture(autouse=True)
def _fresh_limits(app: Any) -> Iterator[None]:
    from ticketdesk.extensions import limiter

    limiter.reset()
    yield
    limiter.reset()


class Shots:
    def __init__(self, tmp: Path) -> None:
        self.dirs = [tmp] + (
            [Path(os.environ["TICKETDESK_SCREENSHOTS"])] if os.environ.get("TICKETDESK_SCREENSHOTS") else []
        )
        self.count = 0

    def take(self, page: Any, name: str) -> None:
        self.count += 1
        data = page.screenshot(full_page=True)
        for folder in self.dirs:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"portal-{self.count:02}-{name}.png").write_bytes(data)


def _portal_live(page: Any) -> None:
    """The portal page joined its rooms (leaving a page mid-join races the Socket.IO server)."""
    page.wait_for_selector("body[data-live='1']", state="attached")


def _agent_live(page: Any) -> None:
    page.wait_for_selector("#live-dot:not([hidden])")
    page.wait_for_timeout(300)  # the workspace script does not signal its joins; let them land


def _worker(app: Any) -> None:
    from ticketdesk.jobs.runner import run_once

    run_once(app)


def test_customer_and_agent_live(
    app: Any, browser: Any, agent: Any, make_org: Any, make_contact: Any, smtp_sink: Any, tmp_path: Path
) -> None:
    from ticketdesk.extensions import db

    org = make_org("ACME s.r.o.")
    make_contact(org, name="Jana Nováková", email="jana@acme.test", phones=["+420 777 123 456"])
    agent_email, agent_name = agent.email, agent.name
    db.session.rollback()  # SQLite: hold no transaction (a write lock) while the server thread writes
    shots = Shots(tmp_path)
    with live_server(app) as url:
        customer = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        page = customer.new_page()
        page.set_default_timeout(15_000)

        # 1. sign in with the link from the SMTP sink
        page.goto(f"{url}/portal/login")
        page.fill("#link-form input[name=email]", "jana@acme.test")
        page.click("#link-form button[type=submit]")
        page.wait_for_selector("#link-sent")
        shots.take(page, "link-sent")
        _worker(app)
        mail = smtp_sink.wait_for(1)[-1]
        assert mail.rcpt_tos == ["jana@acme.test"]
        page.goto(url + link_in(mail.text))
        shots.take(page, "link")
        page.click("#link-sign-in")
        page.wait_for_url(f"{url}/portal/tickets")
        _portal_live(page)
        assert "Jana Nováková" in page.inner_text("#portal-me")

        # 2. open a ticket
        page.click("a.primary-link")
        page.wait_for_url(f"{url}/portal/tickets/new")
        page.select_option("select[name=queue]", "datacenter")
        page.fill("input[name=subject]", "Please add a DNS record for www")
        page.fill("textarea[name=text]", "Hello, please point www.acme.test to 192.0.2.10. Thank you.")
        page.set_input_files(
            "input[name=attachments]",
            files=[{"name": "zone.txt", "mimeType": "text/plain", "buffer": b"www IN A 192.0.2.10\n"}],
        )
        with page.expect_navigation():
            page.click("#open-ticket")
        assert re.search(r"/portal/tickets/\d+$", page.url), page.url
        number = int(page.url.rstrip("/").rsplit("/", 1)[1])
        _portal_live(page)
        assert "zone.txt" in page.inner_text("#timeline")
        page.evaluate("window.__notReloaded = true")
        shots.take(page, "ticket-opened")

        # 3. an agent replies from another browser; the customer sees it without reloading
        staff = browser.new_context(viewport={"width": 1280, "height": 900})
        agent_page = staff.new_page()
        agent_page.set_default_timeout(15_000)
        agent_page.goto(f"{url}/login")
        agent_page.fill("input[name=email]", agent_email)
        agent_page.fill("input[name=password]", PASSWORD)
        agent_page.click("form button[type=submit]")
        agent_page.wait_for_url(lambda u: "/login" not in u)
        _agent_live(agent_page)
        agent_page.goto(f"{url}/tickets/{number}")
        _agent_live(agent_page)
        agent_page.fill("#reply-text", "Done: www.acme.test now points to 192.0.2.10.")
        with agent_page.expect_navigation():
            agent_page.click("#send-button")
        page.wait_for_selector("#timeline .msg-out:has-text('www.acme.test now points')")
        assert page.evaluate("window.__notReloaded") is True
        assert agent_name in page.inner_text("#timeline .msg-out .msg-author")
        assert "answered" in page.inner_text("#fact-first-response")
        shots.take(page, "agent-reply-live")

        # 4. the agent claims it; the customer's page shows the claim live
        with agent_page.expect_navigation():
            agent_page.click("#claim-button")
        agent_page.wait_for_selector("#holder")
        _agent_live(agent_page)
        page.wait_for_selector("#claim-box")
        assert agent_name in page.inner_text("#claim-box")
        assert page.evaluate("window.__notReloaded") is True
        shots.take(page, "claimed-live")

        # the agent watches the shared (unclaimed) queue: the ticket is not there while claimed
        agent_page.goto(f"{url}/queue?unclaimed=1")
        _agent_live(agent_page)
        assert agent_page.locator(f"tr[data-number='{number}']").count() == 0
        agent_page.evaluate("window.__notReloaded = true")
        shots.take(agent_page, "agent-queue-before")

        # 5. the customer refuses single-agent handling with the mailed link
        _worker(app)
        claimed = [m for m in smtp_sink.messages if "/portal/claims/" in m.text]
        assert claimed, [m.message["Subject"] for m in smtp_sink.messages]
        claim_path = "/portal/claims/" + claimed[-1].text.split("/portal/claims/", 1)[1].split()[0]
        page.goto(url + claim_path)
        assert agent_name in page.inner_text("main")
        shots.take(page, "refuse-link")
        with page.expect_navigation():
            page.click("#refuse-claim-link")
        page.wait_for_selector("#claim-refused")
        shots.take(page, "refused")

        # 6. the agent's browser shows the ticket back in the shared queue, without a reload
        agent_page.wait_for_selector(f"tr[data-number='{number}']")
        assert agent_page.evaluate("window.__notReloaded") is True
        row = agent_page.inner_text(f"tr[data-number='{number}']")
        assert "Please add a DNS record" in row and agent_name not in row
        shots.take(agent_page, "agent-queue-after")

        page.goto(f"{url}/portal/tickets/{number}")
        _portal_live(page)
        assert page.locator("#claim-box").count() == 0
        assert "refused" in page.inner_text("#timeline")
        page.goto(f"{url}/portal/tickets")
        _portal_live(page)
        assert "Please add a DNS record" in page.inner_text("#ticket-list")
        shots.take(page, "list")
        customer.close()
        staff.close()
    assert shots.count >= 9
