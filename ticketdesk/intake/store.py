"""Step one of intake: keep the raw bytes and commit, before any parsing.

The dedupe key is the Message-ID (a hash of the bytes when there is none), so the same message
delivered twice is processed once; the second delivery is still recorded (disposition ``duplicate``).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, make_transient_to_detached

from ticketdesk.db.blobs import store_blob
from ticketdesk.db.rows import insert_ignoring
from ticketdesk.intake.models import RawMessage

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.I | re.M)
_ID = re.compile(rb"<([^<>\s]{1,900})>")


class StoreFailed(Exception):
    """The message could not be stored; the sender (MTA) must retry later."""


@dataclass(frozen=True)
class Envelope:
    source: str  # smtp | lmtp | ingest | imap | portal
    mail_from: str | None = None
    rcpt_to: tuple[str, ...] = ()
    peer_ip: str | None = None
    helo: str | None = None
    queue_slug: str | None = None


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID from the header block, found without parsing the message."""
    head = _HEADER_END.split(raw[: 256 * 1024], maxsplit=1)[0]
    found = _MESSAGE_ID.search(head)
    if not found:
        return None
    ident = _ID.search(found.group(1))
    if not ident:
        return None
    return "<" + ident.group(1).decode("ascii", errors="replace").strip() + ">"


def dedupe_key(raw: bytes, message_id: str | None) -> str:
    if message_id:
        return "mid:" + message_id.lower()[:580]
    return "sha:" + hashlib.sha256(raw).hexdigest()


def store_raw(
    session: Session, raw: bytes, envelope: Envelope, *, now: datetime, claim: bool = False
) -> tuple[RawMessage, bool]:
    """Store and COMMIT ``raw``; returns (row, is_new). A duplicate gets its own row marked ``duplicate``.

    ``claim``: the caller processes it right away (stored as ``processing`` with a lease, so the worker's
    sweep takes over only if this process dies).

    One INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING id decides new or duplicate (also between
    concurrent deliveries); the returned row is built from the values written, so nothing is read back."""
    message_id = message_id_of(raw)
    key = dedupe_key(raw, message_id)
    try:
        values: dict[str, Any] = {
            "blob_sha256": store_blob(session, raw),
            "size": len(raw),
            "source": envelope.source,
            "envelope_from": envelope.mail_from,
            "envelope_to": list(envelope.rcpt_to),
            "queue_slug": envelope.queue_slug,
            "peer_ip": envelope.peer_ip,
            "helo": envelope.helo,
            "message_id_header": message_id,
            "dedupe_key": key,
            "subject": "",
            "from_addr": "",
            "status": "processing" if claim else "pending",
            "disposition": None,
            "disposition_detail": "",
            "error": None,
            "attempts": 1 if claim else 0,
            "auth": None,
            "ticket_id": None,
            "received_at": now,
            "processed_at": now if claim else None,
        }
        new_id = insert_ignoring(
            session,
            RawMessage.__table__,  # type: ignore[arg-type]
            values,
            conflict=("dedupe_key",),
            returning="id",
        )
        if new_id is None:
            existing = session.scalar(select(RawMessage).where(RawMessage.dedupe_key == key))
            if existing is None:
                raise StoreFailed("could not store the message (constraint)")
            return _record_duplicate(session, raw, envelope, existing, message_id, now), False
        session.commit()
        return _persistent(session, RawMessage(id=new_id, **values)), True
    except IntegrityError:
        session.rollback()
        raise StoreFailed("could not store the message (constraint)") from None
    except (OperationalError, OSError) as err:
        session.rollback()
        raise StoreFailed(f"could not store the message: {type(err).__name__}") from err


def _persistent(session: Session, row: RawMessage) -> RawMessage:
    """``row`` (every column set, as just committed) joins ``session`` as loaded, without a SELECT."""
    make_transient_to_detached(row)
    session.add(row)
    return row


def _record_duplicate(
    session: Session,
    raw: bytes,
    envelope: Envelope,
    original: RawMessage,
    message_id: str | None,
    now: datetime,
) -> RawMessage:
    row = RawMessage(
        blob_sha256=store_blob(session, raw),
        size=len(raw),
        source=envelope.source,
        envelope_from=envelope.mail_from,
        envelope_to=list(envelope.rcpt_to),
        queue_slug=envelope.queue_slug,
        peer_ip=envelope.peer_ip,
        helo=envelope.helo,
        message_id_header=message_id,
        dedupe_key=f"dup:{uuid.uuid4().hex}",
        status="done",
        disposition="duplicate",
        disposition_detail=f"same message as intake #{original.id}",
        ticket_id=original.ticket_id,
        subject=original.subject,
        from_addr=original.from_addr,
        received_at=now,
        processed_at=now,
    )
    session.add(row)
    session.commit()
    return row
