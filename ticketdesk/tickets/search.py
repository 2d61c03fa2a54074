"""Finding tickets for the agent workspace: full-text search and the queue page's keyset listing.

The search index is one row per ticket in ``ticket_search`` (number, subject, requester/organisation and
every message's text), written in the same transaction as the change (noted after every flush and written
once per ticket just before COMMIT, so every writer — intake, API, portal, workspace — keeps it current
without knowing about it; a search inside that transaction does not see it yet). The text is stored
folded (lower case, no diacritics, punctuation as spaces) so "výpadek" finds "VYPADEK" and an address
finds its parts, the same on both databases:

- SQLite: an FTS5 table over ``ticket_search`` (external content, kept in step by triggers);
- PostgreSQL: a GIN index on ``to_tsvector('simple', …)`` of the same columns.

Words of a query must all match; each word also matches as a prefix ("serv" finds "servers").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    event,
    func,
    insert,
    inspect,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from ticketdesk.extensions import db
from ticketdesk.tickets.models import PRIORITY_RANK, Message, Queue, Ticket
from ticketdesk.tickets.queries import TicketFilter
from ticketdesk.tickets.states import OPEN_STATUSES

ticket_search = Table(
    "ticket_search",
    db.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False),
    Column("number", String(20), nullable=False, default=""),
    Column("subject", Text, nullable=False, default=""),
    Column("people", Text, nullable=False, default=""),
    Column("body", Text, nullable=False, default=""),
    Column("messages", Integer, nullable=False, default=0),
)

FTS_TABLE = "ticket_search_fts"  # SQLite FTS5 (with its shadow tables ticket_search_fts_*)
PG_DOCUMENT = "to_tsvector('simple', number || ' ' || subject || ' ' || people || ' ' || body)"

MESSAGE_CHARS = 20_000  # of each message, indexed
BODY_CHARS = 200_000  # of all messages of a ticket, indexed
MAX_QUERY_WORDS = 12
OPEN = tuple(s.value for s in OPEN_STATUSES)

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def fold(value: str | None) -> str:
    """Lower case, without diacritics, punctuation turned into spaces."""
    if not value:
        return ""
    if value.isascii():  # nothing to decompose (most mail): the same result, several times faster
        return _NON_WORD.sub(" ", value.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


def query_words(query: str) -> list[str]:
    return [w for w in fold(query).split() if w][:MAX_QUERY_WORDS]


# --- keeping the index current ----------------------------------------------------------------


def _people(ticket: Ticket) -> str:
    parts: list[str] = []
    requester = ticket.requester
    if requester is not None:
        parts.append(requester.name or "")
        parts.extend(e.address for e in requester.emails)
    organization = ticket.organization
    if organization is not None:
        parts += [organization.name or "", organization.client_number or ""]
    return fold(" ".join(parts))


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@dataclass
class _Pending:
    """What one transaction changed about one ticket's index row (written once, just before COMMIT)."""

    new: bool = False
    header: bool = False
    texts: list[str] = field(default_factory=list)


def _pending(session: Session) -> dict[int, _Pending]:
    return session.info.setdefault("ticket_search.pending", {})


def note_new_ticket(session: Session, ticket_id: int) -> None:
    """Index a ticket written in this transaction (the flush tells this itself; rows written with
    ``db.rows.insert_loaded`` bypass the flush, so their writer does)."""
    _pending(session).setdefault(ticket_id, _Pending()).new = True


def note_new_message(session: Session, msg: Message) -> None:
    """Add a message written in this transaction to its ticket's index row (see ``note_new_ticket``)."""
    text = fold(" ".join([msg.from_name or "", msg.from_addr or "", (msg.text or "")[:MESSAGE_CHARS]]))
    _pending(session).setdefault(msg.ticket_id, _Pending()).texts.append(text)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    """Remember what to index; a new ticket goes through several flushes (number, first message) and
    FTS5 re-tokenises a row on every write, so the row is written once per transaction instead."""
    for obj in session.new:
        if isinstance(obj, Ticket):
            note_new_ticket(session, obj.id)
        elif isinstance(obj, Message):
            note_new_message(session, obj)
    for obj in session.dirty:
        if isinstance(obj, Ticket) and _changed(obj, "number", "subject", "requester_id", "organization_id"):
            _pending(session).setdefault(obj.id, _Pending()).header = True


@event.listens_for(Session, "before_commit")
def _write_index(session: Session) -> None:
    session.flush()
    pending = session.info.pop("ticket_search.pending", None)
    if not pending:
        return
    conn = session.connection()
    for ticket_id in sorted(pending):
        item = pending[ticket_id]
        values: dict[str, Any] = {}
        if item.new or item.header:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                continue  # deleted in this transaction
            values.update(_header(ticket))
        body = "".join(" " + text for text in item.texts)
        if item.new:
            conn.execute(
                _INSERT_ROW,
                {**values, "ticket_id": ticket_id, "body": body[:BODY_CHARS], "messages": len(item.texts)},
            )
            continue
        if item.texts and not values:  # the usual reply: one prepared statement
            conn.execute(_APPEND_TEXT, {"ticket_id_": ticket_id, "text": body, "count": len(item.texts)})
            continue
        if item.texts:
            values.update(
                body=func.substr(ticket_search.c.body + body, 1, BODY_CHARS),
                messages=ticket_search.c.messages + len(item.texts),
            )
        if values:
            conn.execute(update(ticket_search).where(ticket_search.c.ticket_id == ticket_id).values(**values))


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # committed (written above) or rolled back: nothing left to write
        session.info.pop("ticket_search.pending", None)


_APPEND_TEXT = (
    update(ticket_search)
    .where(ticket_search.c.ticket_id == bindparam("ticket_id_"))
    .values(
        body=func.substr(ticket_search.c.body + bindparam("text", type_=Text), 1, BODY_CHARS),
        messages=ticket_search.c.messages + bindparam("count", type_=Integer),
    )
)


def _header(ticket: Ticket) -> dict[str, str]:
    return {"number": str(ticket.number or ""), "subject": fold(ticket.subject), "people": _people(ticket)}


_INSERT_ROW = insert(ticket_search).values(
    ticket_id=bindparam("ticket_id"),
    number=bindparam("number"),
    subject=bindparam("subject"),
    people=bindparam("people"),
    body=bindparam("body"),
    messages=bindparam("messages"),
)


def rebuild(session: Session, *, batch: int = 500) -> int:
    """Index every ticket from scratch (after a bulk import, or to repair); returns the count."""
    session.execute(ticket_search.delete())
    count, last = 0, 0
    while True:
        tickets = list(
            session.scalars(select(Ticket).where(Ticket.id > last).order_by(Ticket.id).limit(batch))
        )
        if not tickets:
            break
        ids = [t.id for t in tickets]
        bodies: dict[int, list[str]] = {i: [] for i in ids}
        for ticket_id, name, addr, body in session.execute(
            select(Message.ticket_id, Message.from_name, Message.from_addr, Message.text)
            .where(Message.ticket_id.in_(ids))
            .order_by(Message.id)
        ):
            bodies[ticket_id].append(fold(f"{name or ''} {addr or ''} {(body or '')[:MESSAGE_CHARS]}"))
        session.execute(
            insert(ticket_search),
            [
                {
                    "ticket_id": t.id,
                    "number": str(t.number or ""),
                    "subject": fold(t.subject),
                    "people": _people(t),
                    "body": "".join(" " + part for part in bodies[t.id])[:BODY_CHARS],
                    "messages": len(bodies[t.id]),
                }
                for t in tickets
            ],
        )
        count += len(tickets)
        last = ids[-1]
    return count


# --- searching ------------------------------------------------------------------------------------


def matching_ids(session: Session, query: str) -> Select[Any] | None:
    """A sub-select of the ids of tickets matching every word of ``query`` (None: nothing to search)."""
    words = query_words(query)
    if not words:
        return None
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        return select(ticket_search.c.ticket_id).where(
            literal_column(PG_DOCUMENT).op("@@")(func.to_tsquery(literal_column("'simple'"), tsquery))
        )
    match = " ".join(f'"{w}"*' for w in words)
    return (
        select(literal_column("rowid"))
        .select_from(text(FTS_TABLE))
        .where(literal_column(FTS_TABLE).op("MATCH")(match))
    )


@dataclass(frozen=True)
class QueueQuery:
    filter: TicketFilter
    text: str = ""


Cursor = tuple[int, bool, str | None, int]

# Covers every filter and the sort of the queue page, so both the page of ids and the counts per queue
# are read from the index alone (no table rows touched until the 50 tickets shown are loaded).
WORKSPACE_INDEX = Index(
    "ix_tickets_workspace",
    Ticket.status,
    Ticket.priority_rank,
    Ticket.first_response_due,
    Ticket.id,
    Ticket.queue_id,
    Ticket.claimed_by_id,
    Ticket.organization_id,
)


def _unclaimed() -> Any:
    # coalesce(): the same rows as IS NULL, but planners read it from the covering index instead of
    # walking the (mostly NULL) claimed_by_id index.
    return func.coalesce(Ticket.claimed_by_id, 0) == 0


def _where(session: Session, stmt: Select[Any], f: TicketFilter) -> Select[Any]:
    stmt = stmt.where(Ticket.status.in_(f.status or list(OPEN)))
    if f.queue:
        queue_id = session.scalar(select(Queue.id).where(Queue.slug == f.queue))
        stmt = stmt.where(Ticket.queue_id == (queue_id if queue_id is not None else -1))
    if f.priority:
        stmt = stmt.where(Ticket.priority_rank.in_([PRIORITY_RANK[p] for p in f.priority]))
    if f.organization_id is not None:
        stmt = stmt.where(Ticket.organization_id == f.organization_id)
    if f.claimed_by_id is not None:
        stmt = stmt.where(Ticket.claimed_by_id == f.claimed_by_id)
    if f.unclaimed:
        stmt = stmt.where(_unclaimed())
    if f.assignee_id is not None:
        stmt = stmt.where(Ticket.assignee_id == f.assignee_id)
    return stmt


def list_queue(
    session: Session, q: QueueQuery, *, after: Cursor | None, limit: int
) -> tuple[list[Ticket], Cursor | None]:
    """Tickets by priority, then the nearest SLA due time (none last), then age; keyset-paginated.

    Two steps: the page's ids from the index (filters, search, order, keyset), then those tickets.
    """
    f = q.filter.validate()
    stmt = _where(session, select(Ticket.id), f)
    ids_matching = matching_ids(session, q.text) if q.text else None
    if ids_matching is not None:
        stmt = stmt.where(Ticket.id.in_(ids_matching))
    due = Ticket.first_response_due
    if after is not None:
        rank, has_due, due_at, last_id = after
        if has_due and due_at:
            when = datetime.fromisoformat(due_at)
            same_rank = or_(due.is_(None), due > when, and_(due == when, Ticket.id > last_id))
        else:
            same_rank = and_(due.is_(None), Ticket.id > last_id)
        stmt = stmt.where(or_(Ticket.priority_rank > rank, and_(Ticket.priority_rank == rank, same_rank)))
    stmt = stmt.order_by(Ticket.priority_rank, due.is_(None), due, Ticket.id).limit(limit + 1)
    ids = list(session.scalars(stmt))
    more = len(ids) > limit
    ids = ids[:limit]
    by_id = (
        {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids))).unique()} if ids else {}
    )
    rows = [by_id[i] for i in ids if i in by_id]
    if not more or not rows:
        return rows, None
    last = rows[-1]
    due_at = last.first_response_due.isoformat() if last.first_response_due else None
    return rows, (last.priority_rank, last.first_response_due is not None, due_at, last.id)


@dataclass(frozen=True)
class QueueCount:
    queue_id: int
    open: int
    unclaimed: int
    mine: int
    urgent: int


def queue_counts(session: Session, *, agent_id: int) -> dict[int, QueueCount]:
    """Open tickets per queue (and unclaimed, mine, urgent), in one GROUP BY read from the index."""

    def flag(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    stmt = (
        select(
            Ticket.queue_id,
            func.count(),
            flag(_unclaimed()),
            flag(Ticket.claimed_by_id == agent_id),
            flag(Ticket.priority_rank == PRIORITY_RANK["urgent"]),
        )
        .where(Ticket.status.in_(OPEN))
        .group_by(Ticket.queue_id)
    )
    return {
        row[0]: QueueCount(row[0], row[1], int(row[2]), int(row[3]), int(row[4]))
        for row in session.execute(stmt)
    }
