"""Live-update fan-out: N Socket.IO clients, one ticket change, time until every client has it.

    .venv/bin/python bench/realtime.py [--clients 200] [--changes 20] [--redis redis://127.0.0.1:6379/12]

Starts ``ticketdesk serve`` (its own process, a fresh SQLite database), connects N agent clients over
WebSocket with an API token, joins each to the ``agents`` room, then changes one ticket's priority
through the JSON API ``--changes`` times. For each change the clock starts just before the HTTP request
(so the figure includes the request, the commit and the emit) and stops when a client receives the
matching ``ticket.updated``; p50/p95/max are over every (change, client) pair. The clients run in a few
processes of their own (wall clock, same machine) so their own interpreter lock does not add to the figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.web.workspace.liveserver import ServeProcess, run_seed, server_env  # noqa: E402


class Listener:
    def __init__(self, url: str, token: str, number: int) -> None:
        self.number = number
        self.arrivals: dict[int, float] = {}
        self.client = socketio.Client(reconnection=False)
        self.client.on("ticket.updated", self._updated)
        self.client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=20)
        answer = self.client.call("join", {"room": "agents"}, timeout=20)
        assert answer and answer.get("ok"), answer

    def _updated(self, data: dict) -> None:
        if data.get("number") == self.number:
            self.arrivals[int(data["version"])] = time.time()


def clients_process(
    url: str, token: str, number: int, count: int, ready: Any, done: Any, results: Any
) -> None:
    """One of several client processes (so the clients' own GIL does not distort the figures)."""
    listeners: list[Listener] = []
    lock = threading.Lock()

    def connect() -> None:
        listener = Listener(url, token, number)
        with lock:
            listeners.append(listener)

    threads = [threading.Thread(target=connect) for _ in range(count)]
    for i, t in enumerate(threads):
        t.start()
        if i % 20 == 19:
            time.sleep(0.05)
    for t in threads:
        t.join(60)
    ready.put(len(listeners))
    done.wait()
    results.put([x.arrivals for x in listeners])
    for x in listeners:
        x.client.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--redis", default=None, help="also go through a Redis message queue")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="td-rt-"))
    extra = {"redis_url": args.redis} if args.redis else {}
    env = server_env(tmp / "instance", f"sqlite:///{tmp / 'rt.sqlite3'}", **extra)
    data = json.loads(run_seed(env, "--tickets", "1"))
    token, number = data["agents"][0]["token"], data["tickets"][0]
    with ServeProcess(env, tmp / "serve.log") as server:
        started = time.perf_counter()
        ctx = multiprocessing.get_context("spawn")
        ready, results, done = ctx.Queue(), ctx.Queue(), ctx.Event()
        shares = [
            args.clients // args.processes + (1 if i < args.clients % args.processes else 0)
            for i in range(args.processes)
        ]
        procs = [
            ctx.Process(target=clients_process, args=(server.url, token, number, n, ready, done, results))
            for n in shares
            if n
        ]
        for p in procs:
            p.start()
        connected = sum(ready.get(timeout=120) for _ in procs)
        print(
            f"{connected} clients connected in {time.perf_counter() - started:.1f} s ({len(procs)} processes)"
        )
        headers = {"Authorization": f"Bearer {token}"}
        sent: dict[int, float] = {}
        for i in range(args.changes):
            priority = ("high", "normal")[i % 2]
            t0 = time.time()
            resp = requests.post(
                f"{server.url}/api/v1/tickets/{number}/priority",
                json={"priority": priority},
                headers=headers,
                timeout=30,
            )
            resp.raise_for_status()
            sent[int(resp.json()["version"])] = t0
            time.sleep(0.3)
        time.sleep(1.0)
        done.set()
        arrivals = [a for _ in procs for a in results.get(timeout=120)]
        for p in procs:
            p.join(30)
    latencies: list[float] = []
    missing = 0
    for per_client in arrivals:
        for version, t0 in sent.items():
            if version in per_client:
                latencies.append((per_client[version] - t0) * 1000)
            else:
                missing += 1
    latencies.sort()
    p95 = latencies[max(int(len(latencies) * 0.95) - 1, 0)]
    via = " via Redis" if args.redis else ""
    print(
        f"{args.clients} clients × {args.changes} changes{via}: p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms, missing {missing}"
    )


if __name__ == "__main__":
    main()
