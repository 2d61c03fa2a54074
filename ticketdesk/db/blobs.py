"""Content-addressed bytes: stored once by SHA-256."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.db.rows import insert_ignoring
from ticketdesk.intake.models import Blob
from ticketdesk.ports.clock import utcnow


def store_blob(session: Session, data: bytes) -> str:
    """Store ``data`` once (one INSERT … ON CONFLICT DO NOTHING); returns its SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    insert_ignoring(
        session,
        Blob.__table__,  # type: ignore[arg-type]
        {"sha256": digest, "size": len(data), "data": data, "created_at": utcnow()},
        conflict=("sha256",),
    )
    return digest


def load_blob(session: Session, digest: str) -> bytes | None:
    return session.scalar(select(Blob.data).where(Blob.sha256 == digest))
