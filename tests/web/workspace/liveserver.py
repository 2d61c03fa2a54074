"""Real servers for tests: the test's own app on a werkzeug thread, or ``ticketdesk serve`` as a process.

Both listen on a free 127.0.0.1 port and are stopped by the test that started them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadServer:
    """Serves ``app`` (Flask + Socket.IO in threading mode) from a background thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._app = app
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-http", daemon=True)

    def __enter__(self) -> ThreadServer:
        _bind_socketio(self._app)
        _undo_socketio_test_client()
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def _bind_socketio(app: Any) -> None:
    """Serve ``app``'s sockets from the shared SocketIO object's current server.

    ``create_app`` re-initialises the one module-level SocketIO; a test that builds a second app (for
    example with a broken database) leaves it pointing at that app's server, while ``app``'s WSGI
    middleware still feeds the old one. Binding again makes the session app whole for real clients.
    """
    from ticketdesk.extensions import socketio
    from ticketdesk.realtime.handlers import register

    middleware = app.wsgi_app
    if socketio.server is not None and getattr(middleware, "engineio_app", None) is socketio.server.eio:
        return
    settings = app.extensions["ticketdesk.settings"]
    socketio.init_app(
        app, async_mode="threading", message_queue=settings.redis_url, logger=False, engineio_logger=False
    )
    register(app)  # the event handlers and the origin check, on the new server


def _undo_socketio_test_client() -> None:
    """Flask-SocketIO's test client patches the shared server to capture packets (and run handlers
    inline); a real socket served after it in the same process needs the server's own methods back."""
    from ticketdesk.extensions import socketio

    server = socketio.server
    if server is None:
        return
    for name in ("_send_packet", "_send_eio_packet"):
        server.__dict__.pop(name, None)
    server.async_handlers = True
    server.eio.async_handlers = True


def server_env(instance: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETDESK_")}
    env.update(
        {
            "TICKETDESK_INSTANCE_PATH": str(instance),
            "TICKETDESK_DATABASE_URL": database_url,
            "TICKETDESK_SECRET_KEY": "test-secret-key-not-for-production",
            "TICKETDESK_SUPPORT_ADDRESSES": "support@support.test=support,datacenter@support.test=datacenter",
            "TICKETDESK_MAIL_FROM": "support@support.test",
            "TICKETDESK_EMBEDDED_WORKER": "false",
            "TICKETDESK_EMBEDDED_INTAKE": "false",
            "TICKETDESK_DNS_SERVERS": "127.0.0.1:9",
            "TICKETDESK_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update({f"TICKETDESK_{k.upper()}": v for k, v in extra.items()})
    return env


def run_seed(env: dict[str, str], *args: str) -> str:
    """Run ``tests/web/workspace/seed.py`` against the database in ``env``; returns its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.web.workspace.seed", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class ServeProcess:
    """``ticketdesk serve --port P`` in its own process."""

    def __init__(self, env: dict[str, str], log: Path, *, migrate: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "TICKETDESK_PUBLIC_URL": self.url}
        self.log = log
        self.migrate = migrate
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServeProcess:
        command = [
            sys.executable,
            "-c",
            "from ticketdesk.cli import main; main()",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--migrate" if self.migrate else "--no-migrate",
        ]
        self._log = self.log.open("wb")
        self.proc = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ticketdesk serve exited: {self.log.read_text(errors='replace')[-3000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"ticketdesk serve did not start: {self.log.read_text(errors='replace')[-3000:]}")

    def __exit__(self, *_exc: Any) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
