"""make bench-intake: N realistic messages through the real intake pipeline (store → parse → match →
decide → apply), on SQLite and on PostgreSQL; prints messages per second and peak memory.

Mix: text+HTML bodies, 20% with an attachment, 30% replies (subject tag) to an earlier ticket of the
sender's organisation, 5% from strangers. Organisations trust our relay here, so the DNS checks (measured
by bench/senderauth.py) are not timed.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import resource
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event  # noqa: E402

from ticketdesk.app import create_app  # noqa: E402
from ticketdesk.extensions import db  # noqa: E402
from ticketdesk.intake.service import receive  # noqa: E402
from ticketdesk.intake.store import Envelope  # noqa: E402
from ticketdesk.paths import migrations_dir  # noqa: E402
from ticketdesk.settings import load_settings  # noqa: E402

WORDS = (
    "server disk network backup database certificate customer invoice restart latency mail queue "
    "storage firewall upgrade memory cluster replica outage monitoring"
).split()


def body(rng: random.Random, sentences: int) -> str:
    return "\n\n".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."
        for _ in range(sentences)
    )


REPLY_TAG = (
    b"[TD#999999]"  # replaced when sent by the number of an earlier ticket of the sender's organisation
)


def message(rng: random.Random, i: int, contacts: list[str]) -> bytes:
    msg = EmailMessage()
    sender = rng.choice(contacts) if rng.random() > 0.05 else f"stranger{i}@nowhere.test"
    msg["From"] = sender
    msg["To"] = "support@support.test"
    subject = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize()
    if rng.random() < 0.3:
        subject = f"Re: {REPLY_TAG.decode()} {subject}"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@client.test>"
    text = body(rng, rng.randint(2, 6))
    msg.set_content(text)
    msg.add_alternative(
        "<html><body>" + "".join(f"<p>{p}</p>" for p in text.split("\n\n")) + "</body></html>", subtype="html"
    )
    if rng.random() < 0.2:
        msg.add_attachment(
            os.urandom(rng.randint(2_000, 40_000)),
            maintype="application",
            subtype="octet-stream",
            filename=f"log-{i}.bin",
        )
    return msg.as_bytes()


def organisation_of(raw: bytes) -> bytes:
    found = re.search(rb"^From: .*@([^>\s]+)", raw, re.M)
    return found.group(1) if found else b""


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run(database_url: str, count: int, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            {
                "TICKETDESK_INSTANCE_PATH": tmp,
                "TICKETDESK_DATABASE_URL": database_url,
                "TICKETDESK_SECRET_KEY": "bench",
                "TICKETDESK_LOG_LEVEL": "ERROR",
                "TICKETDESK_SUPPORT_ADDRESSES": "support@support.test=support",
            }
        )
        app = create_app(settings)
        with app.app_context():
            upgrade(directory=str(migrations_dir()))
            from ticketdesk.contacts.service import create_contact, create_organization
            from ticketdesk.tickets.queues import ensure_queues

            ensure_queues(db.session, settings.support_addresses)
            contacts = []
            for o in range(20):
                org = create_organization(
                    db.session, name=f"Org {o}", client_number=f"B{o}", sender_policy="trust_relay"
                )
                for c in range(5):
                    contacts.append(
                        create_contact(db.session, org, name=f"C{o}.{c}", emails=[f"c{c}@org{o}.test"])
                        .emails[0]
                        .address
                    )
            db.session.commit()
        rng = random.Random(42)
        batch = [message(rng, i, contacts) for i in range(200)]
        tickets: dict[bytes, list[int]] = {}  # organisation domain → its latest ticket numbers
        gc.collect()
        marks = {}
        dispositions: dict[str, int] = {}
        statements: dict[str, int] = {}  # disposition → SQL statements of its messages
        executed = [0]

        def counted(*_args: object) -> None:
            executed[0] += 1

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", counted)
        start = time.perf_counter()
        cpu = time.process_time()
        with app.app_context():
            for i in range(count):
                raw = batch[i % len(batch)] if i >= len(batch) else batch[i]
                if i >= len(batch):  # fresh Message-IDs so nothing is a duplicate
                    raw = raw.replace(b"@client.test>", f".{i}@client.test>".encode(), 1)
                domain = organisation_of(raw)
                if REPLY_TAG in raw and tickets.get(domain):  # else: a reply to an unknown earlier ticket
                    raw = raw.replace(REPLY_TAG, f"[TD#{rng.choice(tickets[domain])}]".encode(), 1)
                before = executed[0]
                outcome = receive(app, raw, Envelope(source="smtp", rcpt_to=("support@support.test",)))
                statements[outcome.disposition] = (
                    statements.get(outcome.disposition, 0) + executed[0] - before
                )
                if outcome.disposition == "ticket" and outcome.ticket_number:
                    tickets.setdefault(domain, []).append(outcome.ticket_number)
                    del tickets[domain][:-20]
                dispositions[outcome.disposition] = dispositions.get(outcome.disposition, 0) + 1
                if i + 1 in (1000, count):
                    marks[i + 1] = rss_mib()
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{label:10} {count:6} messages  {count / elapsed:8.1f} msg/s  {cpu / count * 1000:5.2f} CPU ms/msg  "
            + "  ".join(f"RSS after {k}: {v:.0f} MiB" for k, v in sorted(marks.items()))
            + f"  (process peak {peak_rss:.0f} MiB)  "
            + ", ".join(
                f"{k} {v} ({statements[k] / v:.1f} statements each)" for k, v in sorted(dispositions.items())
            )
        )
        with app.app_context():
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=int(os.environ.get("BENCH_N", "3000")))
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/postgres")
    )
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="run on one database only")
    args = parser.parse_args()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.sqlite3", args.n, "sqlite")
    if args.only == "sqlite":
        return
    try:
        from sqlalchemy import create_engine, text

        name = f"td_bench_{uuid.uuid4().hex[:6]}"
        admin = create_engine(
            args.postgres.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(args.postgres.rsplit("/", 1)[0] + "/" + name, args.n, "postgresql")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except Exception as err:  # no PostgreSQL here: say so, the SQLite figure stands
        print(f"postgresql skipped: {type(err).__name__}: {err}")


if __name__ == "__main__":
    main()
