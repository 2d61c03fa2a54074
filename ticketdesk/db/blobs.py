"""Content-addressed bytes: stored once by SHA-256."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketdesk.intake.models import Blob


def store_blob(session: Session, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    if session.scalar(select(Blob.sha256).where(Blob.sha256 == digest)) is None:
        session.add(Blob(sha256=digest, size=len(data), data=data))
        session.flush()
    return digest


def load_blob(session: Session, digest: str) -> bytes | None:
    return session.scalar(select(Blob.data).where(Blob.sha256 == digest))
