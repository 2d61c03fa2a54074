"""`ticketdesk serve` on an empty embedded database migrates it, starts the web app, the SMTP intake and
the worker in one process: a mail sent to the intake becomes a ticket visible through the API."""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.fixtures.smtpsink import free_port
from tests.integration.intake.helpers import mail

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str, token: str | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_serve_migrates_an_empty_database_and_runs_everything(tmp_path: Path) -> None:
    web, smtp = free_port(), free_port()
    env = {
        **os.environ,
        "TICKETDESK_INSTANCE_PATH": str(tmp_path),
        "TICKETDESK_INTAKE_PORT": str(smtp),
        "TICKETDESK_SUPPORT_ADDRESSES": "support@support.test=support",
        "TICKETDESK_LOG_LEVEL": "WARNING",
        "TICKETDESK_DNS_SERVERS": "127.0.0.1:9",
        "TICKETDESK_DNS_TIMEOUT": "0.3",
    }
    env.pop("TICKETDESK_DATABASE_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ticketdesk", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    proc = subprocess.Popen(
        [sys.executable, "-m", "ticketdesk", "serve", "--port", str(web)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{web}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.2)
        assert body["database"] == "ok" and (tmp_path / "ticketdesk.sqlite3").exists()
        assert (
            run("create-admin", "--email", "boss@support.test", "--password", "long-enough-pw").returncode
            == 0
        )
        token = run("token", "create", "--email", "boss@support.test").stdout.strip()
        status, org = _post(
            f"http://127.0.0.1:{web}/api/v1/organizations",
            token,
            {"name": "ACME", "sender_policy": "trust_relay"},
        )
        assert status == 201
        status, _ = _post(
            f"http://127.0.0.1:{web}/api/v1/organizations/{org['id']}/contacts",
            token,
            {"name": "Jana", "emails": ["jana@acme.test"]},
        )
        assert status == 201
        with smtplib.SMTP("127.0.0.1", smtp, timeout=60) as client:
            client.sendmail(
                "jana@acme.test", ["support@support.test"], mail("jana@acme.test", "Hello from SMTP")
            )
        status, tickets = _get(f"http://127.0.0.1:{web}/api/v1/tickets", token)
        assert status == 200 and [t["subject"] for t in tickets["items"]] == ["Hello from SMTP"]
        deadline = time.monotonic() + 30  # the embedded worker sends the acknowledgement to the mbox
        while b"Hello from SMTP" not in (
            (tmp_path / "outbox.mbox").read_bytes() if (tmp_path / "outbox.mbox").exists() else b""
        ):
            assert time.monotonic() < deadline, "the embedded worker did not deliver the acknowledgement"
            time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _post(url: str, token: str, data: dict) -> tuple[int, dict]:
    req = urllib.request.Request(
        url,
        data=json.dumps(data).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")
