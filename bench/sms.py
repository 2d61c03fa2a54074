"""SMS throughput: SMS through the worker to the local HTTP gateway, and delivery reports back.

    .venv/bin/python bench/sms.py [--count 10000] [--batch 100] [--clients 16] [--two-processes]
                                  [--worker gevent|gthread] [--client asyncio|threads]
                                  [--postgres URL | --no-postgres] [--profile]

For SQLite and PostgreSQL (each a fresh database created here and removed afterwards):

1. ``--count`` SMS are queued (``ticketdesk.sms.service.queue_sms``, as a ticket event would);
2. one worker (``run_pending``, the loop ``ticketdesk worker`` runs) hands them to the local HTTP
   gateway of the tests (``tests/fixtures/smsgateway.py``, generic JSON protocol) -> submissions/s;
3. the gateway's delivery reports come back to ``POST /api/v1/sms/status``, signed with
   X-Ticketdesk-Signature, over ``--clients`` keep-alive connections: half of the SMS one report per
   request (as Twilio and most gateways post them), the other half in JSON arrays of ``--batch``
   reports -> reports/s for each way.

The headline figure is one report per request into ONE web process, served as in production (README
"Running in production": gunicorn, one ``gevent`` worker); the webhook is served in front of Flask's
request handling (``ticketdesk.api.sms_fastpath``) and concurrent requests of that process share a
transaction (``ticketdesk.sms.groupcommit``). ``--worker gthread`` serves it the way production did
before (one ``gthread`` worker with 100 threads), for comparison. ``--two-processes`` also posts a
quarter of the SMS one per request to two such processes (``-w 2``), printed on a line of its own (on
SQLite the two processes take turns at the write lock; it does not beat one process on two cores).
Each line also gives the web process's CPU time per report (its user + system time, from ``/proc``),
the figure to compare when the machine is shared and wall-clock rates wander.

The client stands in for a remote gateway, whose own work is done on its own machine: signatures and
request bytes are prepared before the clock starts, and by default (``--client asyncio``) the requests
go over raw keep-alive sockets from one asyncio loop, which takes a small fraction of the CPU the web
process needs, so that on this 2-core machine the figure is the server's and not the client's.
``--client threads`` is the earlier client (an ``http.client`` loop per connection in a thread of its
own), kept as a fallback and for comparison: it takes about a third of a millisecond of CPU per report
on the same two cores. 16 connections, because a gateway that reports 1,000 SMS/s over the internet
(~20 ms or more per request) has at least 20 requests in flight. The client's CPU per report is
printed too.

Every SMS must end ``delivered`` with its three history rows (queued, submitted, delivered), or the
run fails. ``--profile`` writes pyinstrument profiles of the worker pass and of the web process to
``bench-results/``; the web process is then werkzeug on one thread (pyinstrument sees one thread), so
its requests come one at a time and its figures are not comparable. PostgreSQL: ``--postgres``
(default ``postgresql://postgres@127.0.0.1/postgres``, the server must allow CREATE DATABASE); it is
skipped with a message when unreachable.

The gateway fixture writes its HTTP headers and body in two writes; with Nagle's algorithm on the
server socket each answer then waits for the client's delayed ACK (~40 ms). Real gateways do not
behave so; the benchmark turns Nagle off on the fixture's sockets (TCP_NODELAY).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures import smsgateway  # noqa: E402
from ticketdesk.ports.sms import sign_webhook  # noqa: E402

SECRET = "bench-sms-webhook-secret"
ROOT = Path(__file__).resolve().parents[1]


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


def _profiled_server(env: dict[str, str], port: int, ready: Any, profile_to: str) -> None:
    """``--profile``: the app in werkzeug's server on one thread, so that pyinstrument sees every request
    (one request at a time: each is a batch of one). The profile is written on SIGTERM."""
    import logging
    import signal

    from pyinstrument import Profiler
    from werkzeug.serving import make_server

    from ticketdesk.app import create_app
    from ticketdesk.settings import load_settings

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", port, create_app(load_settings(env)), threaded=False)
    profiler = Profiler(async_mode="disabled")
    profiler.start()

    def stop(*_args: Any) -> None:
        profiler.stop()
        Path(profile_to).write_text(profiler.output_text(unicode=True, color=False))
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    ready.set()
    server.serve_forever()


WORKERS = {
    "gevent": ["-k", "gevent", "--worker-connections", "1000"],
    "gthread": ["-k", "gthread", "--threads", "100"],
}


class _Server:
    """The web side while it runs: its processes' CPU time (Linux ``/proc``; None elsewhere)."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid

    def cpu_seconds(self) -> float | None:
        if self.pid is None:
            return None
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            pids = [self.pid, *map(int, children.read_text().split())]
        except OSError:
            return None
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def _web(
    env: dict[str, str], port: int, processes: int, profile_to: str | None, worker: str
) -> Iterator[_Server]:
    """The web side: as in production (README: gunicorn, one gevent worker per process), or werkzeug
    on one thread under pyinstrument for ``--profile``."""
    if profile_to:
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Event()
        profiled = ctx.Process(target=_profiled_server, args=(env, port, ready, profile_to), daemon=True)
        profiled.start()
        try:
            if not ready.wait(60):
                raise SystemExit("the web process did not start")
            yield _Server(profiled.pid)
        finally:
            profiled.terminate()
            profiled.join(10)
        return
    command = [sys.executable, "-m", "gunicorn", "-w", str(processes), *WORKERS[worker]]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        _wait_healthy(port, server)
        yield _Server(server.pid)
    finally:
        server.terminate()
        server.wait(10)


def _wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise SystemExit("the web process did not start")


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


def _signed(bodies: list[bytes]) -> list[tuple[bytes, dict[str, str]]]:
    """Each body with its headers, signed beforehand (a gateway signs on its own machine)."""
    return [
        (body, {"Content-Type": "application/json", "X-Ticketdesk-Signature": sign_webhook(body, SECRET)})
        for body in bodies
    ]


def _post_threads(port: int, signed: list[tuple[bytes, dict[str, str]]], clients: int) -> list[str]:
    """``--client threads``: a lean ``http.client`` loop per keep-alive connection, each in a thread."""
    errors: list[str] = []

    def client(items: list[tuple[bytes, dict[str, str]]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for body, headers in items:
            conn.request("POST", "/api/v1/sms/status", body, headers)
            resp = conn.getresponse()
            answer = resp.read()
            if resp.status != 200:
                errors.append(f"{resp.status}: {answer[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=client, args=(signed[i::clients],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _raw_requests(port: int, signed: list[tuple[bytes, dict[str, str]]]) -> list[bytes]:
    """Each signed body as the bytes of its whole HTTP/1.1 request."""
    return [
        b"POST /api/v1/sms/status HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port
        + b"".join(f"{name}: {value}\r\n".encode() for name, value in headers.items())
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
        for body, headers in signed
    ]


def _post_asyncio(port: int, requests: list[bytes], clients: int) -> list[str]:
    """``--client asyncio``: ready-made requests over ``clients`` keep-alive sockets of one asyncio loop;
    each answer is read whole (status line, headers, ``Content-Length`` body)."""
    errors: list[str] = []

    async def client(items: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for request in items:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
            if status != 200:
                errors.append(f"{status}: {answer[:200]!r}")
        writer.close()
        await writer.wait_closed()

    async def post_all() -> None:
        await asyncio.gather(*(client(requests[i::clients]) for i in range(clients)))

    asyncio.run(post_all())
    return errors


def _post_all(port: int, bodies: list[bytes], args: argparse.Namespace, server: _Server) -> dict[str, float]:
    """POST signed bodies over ``args.clients`` keep-alive connections: the elapsed seconds and the
    server's and this client's CPU seconds meanwhile (signing is done before the clock starts)."""
    signed = _signed(bodies)
    requests = _raw_requests(port, signed) if args.client == "asyncio" else []
    server_start, client_start = server.cpu_seconds(), time.process_time()
    start = time.perf_counter()
    if args.client == "asyncio":
        errors = _post_asyncio(port, requests, args.clients)
    else:
        errors = _post_threads(port, signed, args.clients)
    elapsed = time.perf_counter() - start
    server_end, client_end = server.cpu_seconds(), time.process_time()
    if errors:
        raise SystemExit(f"{len(errors)} reports were refused, e.g. {errors[0]}")
    figures = {"elapsed": elapsed, "client_cpu": client_end - client_start}
    if server_start is not None and server_end is not None:
        figures["server_cpu"] = server_end - server_start
    return figures


def _report(gateway_id: str, at: str) -> dict[str, str]:
    return {"id": gateway_id, "status": "delivered", "at": at}


def _post_reports(
    env: dict[str, str], port: int, gateway_ids: list[str], args: argparse.Namespace, label: str
) -> dict[str, float]:
    """Every SMS's delivery report back to the web side: one per request (to one process, and with
    ``--two-processes`` a quarter of them to two) and the rest in batches."""
    two_processes = args.two_processes and not args.profile
    at = datetime.now(UTC).isoformat()
    half = len(gateway_ids) // 2
    split = half // 2 if two_processes else half
    single = [json.dumps(_report(g, at)).encode() for g in gateway_ids[:half]]
    rest = gateway_ids[half:]
    batched = [
        json.dumps([_report(g, at) for g in rest[i : i + args.batch]]).encode()
        for i in range(0, len(rest), args.batch)
    ]
    profile_to = None
    if args.profile:
        (ROOT / "bench-results").mkdir(exist_ok=True)
        profile_to = str(ROOT / "bench-results" / f"sms-webhook-{label}.txt")
    served = "werkzeug, one thread, profiled" if profile_to else f"one gunicorn {args.worker} process"
    figures: dict[str, float] = {}
    with _web(env, port, 1, profile_to, args.worker) as server:
        rate, server_ms = _measure(port, single[:split], args, "one per request", served, server)
        figures["reports/s (1 per request)"] = rate
        if server_ms is not None:
            figures["server CPU ms/report (1 per request)"] = server_ms
        figures[f"reports/s ({args.batch} per request)"] = _measure(
            port, batched, args, f"in batches of {args.batch}", served, server, reports=len(rest)
        )[0]
    if two_processes:
        with _web(env, port, 2, None, args.worker) as server:
            figures["reports/s (1 per request, 2 processes)"] = _measure(
                port, single[split:], args, "one per request", f"two gunicorn {args.worker} processes", server
            )[0]
    return figures


def _measure(
    port: int,
    bodies: list[bytes],
    args: argparse.Namespace,
    how: str,
    served: str,
    server: _Server,
    reports: int = 0,
) -> tuple[float, float | None]:
    """Post ``bodies`` and print the rate; returns reports/s and the server's CPU ms per report."""
    reports = reports or len(bodies)
    figures = _post_all(port, bodies, args, server)
    elapsed = figures["elapsed"]
    server_ms = 1000 * figures["server_cpu"] / reports if "server_cpu" in figures else None
    cpu = f"server CPU {server_ms:.2f} ms/report, " if server_ms is not None else ""
    print(
        f"  reports     {reports:6d} {how} in {elapsed:6.2f} s  {reports / elapsed:8.0f} /s  "
        f"({served}, {args.clients} connections; {cpu}"
        f"{args.client} client CPU {1000 * figures['client_cpu'] / reports:.2f} ms/report)"
    )
    return reports / elapsed, server_ms


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
        figures.update(_post_reports(env, port, gateway_ids, args, label))

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
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections posting reports")
    parser.add_argument(
        "--two-processes", action="store_true", help="also post single reports to two web processes"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TICKETDESK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/postgres"),
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--worker", choices=sorted(WORKERS), default="gevent", help="gunicorn worker class of the web side"
    )
    parser.add_argument(
        "--client",
        choices=("asyncio", "threads"),
        default="asyncio",
        help="how the reports are posted (see the module docstring)",
    )
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

    print("\nsummary (goal on SQLite: >= 200 submissions/s, >= 1,000 reports/s one per request, one process)")
    for label, figures in results.items():
        print(
            f"  {label:11s} "
            + "  ".join(f"{k} {v:,.2f}" if "ms" in k else f"{k} {v:,.0f}" for k, v in figures.items())
        )
    sqlite = results["SQLite"]
    ok = sqlite["submissions/s"] >= 200 and sqlite["reports/s (1 per request)"] >= 1000
    print("  goal met on SQLite" if ok else "  goal NOT met on SQLite (machine busy? see --profile)")


if __name__ == "__main__":
    main()
