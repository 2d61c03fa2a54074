"""A real HTTP + Socket.IO server for the test app on a free loopback port (werkzeug, threaded)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import make_server


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    from ticketdesk.extensions import socketio

    # Tests that build another app re-bind the shared SocketIO object to a new server; events are published
    # through ``socketio.server``, so route this app's Socket.IO traffic to that same server while we serve.
    middleware = app.wsgi_app
    previous = getattr(middleware, "engineio_app", None)
    if previous is not None and socketio.server is not None:
        middleware.engineio_app = socketio.server  # type: ignore[attr-defined]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        if previous is not None:
            middleware.engineio_app = previous  # type: ignore[attr-defined]
