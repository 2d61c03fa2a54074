"""Portal sign-in: the one-time link (valid, reused, expired, unknown address, rate limits), the optional
password, and sessions that end."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine
from sqlalchemy import func, select

from tests.web.portal.helpers import last_link, link_in, mails, post, sign_in

_TOKEN = re.compile(r'(csrf_token"[^>]*value=")[^"]+')


def _request_link(client: Any, email: str, **kw: Any) -> Any:
    return post(client, "/portal/login", {"email": email}, **kw)


def _use_link(client: Any, path: str) -> Any:
    page = client.get(path)
    if page.status_code != 200:
        return page
    return post(client, path, page=path)


def test_link_signs_in_once_through_the_smtp_sink(
    app: Any, client: Any, make_contact: Any, smtp_sink: Any
) -> None:
    from ticketdesk.jobs.runner import run_once

    jana = make_contact(name="Jana Nováková", email="jana@alpha.test", language="cs")
    resp = _request_link(client, "Jana@Alpha.test ")
    assert resp.status_code == 200 and 'id="link-sent"' in resp.get_data(as_text=True)
    run_once(app)
    received = smtp_sink.wait_for(1)
    assert received[0].rcpt_tos == ["jana@alpha.test"]
    assert "Odkaz pro přihlášení" in received[0].message["Subject"]
    path = link_in(received[0].text)

    shown = client.get(path)  # opening the link (or a mail scanner doing it) does not use it up
    assert shown.status_code == 200 and "Jana Nováková" in shown.get_data(as_text=True)
    assert client.get(path).status_code == 200
    done = post(client, path, page=path)
    assert done.status_code == 302 and done.headers["Location"].endswith("/portal/tickets")
    with client.session_transaction() as session:
        assert session["contact_id"] == jana.id and session.permanent
    assert client.get("/portal/tickets").status_code == 200

    other = app.test_client()  # the same link again, from anywhere: spent
    again = other.get(path)
    assert again.status_code == 410 and 'id="link-invalid"' in again.get_data(as_text=True)
    assert post(other, path, page="/portal/login").status_code == 410
    with other.session_transaction() as session:
        assert "contact_id" not in session


def test_unknown_and_ineligible_addresses_get_the_same_page(
    app: Any, client: Any, make_org: Any, make_contact: Any
) -> None:
    from ticketdesk.contacts.service import deactivate
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow

    org = make_org()
    make_contact(org, email="tech@alpha.test")
    make_contact(org, email="billing@alpha.test", technical=False)
    gone = make_contact(org, email="gone@alpha.test")
    deactivate(gone, now=utcnow())
    db.session.commit()

    def page(email: str) -> str:
        fresh = app.test_client()
        resp = _request_link(fresh, email)
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        # Tokens carry the second they were made in: blank every one (a fresh GET may be a second later).
        return _TOKEN.sub(r"\1CSRF", html)

    known = page("tech@alpha.test")
    for other in ("nobody@alpha.test", "billing@alpha.test", "gone@alpha.test", "not an address"):
        assert page(other) == known
    assert len(mails("portal_login")) == 1
    assert mails("portal_login", "tech@alpha.test")


def test_expired_link_is_refused(app: Any, client: Any, make_contact: Any) -> None:
    from ticketdesk.portal.service import LINK_TTL
    from ticketdesk.ports.clock import utcnow

    make_contact(email="late@alpha.test")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        _request_link(client, "late@alpha.test")
    path = last_link("late@alpha.test")
    with time_machine.travel(start + LINK_TTL - timedelta(seconds=1), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(start + LINK_TTL, tick=False):
        assert client.get(path).status_code == 410
        assert post(client, path, page="/portal/login").status_code == 410
    with client.session_transaction() as session:
        assert "contact_id" not in session


def test_signing_in_retires_the_other_links_and_a_removed_contact_cannot_use_one(
    app: Any, client: Any, make_contact: Any
) -> None:
    from ticketdesk.contacts.service import deactivate
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow

    petr = make_contact(email="petr@alpha.test")
    _request_link(client, "petr@alpha.test")
    first = last_link("petr@alpha.test")
    _request_link(client, "petr@alpha.test")
    second = last_link("petr@alpha.test")
    assert first != second
    assert _use_link(client, second).status_code == 302
    assert app.test_client().get(first).status_code == 410

    _request_link(app.test_client(), "petr@alpha.test")
    third = last_link("petr@alpha.test")
    deactivate(db.session.merge(petr), now=utcnow())
    db.session.commit()
    fresh = app.test_client()
    assert fresh.get(third).status_code == 410
    assert post(fresh, third, page="/portal/login").status_code == 410


def test_link_requests_are_limited_per_address_and_per_ip(app: Any, client: Any, make_contact: Any) -> None:
    from ticketdesk.accounts.models import LoginLink
    from ticketdesk.extensions import db
    from ticketdesk.portal.service import LINKS_PER_WINDOW

    make_contact(email="eager@alpha.test")
    for _ in range(LINKS_PER_WINDOW + 2):  # more requests: still the same page, but no more mail
        assert _request_link(client, "eager@alpha.test").status_code == 200
    assert db.session.scalar(select(func.count(LoginLink.id))) == LINKS_PER_WINDOW
    assert len(mails("portal_login")) == LINKS_PER_WINDOW

    statuses = [_request_link(client, f"someone{i}@nowhere.test").status_code for i in range(12)]
    assert statuses.count(429) >= 1 and statuses[0] == 200  # "10 per minute" per client IP
    refused = _request_link(client, "eager@alpha.test")
    assert refused.status_code == 429 and "Too many attempts" in refused.get_data(as_text=True)


def test_guessing_links_is_rate_limited(app: Any, client: Any) -> None:
    statuses = [client.get(f"/portal/link/guess{i}").status_code for i in range(32)]
    assert set(statuses[:30]) == {410} and statuses[-1] == 429


def test_password_sign_in(app: Any, client: Any, make_contact: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.portal.service import set_portal_password

    eva = make_contact(email="eva@alpha.test")
    set_portal_password(eva, "a long portal password")
    db.session.commit()

    wrong = post(
        client, "/portal/login/password", {"pw-email": "eva@alpha.test", "pw-password": "guess guess"}
    )
    unknown = post(
        client, "/portal/login/password", {"pw-email": "nobody@alpha.test", "pw-password": "guess guess"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail address or password." in wrong.get_data(as_text=True)
    ok = post(
        client,
        "/portal/login/password",
        {"pw-email": "eva@alpha.test", "pw-password": "a long portal password"},
    )
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/portal/tickets")
    with client.session_transaction() as session:
        assert session["contact_id"] == eva.id


def test_password_guessing_is_limited_per_address(app: Any, make_contact: Any) -> None:
    from ticketdesk.extensions import db
    from ticketdesk.portal.service import set_portal_password

    eva = make_contact(email="eva2@alpha.test")
    set_portal_password(eva, "a long portal password")
    db.session.commit()
    statuses = []
    for _ in range(6):
        statuses.append(
            post(
                app.test_client(),
                "/portal/login/password",
                {"pw-email": "eva2@alpha.test", "pw-password": "wrong password"},
            ).status_code
        )
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    right = post(
        app.test_client(),
        "/portal/login/password",
        {"pw-email": "eva2@alpha.test", "pw-password": "a long portal password"},
    )
    assert right.status_code == 429  # locked for this address for now, even with the right password


def test_account_sets_and_removes_the_password(app: Any, client: Any, make_contact: Any) -> None:
    from ticketdesk.contacts.models import Contact
    from ticketdesk.extensions import db

    karel = make_contact(email="karel@alpha.test")
    sign_in(client, karel)
    short = post(
        client,
        "/portal/account/password",
        {"pw-password": "short", "pw-repeat": "short"},
        page="/portal/account",
    )
    assert short.status_code == 422
    differ = post(
        client,
        "/portal/account/password",
        {"pw-password": "long enough pass", "pw-repeat": "other one!!"},
        page="/portal/account",
    )
    assert differ.status_code == 422 and "The two passwords differ." in differ.get_data(as_text=True)
    ok = post(
        client,
        "/portal/account/password",
        {"pw-password": "long enough pass", "pw-repeat": "long enough pass"},
        page="/portal/account",
    )
    assert ok.status_code == 302
    stored = db.session.get(Contact, karel.id)
    db.session.refresh(stored)
    assert stored.portal_password_hash and "long enough" not in stored.portal_password_hash
    assert post(client, "/portal/account/password/remove", page="/portal/account").status_code == 302
    db.session.refresh(stored)
    assert stored.portal_password_hash is None


def test_sessions_end_when_idle_too_long_or_too_old(app: Any, client: Any, make_contact: Any) -> None:
    from ticketdesk.portal.service import IDLE_TIMEOUT, MAX_SESSION_AGE
    from ticketdesk.ports.clock import utcnow

    anna = make_contact(email="anna@alpha.test")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        sign_in(client, anna)
        assert client.get("/portal/tickets").status_code == 200
    with time_machine.travel(start + IDLE_TIMEOUT - timedelta(minutes=1), tick=False):
        assert client.get("/portal/tickets").status_code == 200  # activity keeps it alive…
    step = start + IDLE_TIMEOUT - timedelta(minutes=1)
    while step + IDLE_TIMEOUT - timedelta(minutes=1) < start + MAX_SESSION_AGE:
        step += IDLE_TIMEOUT - timedelta(minutes=1)
        with time_machine.travel(step, tick=False):
            assert client.get("/portal/tickets").status_code == 200
    with time_machine.travel(start + MAX_SESSION_AGE, tick=False):  # …but not beyond the maximum age
        resp = client.get("/portal/tickets")
        assert resp.status_code == 302 and "/portal/login" in resp.headers["Location"]
    with client.session_transaction() as session:
        assert "contact_id" not in session

    with time_machine.travel(start, tick=False):
        sign_in(client, anna)
    with time_machine.travel(start + IDLE_TIMEOUT, tick=False):
        assert client.get("/portal/tickets").status_code == 302


def test_removed_contact_is_signed_out_and_logout_works(app: Any, client: Any, make_contact: Any) -> None:
    from ticketdesk.contacts.service import deactivate
    from ticketdesk.extensions import db
    from ticketdesk.ports.clock import utcnow

    olga, kamil = make_contact(email="olga@alpha.test"), make_contact(email="kamil@alpha.test")
    sign_in(client, olga)
    assert client.get("/portal/tickets").status_code == 200
    deactivate(db.session.merge(olga), now=utcnow())
    db.session.commit()
    assert client.get("/portal/tickets").status_code == 302

    sign_in(client, kamil)
    assert post(client, "/portal/logout", page="/portal/tickets").status_code == 302
    assert client.get("/portal/tickets").status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_pages_need_sign_in_and_forms_need_csrf(app: Any, client: Any, two_orgs: Any) -> None:
    alpha, _ = two_orgs
    resp = client.get(f"/portal/tickets/{alpha.ticket.number}")
    assert resp.status_code == 302 and "next=/portal/tickets/" in resp.headers["Location"]
    sign_in(client, alpha.member)
    no_csrf = client.post(f"/portal/tickets/{alpha.ticket.number}/reply", data={"text": "hello"})
    assert no_csrf.status_code == 400
    no_csrf_login = app.test_client().post("/portal/login", data={"email": "x@y.test"})
    assert no_csrf_login.status_code == 400


def test_link_keeps_where_the_contact_was_going(app: Any, client: Any, two_orgs: Any) -> None:
    alpha, _ = two_orgs
    email = alpha.member.primary_email
    target = f"/portal/tickets/{alpha.ticket.number}"
    post(client, f"/portal/login?next={target}", {"email": email})
    path = last_link(email)
    assert path.endswith(f"?next={target}")
    assert _use_link(client, path).headers["Location"].endswith(target)
    evil = app.test_client()
    post(evil, "/portal/login?next=//evil.test/x", {"email": email})
    assert "evil" not in last_link(email)


def test_old_links_are_purged_by_the_worker_job(app: Any, client: Any, make_contact: Any) -> None:
    from ticketdesk.accounts.models import LoginLink
    from ticketdesk.extensions import db
    from ticketdesk.jobs.registry import JobContext
    from ticketdesk.portal.jobs import purge_login_links
    from ticketdesk.portal.service import LINK_TTL
    from ticketdesk.ports.clock import utcnow

    make_contact(email="old@alpha.test")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        _request_link(client, "old@alpha.test")
    with time_machine.travel(start + timedelta(hours=5), tick=False):
        _request_link(client, "old@alpha.test")
    later = start + LINK_TTL + timedelta(days=1, minutes=1)
    purge_login_links({}, JobContext(app=app, now=later, job_id=0, attempt=1))
    db.session.commit()
    left = db.session.scalars(select(LoginLink.created_at)).all()
    assert len(left) == 1 and left[0] > start
