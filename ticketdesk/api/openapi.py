"""The OpenAPI 3.1 document, generated from the routes that exist and the request models they take."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify
from pydantic import BaseModel

from ticketdesk import __version__
from ticketdesk.api import bp

BODIES: dict[str, type[BaseModel]] = {}
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def documents(endpoint: str, model: type[BaseModel]) -> None:
    """Record that ``endpoint`` takes a JSON body of ``model`` (for the document)."""
    BODIES[endpoint] = model


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
            }
        },
    }


def build_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": _error_schema()}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint == "api.openapi":
            continue
        path = _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if conv == "int" else "string"},
            }
            for conv, name in _PARAM.findall(rule.rule)
        ]
        view = current_app.view_functions[rule.endpoint]
        doc = (view.__doc__ or rule.endpoint.split(".")[-1].replace("_", " ")).strip().splitlines()[0]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "operationId": rule.endpoint.replace(".", "_")
                + ("" if method == "GET" else f"_{method.lower()}"),
                "summary": doc,
                "parameters": params,
                "responses": {
                    "200": {"description": "OK"},
                    "201": {"description": "Created"},
                    "default": {
                        "description": "Error",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                },
            }
            model = BODIES.get(rule.endpoint)
            if model is not None and method in ("POST", "PATCH", "PUT"):
                schemas[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
                op["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
                    },
                }
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ticketdesk API",
            "version": __version__,
            "description": "Tickets, contacts, SMS, calls and announcements. Authenticate with "
            "'Authorization: Bearer <token>' (ticketdesk token create --email …).",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {p.removeprefix("/api/v1") or "/": ops for p, ops in sorted(paths.items())},
    }


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI document of this API."""
    return jsonify(build_document())
