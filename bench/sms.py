"""SMS throughput: SMS through the worker to the local HTTP gateway, and delivery reports back.

    .venv/bin/python bench/sms.py [--count 10000] [--batch 100] [--clients 4] [--postgres URL | --no-postgres]
                                  [--profile]

For SQLite and PostgreSQL (each a fresh database created here and removed afterwards):

1. ``--count`` SMS are queued (``ticketdesk.sms.service.queue_sms``, as a ticket event would);
2. one worker (``run_pending``, the loop ``ticketdesk worker`` runs) hands them to the local HTTP
   gateway of the tests (``tests/fixtures/smsgateway.py``, generic JSON protocol) -> submissions/s;
3. the gateway's delivery reports come back to ``POST /api/v1/sms/status`` of the app served by a
   separate process (werkzeug, threaded), signed with X-Ticketdesk-Signature, over ``--clients``
   connections: half of them one report per request, half in JSON arrays of ``--batch`` reports
   -> reports/s for each way.

Every SMS must end ``delivered`` with its three history rows (queued, submitted, delivered), or the
run fails. ``--profile`` writes pyinstrument profiles of the worker pass and of the web process (report
ingestion) to ``bench-results/``. PostgreSQL: ``--postgres`` (default
``postgresql://postgres@127.0.0.1/postgres``, the server must allow CREATE DATABASE); it is skipped
with a message when unreachable.

The gateway fixture writes its HTTP headers and body in two writes; with Nagle's algorithm on the
server socket each answer then waits for the client's delayed ACK (~40 ms). Real gateways do not
behave so; the benchmark turns Nagle off on the fixture's sockets (TCP_NODELAY).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402

from tests.fixtures import smsgateway  # noqa: E402
from ticketdesk.ports.sms import sign_webhook  # noqa: E402

SECRET = "bench-sms-webhook-secret"


def _env(instance: Path, database_url: str, gateway_url: str, public_url: str) -> dict[str, str]:
    return {
        "TICKETDESK_INSTANCE_PATH": str(instance),
        "TICKETDESK_DATABASE_URL": database_url,
        "TICKETDESK_SECRET_KEY": "bench-secret-key",
        "TICKETDESK_SMS_GATEWAY_URL": gateway_url,
        "TICKETDESK_SMS_WEBHOOK_SECRET": SECRET,
        "TICKETDESK_PUBLIC_URL": public_url,
        "TICKETDESK_LOG_LEVEL": "WARNING",
        "TICKETDESK_DNS_SERVERS": "127.0.0.1:9",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(env: dict[str, str], port: int, ready: Any, profile_to: str | None = None) -> None:
    """The web process: the app with the same settings, serving the webhook (profiled on request;
    the profile is written when the process is terminated)."""
    import logging
    import signal

    from werkzeug.serving import make_server

    from ticketdesk.app import create_app
    from ticketdesk.settings import load_settings

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(load_settings(env))
    server = make_server("127.0.0.1", port, app, threaded=not profile_to)  # the profiler sees one thread
    if profile_to:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled")
        profiler.start()

        def stop(*_args: Any) -> None:
            profiler.stop()
            Path(profile_to).write_text(profiler.output_text(unicode=True, color=False))
            os._exit(0)

        signal.signal(signal.SIGTERM, stop)
    ready.set()
    server.serve_forever()


@contextmanager
def _postgres_database(admin_url: str) -> Iterator[str | None]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"td_bench_sms_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:  # unreachable or not allowed: say so and skip
        print(f"PostgreSQL skipped: {type(err).__name__}: {str(err).splitlines()[0][:160]}")
        yield None
        return
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _profiled(enabled: bool, name: str) -> Any:
    if not enabled:
        return contextmanager(lambda: (yield))()
    from pyinstrument import Profiler

    @contextmanager
    def run() -> Iterator[None]:
        profiler = Profiler()
        profiler.start()
        try:
            yield
        finally:
            profiler.stop()
            out = Path(__file__).resolve().parents[1] / "bench-results"
            out.mkdir(exist_ok=True)
            (out / f"{name}.txt").write_text(profiler.output_text(unicode=True, color=False))
            print(f"  profile written to {out / (name + '.txt')}")

    return run()


def _post_all(url: str, bodies: list[bytes], clients: int) -> float:
    """POST signed bodies over ``clients`` keep-alive connections; returns the elapsed seconds."""
    chunks = [bodies[i::clients] for i in range(clients)]
    errors: list[str] = []

    def client(items: list[bytes]) -> None:
        with requests.Session() as http:
            for body in items:
                headers = {
                    "Content-Type": "application/json",
                    "X-Ticketdesk-Signature": sign_webhook(body, SECRET),
                }
                resp = http.post(url, data=body, headers=headers, timeout=60)
                if resp.status_code != 200:
                    errors.append(f"{resp.status_code}: {resp.text[:200]}")

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{len(errors)} reports were refused, e.g. {errors[0]}")
    return elapsed


def run(label: str, database_url: str, args: argparse.Namespace) -> dict[str, float]:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from ticketdesk.app import create_app
    from ticketdesk.extensions import db
    from ticketdesk.jobs.runner import load_handlers, run_pending
    from ticketdesk.paths import migrations_dir
    from ticketdesk.ports.clock import utcnow
    from ticketdesk.settings import load_settings
    from ticketdesk.sms import service
    from ticketdesk.sms.models import SmsAttempt, SmsReport

    n = args.count
    print(f"\n== {label}: {n} SMS ==")
    smsgateway._Handler.disable_nagle_algorithm = True
    instance = Path(tempfile.mkdtemp(prefix="td-bench-sms-"))
    port = _free_port()
    public_url = f"http://127.0.0.1:{port}"
    figures: dict[str, float] = {}
    with smsgateway.LocalSmsGateway(secret=SECRET) as gateway:
        env = _env(instance, database_url, gateway.url, public_url)
        app = create_app(load_settings(env))
        with app.app_context():
            upgrade(directory=str(migrations_dir()))
            load_handlers()

            start = time.perf_counter()
            for i in range(n):
                service.queue_sms(
                    db.session,
                    to=f"+420777{i:06d}",
                    text=f"Ticket {1000 + i}: your action is needed",
                    kind="manual",
                    now=utcnow(),
                )
                if i % 500 == 499:
                    db.session.commit()
            db.session.commit()
            figures["queued/s"] = n / (time.perf_counter() - start)
            print(
                f"  queued      {n:6d} SMS in {time.perf_counter() - start:6.2f} s  "
                f"{figures['queued/s']:8.0f} /s  (one notification + attempt + outbox job each)"
            )

            start = time.perf_counter()
            with _profiled(args.profile, f"sms-worker-{label}"):
                jobs = run_pending(app)
            elapsed = time.perf_counter() - start
            submitted = db.session.scalar(select(func.count()).where(SmsAttempt.status == "submitted"))
            db.session.commit()
            if submitted != n or len(gateway.received) != n:
                raise SystemExit(
                    f"expected {n} submitted, got {submitted} ({len(gateway.received)} at the gateway)"
                )
            figures["submissions/s"] = n / elapsed
            print(
                f"  submitted   {n:6d} SMS in {elapsed:6.2f} s  {figures['submissions/s']:8.0f} /s  "
                f"(one worker, {jobs} jobs, batches of up to 50, 8 hand-overs in flight)"
            )

            gateway_ids = list(db.session.scalars(select(SmsAttempt.gateway_id).order_by(SmsAttempt.id)))
            db.session.commit()
        half = n // 2
        single = [
            json.dumps({"id": g, "status": "delivered", "at": utcnow().isoformat()}).encode()
            for g in gateway_ids[:half]
        ]
        rest = gateway_ids[half:]
        batched = [
            json.dumps(
                [
                    {"id": g, "status": "delivered", "at": utcnow().isoformat()}
                    for g in rest[i : i + args.batch]
                ]
            ).encode()
            for i in range(0, len(rest), args.batch)
        ]

        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Event()
        profile_to = None
        if args.profile:
            (Path(__file__).resolve().parents[1] / "bench-results").mkdir(exist_ok=True)
            profile_to = str(
                Path(__file__).resolve().parents[1] / "bench-results" / f"sms-webhook-{label}.txt"
            )
        web = ctx.Process(target=_serve, args=(env, port, ready, profile_to), daemon=True)
        web.start()
        try:
            if not ready.wait(60):
                raise SystemExit("the web process did not start")
            url = f"{public_url}/api/v1/sms/status"
            elapsed = _post_all(url, single, args.clients)
            figures["reports/s (1 per request)"] = len(single) / elapsed
            print(
                f"  reports     {len(single):6d} one per request in {elapsed:6.2f} s  "
                f"{figures['reports/s (1 per request)']:8.0f} /s  ({args.clients} connections)"
            )
            elapsed = _post_all(url, batched, args.clients)
            figures[f"reports/s ({args.batch} per request)"] = len(rest) / elapsed
            print(
                f"  reports     {len(rest):6d} in batches of {args.batch} in {elapsed:6.2f} s  "
                f"{len(rest) / elapsed:8.0f} /s  ({args.clients} connections)"
            )
        finally:
            web.terminate()
            web.join(10)

        with app.app_context():
            delivered = db.session.scalar(select(func.count()).where(SmsAttempt.status == "delivered"))
            history = db.session.scalar(select(func.count(SmsReport.id)))
            db.session.commit()
            db.engine.dispose()
        if delivered != n or history != 3 * n:
            raise SystemExit(f"expected {n} delivered with {3 * n} history rows, got {delivered} / {history}")
        print(f"  checked: {delivered} delivered, {history} history rows")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100, help="reports per request in the batched half")
    parser.add_argument("--clients", type=int, default=4, help="concurrent connections posting reports")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TICKETDESK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/postgres"),
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.count < 2 or args.batch < 1 or args.clients < 1:
        parser.error("--count must be at least 2, --batch and --clients at least 1")

    results = {}
    with tempfile.TemporaryDirectory(prefix="td-bench-sqlite-") as tmp:
        results["SQLite"] = run("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args)
    if not args.no_postgres:
        with _postgres_database(args.postgres) as url:
            if url:
                results["PostgreSQL"] = run("PostgreSQL", url, args)

    print("\nsummary (goal on SQLite: >= 200 submissions/s, >= 1,000 reports/s)")
    for label, figures in results.items():
        print(f"  {label:11s} " + "  ".join(f"{k} {v:,.0f}" for k, v in figures.items()))
    sqlite = results["SQLite"]
    best_reports = max(v for k, v in sqlite.items() if k.startswith("reports"))
    ok = sqlite["submissions/s"] >= 200 and best_reports >= 1000
    print("  goal met on SQLite" if ok else "  goal NOT met on SQLite (machine busy? see --profile)")


if __name__ == "__main__":
    main()
