"""ticket full-text search: ticket_search (+ SQLite FTS5 table / PostgreSQL GIN index); queue-page index

Revision ID: 0004_search
Revises: 0007_sms
Create Date: 2026-11-21

The index rows are written by ticketdesk.tickets.search (after_flush); existing tickets are indexed here.
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_search'
down_revision = '0007_sms'
branch_labels = None
depends_on = None

PG_DOCUMENT = "to_tsvector('simple', number || ' ' || subject || ' ' || people || ' ' || body)"


def upgrade():
    op.create_table(
        'ticket_search',
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('people', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('messages', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_search_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_search')),
    )
    # the queue page: every filter and the urgency order from one covering index
    op.create_index('ix_tickets_workspace', 'tickets', ['status', 'priority_rank', 'first_response_due', 'id',
                                                        'queue_id', 'claimed_by_id', 'organization_id'])
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(f"CREATE INDEX ix_ticket_search_document ON ticket_search USING gin ({PG_DOCUMENT})")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE ticket_search_fts USING fts5(number, subject, people, body, "
            "content='ticket_search', content_rowid='ticket_id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER ticket_search_ai AFTER INSERT ON ticket_search BEGIN "
            "INSERT INTO ticket_search_fts(rowid, number, subject, people, body) "
            "VALUES (new.ticket_id, new.number, new.subject, new.people, new.body); END"
        )
        op.execute(
            "CREATE TRIGGER ticket_search_ad AFTER DELETE ON ticket_search BEGIN "
            "INSERT INTO ticket_search_fts(ticket_search_fts, rowid, number, subject, people, body) "
            "VALUES ('delete', old.ticket_id, old.number, old.subject, old.people, old.body); END"
        )
        op.execute(
            "CREATE TRIGGER ticket_search_au AFTER UPDATE ON ticket_search BEGIN "
            "INSERT INTO ticket_search_fts(ticket_search_fts, rowid, number, subject, people, body) "
            "VALUES ('delete', old.ticket_id, old.number, old.subject, old.people, old.body); "
            "INSERT INTO ticket_search_fts(rowid, number, subject, people, body) "
            "VALUES (new.ticket_id, new.number, new.subject, new.people, new.body); END"
        )
    _backfill(bind)


def _backfill(bind):
    """Index the tickets that exist already (same folding as ticketdesk.tickets.search.fold)."""
    import re
    import unicodedata

    non_word = re.compile(r"[\W_]+", re.UNICODE)

    def fold(value):
        if not value:
            return ""
        stripped = "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))
        return non_word.sub(" ", stripped.casefold()).strip()

    tickets = bind.execute(sa.text(
        "SELECT t.id, t.number, t.subject, c.id, c.name, o.name, o.client_number FROM tickets t "
        "JOIN organizations o ON o.id = t.organization_id LEFT JOIN contacts c ON c.id = t.requester_id"
    )).fetchall()
    if not tickets:
        return
    emails = {}
    for contact_id, address in bind.execute(sa.text("SELECT contact_id, address FROM contact_emails ORDER BY id")):
        emails.setdefault(contact_id, []).append(address)
    bodies = {}
    for ticket_id, name, addr, body in bind.execute(sa.text(
        "SELECT ticket_id, from_name, from_addr, text FROM messages ORDER BY id"
    )):
        bodies.setdefault(ticket_id, []).append(fold(f"{name or ''} {addr or ''} {(body or '')[:20000]}"))
    rows = []
    for ticket_id, number, subject, contact_id, contact, org, client_number in tickets:
        people = " ".join([contact or "", *emails.get(contact_id, []), org or "", client_number or ""])
        parts = bodies.get(ticket_id, [])
        rows.append({"ticket_id": ticket_id, "number": str(number or ""), "subject": fold(subject),
                     "people": fold(people), "body": "".join(" " + p for p in parts)[:200000], "messages": len(parts)})
    table = sa.table("ticket_search", *(sa.column(n) for n in
                                         ("ticket_id", "number", "subject", "people", "body", "messages")))
    op.bulk_insert(table, rows)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_ticket_search_document")
    else:
        for trigger in ("ticket_search_ai", "ticket_search_ad", "ticket_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS ticket_search_fts")
    op.drop_table('ticket_search')
    op.drop_index('ix_tickets_workspace', table_name='tickets')
