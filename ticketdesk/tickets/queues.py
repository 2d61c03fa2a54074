"""Queues and the support addresses bound to them (synchronised from TICKETDESK_SUPPORT_ADDRESSES)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, make_transient_to_detached

from ticketdesk.errors import ValidationFailed
from ticketdesk.tickets.models import Queue, QueueAddress


def ensure_queues(session: Session, support_addresses: dict[str, str]) -> list[Queue]:
    """Create the queues and addresses the configuration names (never deletes what admins added)."""
    queues: dict[str, Queue] = {q.slug: q for q in session.scalars(select(Queue))}
    known = {a.address for a in session.scalars(select(QueueAddress))}
    for address, slug in support_addresses.items():
        queue = queues.get(slug)
        if queue is None:
            queue = Queue(slug=slug, name=slug.replace("-", " ").replace("_", " ").title())
            session.add(queue)
            queues[slug] = queue
        if address not in known:
            queue.addresses.append(QueueAddress(address=address))
            known.add(address)
    session.flush()
    from ticketdesk.admin.store import clear_cache

    clear_cache()
    return list(queues.values())


def queue_by_slug(session: Session, slug: str) -> Queue:
    queue = session.scalar(select(Queue).where(Queue.slug == slug))
    if queue is None:
        names = ", ".join(session.scalars(select(Queue.slug).order_by(Queue.slug)))
        raise ValidationFailed(f"unknown queue {slug!r}; known queues: {names}", code="unknown_queue")
    return queue


def _addresses(session: Session) -> list[tuple[str, int]]:
    """(support address, queue id), oldest first: read once and kept a few seconds (looked up for every
    message and every mail)."""
    from ticketdesk.admin.store import cached

    return cached(
        "queue_addresses",
        lambda: [
            (a, q)
            for a, q in session.execute(
                select(QueueAddress.address, QueueAddress.queue_id).order_by(QueueAddress.id)
            )
        ],
    )


def address_map(session: Session) -> dict[str, int]:
    """Support address → queue id (kept with the addresses, not rebuilt for every message)."""
    from ticketdesk.admin.store import cached

    return cached("queue_address_map", lambda: dict(_addresses(session)))


def first_address(session: Session, queue_id: int) -> str | None:
    """The queue's first support address (its sender address)."""
    return next((a for a, q in _addresses(session) if q == queue_id), None)


def queue_for_address(session: Session, address: str) -> Queue | None:
    address = address.strip().lower()
    local, _, domain = address.partition("@")
    known = address_map(session)
    queue_id = known.get(address) or known.get(f"{local.split('+', 1)[0]}@{domain}")
    if queue_id is None:
        return None
    return _queue(session, queue_id)


def _queue(session: Session, queue_id: int) -> Queue:
    """The queue, put into the session from its columns kept a few seconds (like the address map it is
    found by; an admin's change clears them) instead of a SELECT per message. Its addresses are read
    from the cache (first_address) when a mail needs them."""
    from ticketdesk.admin.store import cached

    values = cached("intake.queue_rows", lambda: _queue_rows(session)).get(queue_id)
    if values is None:  # added within the last seconds
        return session.get(Queue, queue_id, options=[lazyload(Queue.addresses)])  # type: ignore[return-value]
    queue = Queue(**values)
    make_transient_to_detached(queue)
    return session.merge(queue, load=False)


def _queue_rows(session: Session) -> dict[int, dict[str, Any]]:
    return {row["id"]: dict(row) for row in session.execute(select(Queue.__table__)).mappings()}


def default_queue(session: Session) -> Queue:
    queue = session.scalar(select(Queue).order_by(Queue.id).limit(1))
    if queue is None:
        raise ValidationFailed("no queue is configured (TICKETDESK_SUPPORT_ADDRESSES)")
    return queue
