"""``POST /api/v1/sms/status`` without Flask's request machinery: the gateway's delivery reports.

A gateway posts one report per request, thousands a second in a burst. Through Flask each of them
would pay for what only pages and the rest of the API need — the request and response objects, URL
matching, every ``before_request`` hook (locale, login, rate limiter, CSRF, API authentication) and
the session — about as much as applying the report itself. This WSGI middleware, installed by the
app factory in front of the app and of its Socket.IO layer, serves the common case on its own: it
reads the body, checks ``X-Ticketdesk-Signature`` (``hmac.compare_digest``), parses the reports,
pushes only an app context, hands them to this process's group commit (``ticketdesk.sms.groupcommit``)
and answers exactly what ``ticketdesk.api.sms.sms_status`` answers (status, JSON body, headers). Only
the request that leads a batch pushes an app context (for the database session); the answer is written
with the app's JSON provider straight to ``start_response``, without a response object.

Everything else goes to the app unchanged: other paths and methods, a body without a plain
``Content-Length`` or above ``MAX_CONTENT_LENGTH``, a bad or missing signature, a body that is not
JSON or not a report — the app gives these their usual answers (403, 413, 422 …), the body handed
on as it was read. An error while applying is answered by the app's own error handler.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from flask import Flask, current_app, has_app_context
from flask.json.provider import DefaultJSONProvider
from werkzeug.http import HTTP_STATUS_CODES

from ticketdesk.api.sms import group_commit, parse_reports, report_answer
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow
from ticketdesk.ports.sms import verify_webhook
from ticketdesk.sms.webhooks import BadReport, GatewayReport

PATH = "/api/v1/sms/status"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class SmsStatusFastPath:
    """WSGI middleware: ``app.wsgi_app = SmsStatusFastPath(app, app.wsgi_app)``."""

    def __init__(self, app: Flask, wsgi_app: WsgiApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    @property
    def engineio_app(self) -> Any:
        """The Socket.IO layer's engine behind this one (installed outside it), to read or re-point."""
        return self.wsgi_app.engineio_app  # type: ignore[attr-defined]

    @engineio_app.setter
    def engineio_app(self, value: Any) -> None:
        self.wsgi_app.engineio_app = value  # type: ignore[attr-defined]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        raw = self._body(environ)
        if raw is None:
            return self.wsgi_app(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(raw)  # for the app, should the request go on to it
        settings = self.app.extensions["ticketdesk.settings"]
        signature = environ.get("HTTP_X_TICKETDESK_SIGNATURE")
        if not verify_webhook(raw, signature, settings.sms_webhook_secret):
            return self.wsgi_app(environ, start_response)
        parsed = _reports(raw)
        if parsed is None:
            return self.wsgi_app(environ, start_response)
        reports, batch = parsed
        try:
            outcomes = group_commit(self.app).receive(
                db.session, reports, clock=utcnow, context=self._app_context
            )
        except Exception as err:
            return self._error(environ, start_response, err)
        payload, status = report_answer(outcomes, batch)
        return self._answer(environ, start_response, payload, status)

    def _answer(
        self, environ: dict[str, Any], start_response: StartResponse, payload: Any, status: int
    ) -> Iterable[bytes]:
        """What ``jsonify(payload), status`` answers in the app, plus ``Vary: Cookie`` as there (its locale
        hook reads the session cookie). Built directly for Flask's own JSON provider outside debug mode
        (compact JSON and a newline); any other provider makes its own response object."""
        provider = self.app.json
        if type(provider) is DefaultJSONProvider and provider.compact is not False and not self.app.debug:
            body = f"{provider.dumps(payload, separators=(',', ':'))}\n".encode()
            start_response(
                _STATUS_LINES[status],
                [("Content-Type", provider.mimetype), ("Content-Length", str(len(body))), ("Vary", "Cookie")],
            )
            return [body]
        response = provider.response(payload)
        response.status_code = status
        response.vary.add("Cookie")
        return response(environ, start_response)

    def _app_context(self) -> AbstractContextManager[Any]:
        """A new app context, unless one of this app is already pushed here (as the app's own requests
        do: a test's session then serves the request too)."""
        if has_app_context() and current_app._get_current_object() is self.app:  # type: ignore[attr-defined]
            return nullcontext()
        return self.app.app_context()

    def _body(self, environ: dict[str, Any]) -> bytes | None:
        """The whole body, or None to leave the request to the app (chunked, no or a bad length, too
        large: the app answers these its usual way)."""
        length = environ.get("CONTENT_LENGTH")
        if not (length and length.isascii() and length.isdigit()) or "HTTP_TRANSFER_ENCODING" in environ:
            return None
        size = int(length)
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        if limit is not None and size > limit:
            return None
        return environ["wsgi.input"].read(size) if size else b""

    def _error(
        self, environ: dict[str, Any], start_response: StartResponse, err: Exception
    ) -> Iterable[bytes]:
        """The answer the app gives when its view raises ``err`` (its error handlers, logged as there)."""
        with self.app.request_context(environ):
            response = self.app.finalize_request(self.app.handle_user_exception(err), from_error_handler=True)
        return response(environ, start_response)


_STATUS_LINES = {code: f"{code} {HTTP_STATUS_CODES[code].upper()}" for code in (200, 202)}


def _reports(raw: bytes) -> tuple[list[GatewayReport], bool] | None:
    """The reports of a body (one object or a list) and whether it was a list; None when the body is
    not JSON or holds something that is not a report (the app answers 422)."""
    try:
        return parse_reports(json.loads(raw or b"null"))
    except (ValueError, UnicodeDecodeError, BadReport):
        return None


def install(app: Flask) -> None:
    """Serve the delivery-report webhook in front of ``app`` (called by the app factory)."""
    app.wsgi_app = SmsStatusFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
