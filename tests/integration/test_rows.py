"""``db.rows``: rows written without the unit of work behave like flushed ones, also on rollback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select

from ticketdesk.db.rows import insert_loaded, update_loaded
from ticketdesk.extensions import db
from ticketdesk.intake.models import AutoReplyLog
from ticketdesk.jobs.models import Job

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_inserted_row_is_loaded_with_python_defaults(app: Any) -> None:
    job = insert_loaded(db.session, Job(kind="test.kind", run_at=NOW))
    state = inspect(job)
    assert state.persistent and not state.modified and not state.expired_attributes
    assert job.id and job.payload == {} and job.status == "pending" and job.max_attempts == 8
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Job, job.id)
    assert stored is not None and (stored.kind, stored.status, stored.run_at) == ("test.kind", "pending", NOW)


def test_rollback_forgets_an_inserted_row(app: Any) -> None:
    log = insert_loaded(db.session, AutoReplyLog(address="a@example.test", kind="ack", sent_at=NOW))
    db.session.rollback()
    assert inspect(log).transient  # as for a flushed object: nothing stale stays in the session
    again = insert_loaded(db.session, AutoReplyLog(address="b@example.test", kind="ack", sent_at=NOW))
    db.session.commit()  # the same id may be given again: no clash with the forgotten object
    assert (
        db.session.scalar(select(AutoReplyLog.address).where(AutoReplyLog.id == again.id)) == "b@example.test"
    )


def test_savepoint_rollback_undoes_an_update_without_flush(app: Any) -> None:
    job = insert_loaded(db.session, Job(kind="test.kind", run_at=NOW))
    db.session.commit()
    assert job.status == "pending"  # loaded again after the commit
    savepoint = db.session.begin_nested()
    update_loaded(db.session, job, {"status": "done"})
    assert job.status == "done" and not inspect(job).modified
    savepoint.rollback()
    assert job.status == "pending"  # expired by the rollback and read again


def test_update_of_an_object_with_pending_changes_is_left_to_the_flush(app: Any) -> None:
    job = insert_loaded(db.session, Job(kind="test.kind", run_at=NOW))
    job.attempts = 2
    update_loaded(db.session, job, {"status": "running"})
    db.session.commit()
    db.session.expire_all()
    assert (job.attempts, job.status) == (2, "running")
