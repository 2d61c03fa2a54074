"""The transports: a real SMTP/LMTP session to the intake server, `ticketdesk ingest` exit codes, and the
property that no input bytes crash the pipeline or lose the raw message."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.fixtures.smtpsink import free_port
from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage
from ticketdesk.jobs.runner import run_once
from ticketdesk.tickets.models import Ticket

from .helpers import deliver, mail

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def contact(make_org: Any, make_contact: Any) -> Any:
    return make_contact(make_org(name="ACME", sender_policy="trust_relay"), email="jana@acme.test")


@pytest.fixture
def intake_server(app: Any) -> Any:
    from ticketdesk.intake.server import start_in_thread

    port = free_port()
    controller = start_in_thread(app, "127.0.0.1", port)
    yield port
    controller.stop()


def test_smtp_session_end_to_end(app: Any, contact: Any, intake_server: int, smtp_sink: Any) -> None:
    db.session.commit()  # no open transaction while the server thread writes
    with smtplib.SMTP("127.0.0.1", intake_server, timeout=10) as client:
        client.ehlo("mx.acme.test")
        code, _ = client.docmd("MAIL FROM:<jana@acme.test>")
        assert code == 250
        code, reply = client.docmd("RCPT TO:<nobody@support.test>")
        assert code == 550 and b"no such support address" in reply
        code, _ = client.docmd("RCPT TO:<datacenter@support.test>")
        assert code == 250
        code, reply = client.data(
            mail("jana@acme.test", "Disk failure", "RAID degraded on db1", to="datacenter@support.test")
        )
        assert code == 250 and b"stored as intake" in reply
    db.session.expire_all()
    ticket = db.session.scalar(select(Ticket))
    raw = db.session.scalar(select(RawMessage))
    assert ticket.queue.slug == "datacenter" and raw.source == "smtp" and raw.peer_ip == "127.0.0.1"
    assert raw.helo == "mx.acme.test" and raw.envelope_from == "jana@acme.test"
    db.session.commit()
    run_once(app)
    [ack] = smtp_sink.wait_for(1)
    assert ack.rcpt_tos == ["jana@acme.test"] and f"#{ticket.number}" in ack.text


def test_lmtp_answers_per_recipient(app: Any, contact: Any) -> None:
    from ticketdesk.intake.server import start_in_thread

    port = free_port()
    controller = start_in_thread(app, "127.0.0.1", port, lmtp=True)
    db.session.commit()
    try:
        with smtplib.LMTP("127.0.0.1", port) as client:
            client.ehlo_or_helo_if_needed()
            assert client.docmd("MAIL FROM:<jana@acme.test>")[0] == 250
            assert client.docmd("RCPT TO:<support@support.test>")[0] == 250
            assert client.docmd("RCPT TO:<ghost@support.test>")[0] == 550
            assert client.docmd("RCPT TO:<consulting@support.test>")[0] == 250
            first = client.data(mail("jana@acme.test", to="support@support.test, consulting@support.test"))
            second = client.getreply()  # LMTP: one answer per accepted recipient
    finally:
        controller.stop()
    assert first[0] == 250 and second[0] == 250
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_unstorable_mail_gets_try_again_later(tmp_path: Path, settings: Any) -> None:
    """A dead database: the SMTP answer is 451 so the sending MTA keeps the message and retries."""
    from tests.conftest import make_test_settings
    from ticketdesk.app import create_app
    from ticketdesk.intake.server import start_in_thread

    dead = create_app(
        make_test_settings(tmp_path, f"sqlite:///{tmp_path / 'missing' / 'nope' / 'x.sqlite3'}")
    )
    port = free_port()
    controller = start_in_thread(dead, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo("mx.test")
            client.docmd("MAIL FROM:<a@b.test>")
            client.docmd("RCPT TO:<support@support.test>")
            code, reply = client.data(mail("a@b.test"))
    finally:
        controller.stop()
    assert code == 451 and b"try again later" in reply


def _ingest(raw: bytes, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "ticketdesk", "ingest"],
        input=raw,
        capture_output=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=60,
    )


def test_ingest_exit_codes(app: Any, contact: Any, settings: Any, tmp_path: Path) -> None:
    env = {
        "TICKETDESK_DATABASE_URL": settings.database_url,
        "TICKETDESK_INSTANCE_PATH": str(settings.instance_path),
        "TICKETDESK_SECRET_KEY": settings.secret_key,
        "TICKETDESK_SUPPORT_ADDRESSES": "support@support.test=support,datacenter@support.test=datacenter,"
        "consulting@support.test=consulting",
    }
    db.session.commit()
    ok = _ingest(mail("jana@acme.test", "Via pipe"), env)
    assert ok.returncode == 0, ok.stderr
    assert b"ticket" in ok.stdout
    dead = _ingest(
        mail("jana@acme.test", "Via pipe 2"),
        {**env, "TICKETDESK_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"},
    )
    assert dead.returncode == 75 and b"try again later" in dead.stderr and b"Traceback" not in dead.stderr
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(RawMessage)) == 1


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=3000) | st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_no_input_crashes_the_pipeline_or_loses_the_raw_message(app: Any, data: bytes) -> None:
    before = db.session.scalar(select(func.count()).select_from(RawMessage))
    outcome = deliver(app, b"From: x@y.test\r\nSubject: fuzz\r\n" + data)
    assert outcome.disposition in {
        "ticket",
        "reply",
        "held",
        "quarantined",
        "auto_reply_ignored",
        "duplicate",
        "failed",
    }
    stored = db.session.get(RawMessage, outcome.raw_id)
    assert (
        stored is not None and db.session.scalar(select(func.count()).select_from(RawMessage)) == before + 1
    )
    assert outcome.disposition != "failed", stored.error
