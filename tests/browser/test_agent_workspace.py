"""The agent workspace in a real browser (Playwright + Debian's Chromium): a mail arrives over SMTP and
appears without a reload, the agent opens and claims it, a second agent's browser shows the claim within
a second, and the reply reaches the SMTP sink."""

from __future__ import annotations

import os
import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.smtpsink import SmtpSink, smtp_sink  # noqa: F401  (fixture)
from tests.web.workspace.helpers import PASSWORD
from tests.web.workspace.liveserver import ThreadServer, free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def live(app: Any) -> Iterator[ThreadServer]:
    with ThreadServer(app) as server:
        yield server


@pytest.fixture
def intake(app: Any) -> Iterator[int]:
    """The real SMTP intake (what ``ticketdesk smtpd`` runs) on a free port."""
    from ticketdesk.intake.server import start_in_thread

    port = free_port()
    controller = start_in_thread(app, "127.0.0.1", port)
    try:
        yield port
    finally:
        controller.stop()


def _idle() -> None:
    """End the test thread's transaction: on SQLite it would hold the write lock the server needs."""
    from ticketdesk.extensions import db

    db.session.commit()


def _sign_in(browser: Any, url: str, email: str) -> Any:
    page = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900}).new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/queue")
    return page


def _send_mail(port: int, subject: str) -> None:
    msg = EmailMessage()
    msg["From"] = "Jana Nováková <jana@acme.test>"
    msg["To"] = "support@support.test"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{time.time_ns()}@acme.test>"
    msg.set_content("Hello, the invoice for October shows the wrong VAT number. Could you fix it?")
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.send_message(msg)


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    target = Path(os.environ.get("TICKETDESK_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def test_mail_appears_live_claim_is_seen_by_colleague_reply_is_mailed(
    app: Any,
    browser: Any,
    live: ThreadServer,
    intake: int,
    smtp_sink: SmtpSink,  # noqa: F811
    make_org: Any,
    make_contact: Any,
    make_agent: Any,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    from ticketdesk.jobs.runner import run_once

    org = make_org(name="ACME Hosting s.r.o.", sender_policy="trust_relay")
    make_contact(org, email="jana@acme.test", name="Jana Nováková", phones=["+420601123456"])
    make_agent(name="Alice Agentová", email="alice@support.test")
    make_agent(name="Bob Kolega", email="bob@support.test")
    _idle()

    a = _sign_in(browser, live.url, "alice@support.test")
    b = _sign_in(browser, live.url, "bob@support.test")
    for page in (a, b):
        expect(page.locator("#live-dot")).to_be_visible(timeout=5000)  # the socket is connected
    a.evaluate("window.__noReload = true")

    _send_mail(intake, "Wrong VAT number on the October invoice")
    row = a.locator("tr[data-number]", has_text="Wrong VAT number on the October invoice")
    expect(row).to_be_visible(timeout=5000)
    assert a.evaluate("window.__noReload") is True, "the queue page reloaded instead of updating live"
    number = row.get_attribute("data-number")
    _shot(a, tmp_path, "queue")

    b.goto(f"{live.url}/tickets/{number}")
    expect(b.locator("#holder")).to_contain_text("Shared queue")
    row.locator("a").first.click()
    a.wait_for_url(f"{live.url}/tickets/{number}")
    expect(a.locator("#presence")).to_contain_text("Bob Kolega", timeout=5000)  # presence of the colleague
    expect(b.locator("#presence")).to_contain_text("Alice", timeout=5000)

    b.evaluate("window.__noReload = true")
    a.click("#claim-button")
    expect(a.locator("#holder")).to_contain_text("Alice Agentová")
    claimed_at = time.monotonic()
    expect(b.locator("#holder")).to_contain_text("Held by Alice Agentová", timeout=1000)
    assert time.monotonic() - claimed_at < 1.0
    assert b.evaluate("window.__noReload") is True
    expect(b.locator("#claim-button")).to_have_count(0)

    a.fill("#reply-text", "Thank you, Jana. We have corrected the VAT number and re-issued the invoice.")
    expect(b.locator("#presence")).to_contain_text("typing", timeout=5000)
    a.click("#send-button")
    expect(a.locator(".msg-out")).to_contain_text("re-issued the invoice")
    expect(b.locator(".msg-out")).to_contain_text("re-issued the invoice", timeout=3000)  # live in the thread
    _shot(a, tmp_path, "ticket")

    deadline = time.monotonic() + 20
    reply = []
    while time.monotonic() < deadline and not reply:
        with app.app_context():
            run_once(app)
        reply = [m for m in smtp_sink.to("jana@acme.test") if "re-issued the invoice" in m.text]
        time.sleep(0.1)
    assert reply, (
        f"the reply never reached the SMTP sink ({[m.message['Subject'] for m in smtp_sink.messages]})"
    )
    assert f"[TD#{number}]" in reply[0].message["Subject"] or str(number) in reply[0].message["Subject"]


def test_keyboard_and_phone(
    app: Any, browser: Any, live: ThreadServer, make_agent: Any, make_ticket: Any, tmp_path: Path
) -> None:
    """The queue works from the keyboard alone and stays readable on a phone-sized screen."""
    from playwright.sync_api import expect

    email, number = make_agent(name="Klára").email, make_ticket(subject="Keyboard only please").number
    _idle()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live.url}/login")
    page.keyboard.press("Tab")  # skip link
    page.focus("input[name=email]")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/queue")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the queue scrolls sideways on a phone ({width}px)"
    link = page.locator(f"tr[data-number='{number}'] td.subject a")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/tickets/{number}")
    expect(page.locator("h1")).to_contain_text("Keyboard only please")
    page.focus("#claim-button")
    page.keyboard.press("Enter")
    expect(page.locator("#holder")).to_contain_text("Klára")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    _shot(page, tmp_path, "ticket-phone")
