"""Request-body validation (pydantic → 422 with details), cursor pagination and transactions."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from ticketdesk.errors import DomainError, ValidationFailed

M = TypeVar("M", bound=BaseModel)
MAX_LIMIT = 200


class BadJson(DomainError):
    status, code = 400, "malformed_json"


def body(model: type[M]) -> M:
    """Parse the JSON body into ``model``; malformed JSON → 400, wrong fields or types → 422."""
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as err:
        raise BadJson(f"the request body is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise ValidationFailed("the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in err.errors(include_url=False)
        ]
        summary = "; ".join(f"{d['field'] or 'body'}: {d['message']}" for d in details)
        raise ValidationFailed(f"invalid request body: {summary}", details=details) from None


def encode_cursor(values: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("the cursor is not valid", code="bad_cursor") from None
    if not isinstance(value, dict):
        raise ValidationFailed("the cursor is not valid", code="bad_cursor")
    return value


def limit_arg(default: int = 50) -> int:
    raw = request.args.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be a number from 1 to {MAX_LIMIT}")
    return int(raw)


def int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.lstrip("-").isdigit():
        raise ValidationFailed(f"{name} must be a number")
    return int(raw)
