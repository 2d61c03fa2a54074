"""Signing in: argon2 passwords, Flask-Login session, the API's session key, CSRF, limits, sign-out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.workspace.helpers import PASSWORD, csrf_from, login


@pytest.fixture(autouse=True)
def _fresh_limits(app: Any) -> None:
    from ticketdesk.extensions import limiter

    limiter.reset()


def test_pages_need_a_signed_in_agent(client: Any) -> None:
    resp = client.get("/queue")
    assert resp.status_code == 302 and "/login?next=" in resp.headers["Location"]
    assert client.get("/").headers["Location"].endswith("/login")
    assert client.get("/admin/agents").status_code == 302


def test_login_sets_the_session_for_pages_and_api(client: Any, agent: Any) -> None:
    resp = login(client, agent.email.upper())
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/queue")
    with client.session_transaction() as sess:
        assert sess["agent_id"] == agent.id
    assert client.get("/queue").status_code == 200
    me = client.get("/api/v1/me").get_json()
    assert me["kind"] == "agent" and me["agent"]["id"] == agent.id  # the API reads session["agent_id"]
    assert client.get("/api/v1/tickets").status_code == 200


def test_wrong_password_unknown_address_and_inactive_agent(client: Any, make_agent: Any) -> None:
    inactive = make_agent(active=False)
    for email, password in (("nobody@support.test", PASSWORD), (inactive.email, PASSWORD)):
        resp = login(client, email, password)
        assert resp.status_code == 401
        assert "Wrong e-mail address or password" in resp.get_data(as_text=True)
    with client.session_transaction() as sess:
        assert "agent_id" not in sess


def test_passwords_are_argon2(agent: Any) -> None:
    assert agent.password_hash.startswith("$argon2")


def test_login_without_csrf_token_is_refused(client: Any, agent: Any) -> None:
    resp = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert resp.status_code == 400
    with client.session_transaction() as sess:
        assert "agent_id" not in sess


def test_every_form_post_needs_csrf(client: Any, agent: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    login(client, agent.email)
    resp = client.post(f"/tickets/{ticket.number}/claim")
    assert resp.status_code == 400
    resp = client.post("/logout")
    assert resp.status_code == 400


def test_failed_attempts_are_limited_per_address(client: Any, agent: Any) -> None:
    for _ in range(5):
        assert login(client, agent.email, "wrong password").status_code == 401
    resp = login(client, agent.email, PASSWORD)
    assert resp.status_code == 429
    assert "Too many failed sign-in attempts" in resp.get_data(as_text=True)
    # another address from the same machine is not locked out by that
    other_client_resp = login(client, "someone-else@support.test", "wrong")
    assert other_client_resp.status_code == 401


def test_failed_attempts_are_limited_per_ip(client: Any, agent: Any) -> None:
    statuses = [login(client, f"guess{i}@support.test", "wrong").status_code for i in range(31)]
    assert statuses[:30] == [401] * 30 and statuses[30] == 429
    assert login(client, agent.email, PASSWORD).status_code == 429


def test_successful_logins_do_not_count(client: Any, agent: Any) -> None:
    for _ in range(8):
        assert login(client, agent.email).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/queue").get_data(as_text=True))})


def test_logout_ends_the_session(client: Any, agent: Any) -> None:
    login(client, agent.email)
    token = csrf_from(client.get("/queue").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    with client.session_transaction() as sess:
        assert "agent_id" not in sess and "_user_id" not in sess
    assert client.get("/queue").status_code == 302
    assert client.get("/api/v1/tickets").status_code == 401


def test_next_only_goes_to_local_pages(client: Any, agent: Any) -> None:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post(
        "/login?next=https://evil.test/x",
        data={"email": agent.email, "password": PASSWORD, "csrf_token": token},
    )
    assert resp.headers["Location"].endswith("/queue")
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/queue").get_data(as_text=True))})
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post(
        "/login?next=/tickets/1001", data={"email": agent.email, "password": PASSWORD, "csrf_token": token}
    )
    assert resp.headers["Location"].endswith("/tickets/1001")


def test_czech_from_agent_language_or_browser(client: Any, make_agent: Any) -> None:
    page = client.get("/login", headers={"Accept-Language": "cs-CZ,cs;q=0.9"}).get_data(as_text=True)
    assert "Přihlásit" in page and 'lang="cs"' in page
    agent = make_agent(language="cs")
    login(client, agent.email)
    assert "Fronta" in client.get("/queue", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_profile_changes_language_and_password(client: Any, agent: Any) -> None:
    from ticketdesk.accounts.service import verify_secret
    from ticketdesk.extensions import db

    login(client, agent.email)
    token = csrf_from(client.get("/profile").get_data(as_text=True))
    resp = client.post(
        "/profile",
        data={
            "csrf_token": token,
            "name": "Petra N.",
            "language": "cs",
            "available": "y",
            "new_password": "a new long password",
        },
    )
    assert resp.status_code == 302
    db.session.refresh(agent)
    assert agent.language == "cs" and agent.name == "Petra N."
    assert verify_secret(agent.password_hash, "a new long password")
