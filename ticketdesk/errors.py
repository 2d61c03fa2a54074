"""Domain errors and how they become HTML and JSON error responses.

Every API error has the shape ``{"error": {"code": …, "message": …}}`` with a fitting status.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ticketdesk.tickets.states import LifecycleError, UnknownStatus

log = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class ValidationFailed(DomainError):
    status, code = 422, "validation_failed"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class Locked(DomainError):
    status, code = 423, "locked"


class TryLater(DomainError):
    status, code = 503, "try_again_later"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def _wants_json() -> bool:
    return (
        request.path.startswith("/api/")
        or request.path == "/healthz"
        or (request.accept_mimetypes.best == "application/json")
    )


def _respond(status: int, code: str, message: str, details: Any = None) -> Any:
    if _wants_json():
        return jsonify(error_body(code, message, details)), status
    return render_template("error.html", status=status, code=code, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError) -> Any:
        return _respond(err.status, err.code, err.message, err.details)

    @app.errorhandler(LifecycleError)
    def _lifecycle(err: LifecycleError) -> Any:
        return _respond(409, err.code, str(err))

    @app.errorhandler(UnknownStatus)
    def _unknown_status(err: UnknownStatus) -> Any:
        return _respond(422, "unknown_status", str(err))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Any:
        code = (err.name or "error").lower().replace(" ", "_")
        if err.code == 400 and "CSRF" in (err.description or ""):
            code = "csrf_failed"
        return _respond(err.code or 500, code, err.description or err.name)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Any:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _respond(500, "internal_error", "Something went wrong on our side; it has been logged.")
