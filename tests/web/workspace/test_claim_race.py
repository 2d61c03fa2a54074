"""Two agents claim the same ticket at the same moment through a real server: exactly one wins.

Runs on SQLite and on PostgreSQL (each in a fresh database, ``ticketdesk serve`` in its own process,
real concurrent HTTP requests from two signed-in browsers' worth of sessions).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import _drop_postgres, _fresh_postgres, require_service
from tests.web.workspace.liveserver import ServeProcess, run_seed, server_env

ROUNDS = 6


def _postgres_base() -> str | None:
    """The PostgreSQL server to make a fresh database on (TICKETDESK_TEST_DATABASE_URL, else the local one)."""
    from sqlalchemy.engine import make_url

    base = os.environ.get("TICKETDESK_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1/ticketdesk_test"
    admin = (
        make_url(base).set(database="postgres", drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        import psycopg

        with psycopg.connect(admin, connect_timeout=2):
            return base
    except Exception:  # not reachable: skipped here, a failure in CI (require_service)
        return None


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'race.sqlite3'}"
        return
    base = _postgres_base()
    require_service("PostgreSQL", base is not None)
    assert base is not None
    url, name = _fresh_postgres(base)
    try:
        yield url
    finally:
        _drop_postgres(base, name)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def _browser(base: str, email: str, password: str) -> requests.Session:
    s = requests.Session()
    token = _csrf(s.get(f"{base}/login", timeout=10).text)
    resp = s.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text[:500]
    return s


def test_exactly_one_of_two_racing_agents_wins(database: str, tmp_path: Path) -> None:
    env = server_env(tmp_path / "instance", database)
    data = json.loads(run_seed(env, "--tickets", str(ROUNDS)))
    a, b = data["agents"]
    with ServeProcess(env, tmp_path / "serve.log") as server:
        browsers = [
            _browser(server.url, a["email"], a["password"]),
            _browser(server.url, b["email"], b["password"]),
        ]
        winners: list[int] = []
        for number in data["tickets"]:
            tokens = [_csrf(s.get(f"{server.url}/tickets/{number}", timeout=10).text) for s in browsers]
            barrier = threading.Barrier(2)
            results: dict[int, int] = {}

            def claim(
                i: int,
                number: int = number,
                tokens: list[str] = tokens,
                barrier: threading.Barrier = barrier,
                results: dict[int, int] = results,
            ) -> None:
                barrier.wait()
                resp = browsers[i].post(
                    f"{server.url}/tickets/{number}/claim",
                    data={"csrf_token": tokens[i]},
                    allow_redirects=False,
                    timeout=30,
                )
                results[i] = resp.status_code

            threads = [threading.Thread(target=claim, args=(i,)) for i in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert sorted(results.values()) == [303, 409], results
            winner = next(i for i, status in results.items() if status == 303)
            detail = requests.get(
                f"{server.url}/api/v1/tickets/{number}",
                timeout=10,
                headers={"Authorization": f"Bearer {a['token']}"},
            ).json()
            assert detail["claimed_by"]["id"] == data["agents"][winner]["id"]
            assert [e["kind"] for e in detail["events"]].count("claim.taken") == 1
            winners.append(winner)
        assert len(winners) == ROUNDS
