"""`imap-poll` against a local IMAP server: stored messages are flagged (or moved), never deleted;
a message that could not be stored stays untouched for the next poll."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.fixtures.imapserver import LocalImap
from ticketdesk.extensions import db
from ticketdesk.intake.models import RawMessage
from ticketdesk.intake.sources.imap import STORED_FLAG, poll_once

from .helpers import mail


def test_poll_stores_then_flags(app: Any, make_org: Any, make_contact: Any) -> None:
    make_contact(make_org(sender_policy="trust_relay"), email="jana@acme.test")
    db.session.commit()
    with LocalImap() as imap:
        imap.box.add(mail("jana@acme.test", "From IMAP 1"))
        imap.box.add(mail("stranger@x.test", "From IMAP 2"))
        result = poll_once(app, imap.url)
        assert (result.fetched, result.stored, result.failed) == (2, 2, 0)
        assert all(STORED_FLAG.decode() in m.flags and "\\Seen" in m.flags for m in imap.box.folders["INBOX"])
        again = poll_once(app, imap.url)
        assert again.fetched == 0  # flagged mail is not fetched twice
    db.session.expire_all()
    sources = db.session.scalars(select(RawMessage.source)).all()
    assert sources == ["imap", "imap"]


def test_poll_moves_to_done_folder(app: Any, make_org: Any, make_contact: Any) -> None:
    make_contact(make_org(sender_policy="trust_relay"), email="jana@acme.test")
    db.session.commit()
    with LocalImap() as imap:
        imap.box.add(mail("jana@acme.test", "Move me"))
        poll_once(app, imap.url, done_folder="Processed")
        assert imap.box.folders["INBOX"] == [] and len(imap.box.folders["Processed"]) == 1


def test_unstorable_mail_stays_in_the_mailbox(tmp_path: Any) -> None:
    from tests.conftest import make_test_settings
    from ticketdesk.app import create_app

    dead = create_app(make_test_settings(tmp_path, f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite3'}"))
    with LocalImap() as imap:
        imap.box.add(mail("jana@acme.test", "Keep me"))
        result = poll_once(dead, imap.url, done_folder="Processed")
        assert (result.stored, result.failed) == (0, 1)
        [kept] = imap.box.folders["INBOX"]
        assert STORED_FLAG.decode() not in kept.flags and imap.box.folders["Processed"] == []


def test_imap_poll_cli_needs_a_url(tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "ticketdesk", "imap-poll", "--once"],
        capture_output=True,
        text=True,
        env={**os.environ, "TICKETDESK_INSTANCE_PATH": str(tmp_path)},
        timeout=60,
    )
    assert (
        result.returncode != 0 and "TICKETDESK_IMAP_URL" in result.stderr and "Traceback" not in result.stderr
    )
