"""Writes to tickets: every change locks the row, applies the lifecycle, records an event, enqueues its
effects (mail, SMS) in the same transaction and publishes live events after commit.

The caller owns the transaction (one per request or job) and commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ticketdesk.accounts.models import Agent
from ticketdesk.admin.store import reopen_window
from ticketdesk.contacts.models import Contact, Organization
from ticketdesk.db.rows import insert_loaded
from ticketdesk.errors import Conflict, NotFound, ValidationFailed
from ticketdesk.realtime.publish import publish, ticket_rooms
from ticketdesk.tickets import effects, search
from ticketdesk.tickets.history import ActorRef, record
from ticketdesk.tickets.models import NUMBER_OFFSET, PRIORITY_RANK, Message, Queue, Ticket, TicketCC
from ticketdesk.tickets.serialize import agent_ref, iso, message_dict, ticket_summary
from ticketdesk.tickets.states import Actor, Status, TicketState, client_reply_target, parse_status, plan

PRIORITIES = tuple(PRIORITY_RANK)
_SET_NUMBER = (
    update(Ticket.__table__)  # type: ignore[arg-type]
    .where(Ticket.__table__.c.id == bindparam("ticket_id"))
    .values(number=bindparam("number"))
)


@dataclass
class NewMessage:
    """What a new message carries, whatever channel it came by."""

    text: str
    direction: str = "in"
    channel: str = "email"
    subject: str = ""
    html: str | None = None
    quoted_text: str | None = None
    from_addr: str = ""
    from_name: str = ""
    to_addrs: list[str] = field(default_factory=list)
    cc_addrs: list[str] = field(default_factory=list)
    message_id_header: str | None = None
    in_reply_to: str | None = None
    references: list[str] | None = None
    raw_message_id: int | None = None
    auth: dict[str, Any] | None = None
    requires_action: bool = False


def state_of(ticket: Ticket) -> TicketState:
    return TicketState(ticket.status, ticket.resolved_at, bool(ticket.claimed_by_id or ticket.assignee_id))


def get_for_update(session: Session, number: int) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.number == number).with_for_update(of=Ticket))
    if ticket is None:
        raise NotFound(f"ticket {number} not found")
    return ticket


_COLUMNS = tuple(c.key for c in Ticket.__mapper__.column_attrs)


def lock(session: Session, ticket: Ticket) -> Ticket:
    """Lock the row of a ticket found earlier in this transaction and read its columns again (another
    transaction may have changed it before the lock); one SELECT … FOR UPDATE, its relationships kept.

    On SQLite every transaction holds the database's write lock from its first statement (BEGIN
    IMMEDIATE, see ``app.py``): what it read is current and stays so, there is nothing to lock or re-read."""
    if session.get_bind().dialect.name != "sqlite":
        session.refresh(ticket, attribute_names=_COLUMNS, with_for_update=True)
    return ticket


def _touch(ticket: Ticket, now: datetime) -> None:
    ticket.updated_at = now
    ticket.version = (ticket.version or 0) + 1


def _updated(
    session: Session, ticket: Ticket, changes: dict[str, Any], *, client_visible: bool = True
) -> None:
    publish(
        session,
        "ticket.updated",
        {
            "number": ticket.number,
            "changes": changes,
            "version": ticket.version,
            "updated_at": iso(ticket.updated_at),
        },
        ticket_rooms(
            number=ticket.number,
            queue_slug=ticket.queue.slug,
            organization_id=ticket.organization_id,
            client_visible=client_visible,
        ),
    )


def create_ticket(
    session: Session,
    *,
    organization: Organization,
    requester: Contact | None,
    queue: Queue,
    subject: str,
    message: NewMessage,
    actor: ActorRef,
    now: datetime,
    cc: list[str] | None = None,
    priority: str | None = None,
    previous_ticket_id: int | None = None,
    legacy_reference: str | None = None,
    acknowledge: bool = True,
) -> tuple[Ticket, Message]:
    """Open a ticket with its first message; priority, SLA, routing and acknowledgement follow."""
    subject = (subject or "").strip() or "(no subject)"
    ticket = Ticket(
        subject=subject[:500],
        organization=organization,
        organization_id=organization.id,  # read by the SLA policy before the first flush
        requester=requester,
        queue=queue,
        status=Status.QUEUED,
        channel=message.channel,
        created_at=now,
        updated_at=now,
        previous_ticket_id=previous_ticket_id,
        legacy_reference=(legacy_reference or "")[:500] or None,
        cc=[],  # known to be empty: reading it later costs no query
        claimed_by=None,
        assignee=None,
    )
    # priority and due times go into the INSERT (not an UPDATE right after it)
    effects.before_created(session, ticket, message.text, now=now, manual_priority=priority)
    insert_loaded(session, ticket)  # written now, no flush; the number follows from the id
    number = NUMBER_OFFSET + ticket.id
    session.execute(_SET_NUMBER, {"ticket_id": ticket.id, "number": number})
    set_committed_value(ticket, "number", number)
    search.note_new_ticket(session, ticket.id)
    for address in cc or []:
        _add_cc_row(ticket, address, actor.label)
    first = _add_message(session, ticket, message, actor=actor, now=now)
    record(
        session,
        ticket,
        actor,
        "ticket.created",
        now=now,
        after={"status": ticket.status, "queue": queue.slug, "channel": ticket.channel},
    )
    effects.on_created(session, ticket, first, now=now, acknowledge=acknowledge)
    session.flush()
    publish(
        session,
        "ticket.created",
        ticket_summary(ticket),
        ticket_rooms(number=ticket.number, queue_slug=queue.slug, organization_id=organization.id),
    )
    return ticket, first


def _add_message(
    session: Session, ticket: Ticket, data: NewMessage, *, actor: ActorRef, now: datetime
) -> Message:
    msg = Message(
        ticket_id=ticket.id,
        direction=data.direction,
        channel=data.channel,
        from_addr=data.from_addr,
        from_name=data.from_name,
        to_addrs=data.to_addrs,
        cc_addrs=data.cc_addrs,
        subject=(data.subject or ticket.subject)[:500],
        text=data.text,
        html=data.html,
        quoted_text=data.quoted_text,
        message_id_header=data.message_id_header,
        in_reply_to=data.in_reply_to,
        references=data.references,
        raw_message_id=data.raw_message_id,
        auth=data.auth,
        requires_action=data.requires_action,
        created_at=now,
        author_agent_id=actor.id if actor.type == "agent" else None,
        author_contact_id=actor.id if actor.type == "client" else None,
        attachments=[],  # a new message has none yet: serialising it costs no query
    )
    insert_loaded(session, msg)
    search.note_new_message(session, msg)
    visible = data.direction != "note"
    publish(
        session,
        "message.created",
        {"number": ticket.number, "message": message_dict(msg, ticket.number)},
        ticket_rooms(
            number=ticket.number,
            queue_slug=ticket.queue.slug,
            organization_id=ticket.organization_id,
            client_visible=visible,
        ),
    )
    return msg


def change_status(
    session: Session,
    ticket: Ticket,
    target: str,
    actor: ActorRef,
    *,
    now: datetime,
    scheduled_for: datetime | None = None,
    detail: str = "",
) -> Ticket:
    goal = parse_status(target)
    if goal is Status.SCHEDULED:
        if scheduled_for is None:
            raise ValidationFailed("a scheduled ticket needs a date (scheduled_for)")
        if scheduled_for <= now:
            raise ValidationFailed("scheduled_for must be in the future")
    move = plan(state_of(ticket), goal, actor.type, now=now, reopen_window=reopen_window(session))
    before = {"status": ticket.status}
    ticket.status = move.target
    if goal is Status.SCHEDULED:
        ticket.scheduled_for = scheduled_for
    effects.apply_status_effects(session, ticket, move, now=now, actor=actor)
    _touch(ticket, now)
    after: dict[str, Any] = {"status": ticket.status}
    if goal is Status.SCHEDULED:
        after["scheduled_for"] = iso(scheduled_for)
    record(session, ticket, actor, move.event, now=now, before=before, after=after, detail=detail)
    _updated(session, ticket, after)
    return ticket


def add_agent_message(
    session: Session,
    ticket: Ticket,
    agent: Agent,
    *,
    kind: str,
    text: str,
    now: datetime,
    requires_action: bool = False,
    html: str | None = None,
    sms_recipients: str | None = None,
) -> Message:
    """An agent's reply (mailed to the requester and CC) or internal note (never shown to the client)."""
    if kind not in ("reply", "note"):
        raise ValidationFailed("kind must be 'reply' or 'note'")
    if not text or not text.strip():
        raise ValidationFailed("text must not be empty")
    if kind == "reply" and ticket.status == Status.CLOSED:
        raise Conflict("the ticket is closed", code="ticket_closed")
    actor = ActorRef.agent(agent)
    direction = "out" if kind == "reply" else "note"
    msg = _add_message(
        session,
        ticket,
        NewMessage(
            text=text.strip(),
            html=html,
            direction=direction,
            channel="web",
            subject=ticket.subject,
            requires_action=requires_action and kind == "reply",
            from_addr=agent.email,
            from_name=agent.name,
        ),
        actor=actor,
        now=now,
    )
    record(
        session,
        ticket,
        actor,
        "message.reply" if kind == "reply" else "message.note",
        now=now,
        after={"message_id": msg.id, "requires_action": msg.requires_action},
        client_visible=kind == "reply",
    )
    if kind == "reply":
        effects.on_agent_reply(session, ticket, msg, agent, now=now, sms_recipients=sms_recipients)
    _touch(ticket, now)
    _updated(
        session, ticket, {"last_message": msg.id}, client_visible=kind == "reply"
    )  # a note stays internal
    return msg


def add_client_message(
    session: Session,
    ticket: Ticket,
    contact: Contact | None,
    data: NewMessage,
    *,
    now: datetime,
    actor: ActorRef | None = None,
) -> Message:
    """A client's reply: appended, and it takes a waiting or resolved (in-window) ticket back to work.

    Raises ReopenWindowPassed for a closed ticket or one resolved before the window; the caller answers
    "please open a new ticket" instead.
    """
    actor = actor or (ActorRef.client(contact) if contact else ActorRef("client", None, data.from_addr))
    target = client_reply_target(state_of(ticket), now=now, reopen_window=reopen_window(session))
    msg = _add_message(session, ticket, data, actor=actor, now=now)
    record(session, ticket, actor, "message.client", now=now, after={"message_id": msg.id})
    if target is not None:
        move = plan(state_of(ticket), target, Actor.CLIENT, now=now, reopen_window=reopen_window(session))
        before = {"status": ticket.status}
        ticket.status = move.target
        effects.apply_status_effects(session, ticket, move, now=now, actor=actor)
        record(session, ticket, actor, move.event, now=now, before=before, after={"status": ticket.status})
    effects.on_client_message(session, ticket, msg, now=now)
    _touch(ticket, now)
    _updated(session, ticket, {"status": ticket.status, "last_message": msg.id})
    return msg


def set_priority(
    session: Session,
    ticket: Ticket,
    priority: str,
    actor: ActorRef,
    *,
    now: datetime,
    reasons: list[dict[str, Any]] | None = None,
    source: str = "manual",
) -> Ticket:
    if priority not in PRIORITY_RANK:
        raise ValidationFailed(f"priority must be one of {', '.join(PRIORITIES)}")
    before = {"priority": ticket.priority, "priority_source": ticket.priority_source}
    ticket.priority, ticket.priority_rank, ticket.priority_source = priority, PRIORITY_RANK[priority], source
    if reasons is not None:
        ticket.priority_reasons = reasons
    effects.on_priority_changed(session, ticket, now=now)
    _touch(ticket, now)
    after = {"priority": priority, "priority_source": source}
    record(session, ticket, actor, "priority.changed", now=now, before=before, after=after)
    _updated(session, ticket, after)
    return ticket


def claim(session: Session, number: int, agent: Agent, *, now: datetime) -> Ticket:
    """Atomically claim a non-urgent ticket: exactly one of two racing agents wins."""
    result = session.execute(
        update(Ticket)
        .where(
            Ticket.number == number,
            Ticket.claimed_by_id.is_(None),
            Ticket.priority != "urgent",
            Ticket.status.not_in([Status.CLOSED, Status.RESOLVED]),
        )
        .values(claimed_by_id=agent.id, claimed_at=now, updated_at=now, version=Ticket.version + 1)
        .execution_options(synchronize_session=False)
    )
    ticket = session.scalar(
        select(Ticket).where(Ticket.number == number).execution_options(populate_existing=True)
    )
    if ticket is None:
        raise NotFound(f"ticket {number} not found")
    if result.rowcount != 1:
        if ticket.claimed_by_id == agent.id:
            return ticket
        if ticket.priority == "urgent":
            raise Conflict(
                "urgent tickets cannot be claimed; they stay in the shared queue", code="urgent_ticket"
            )
        if ticket.claimed_by_id is not None:
            raise Conflict(
                f"already claimed by {ticket.claimed_by.name}",
                code="already_claimed",
                details={"claimed_by": agent_ref(ticket.claimed_by)},
            )
        raise Conflict(f"a {ticket.status} ticket cannot be claimed", code="not_claimable")
    actor = ActorRef.agent(agent)
    record(session, ticket, actor, "claim.taken", now=now, after={"claimed_by": agent_ref(agent)})
    effects.on_claimed(session, ticket, agent, now=now)
    _updated(session, ticket, {"claimed_by": agent_ref(agent)})
    return ticket


def release(
    session: Session,
    ticket: Ticket,
    actor: ActorRef,
    *,
    now: datetime,
    reason: str = "",
    by_admin: bool = False,
) -> Ticket:
    if ticket.claimed_by_id is None:
        raise Conflict("the ticket is not claimed", code="not_claimed")
    if actor.type == "agent" and actor.id != ticket.claimed_by_id and not by_admin:
        raise Conflict("only the holder or an admin can release a claim", code="not_holder")
    before = {"claimed_by": agent_ref(ticket.claimed_by)}
    ticket.claimed_by_id, ticket.claimed_at = None, None
    ticket.claimed_by = None
    if actor.type == "client" and ticket.status == Status.IN_PROGRESS:
        ticket.status = Status.QUEUED
    _touch(ticket, now)
    kind = "claim.refused" if actor.type == "client" else "claim.released"
    record(session, ticket, actor, kind, now=now, before=before, after={"claimed_by": None}, detail=reason)
    _updated(session, ticket, {"claimed_by": None, "status": ticket.status})
    return ticket


def _add_cc_row(ticket: Ticket, address: str, by: str) -> TicketCC | None:
    address = address.strip().lower()
    if "@" not in address or any(c.email == address for c in ticket.cc):
        return None
    row = TicketCC(email=address, added_by=by)
    ticket.cc.append(row)
    return row


def add_cc(session: Session, ticket: Ticket, address: str, actor: ActorRef, *, now: datetime) -> Ticket:
    address = (address or "").strip().lower()
    if "@" not in address or len(address) > 320 or " " in address:
        raise ValidationFailed(f"{address!r} is not an e-mail address")
    if effects.is_support_address(address):
        raise ValidationFailed("a support address cannot be in copy")
    if _add_cc_row(ticket, address, actor.label) is None:
        return ticket
    _touch(ticket, now)
    record(session, ticket, actor, "cc.added", now=now, after={"email": address})
    _updated(session, ticket, {"cc": [c.email for c in ticket.cc]})
    return ticket


def remove_cc(session: Session, ticket: Ticket, address: str, actor: ActorRef, *, now: datetime) -> Ticket:
    address = (address or "").strip().lower()
    row = next((c for c in ticket.cc if c.email == address), None)
    if row is None:
        raise NotFound(f"{address} is not in copy")
    ticket.cc.remove(row)
    _touch(ticket, now)
    record(session, ticket, actor, "cc.removed", now=now, before={"email": address})
    effects.on_cc_removed(session, ticket, address, now=now)
    _updated(session, ticket, {"cc": [c.email for c in ticket.cc]})
    return ticket
