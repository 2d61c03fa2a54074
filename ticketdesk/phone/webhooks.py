"""Call events from a PBX, in the two formats we accept, turned into one ``CtiEvent`` (pure).

* **Generic JSON** (``Content-Type: application/json``)::

    {"event": "newCall" | "answer" | "hangup", "callId": "…", "from": "…", "to": "…",
     "direction": "in" | "out", "user": "…" | ["…"], "cause": "…"}

* **sipgate.io push** (``application/x-www-form-urlencoded``): ``event=newCall&from=492111234567&
  to=4915791234567&direction=in&callId=123456&user[]=Alice&user[]=Bob&userId[]=w0…``; ``answer``
  carries ``user`` (the one who answered) and ``answeringNumber``, ``hangup`` a ``cause``
  (``normalClearing``, ``busy``, ``cancel``, …), ``dtmf`` the digits a caller typed after a
  ``<Gather>``. sipgate writes numbers as international digits without ``+``.

sipgate.io cannot send a bearer header, only HTTP Basic credentials written into the webhook URL
(``https://pbx:<CTI token>@desk.example/api/v1/cti/events``), so the shared secret is accepted as
the Basic password too. sipgate only reports answer and hangup when the answer to ``newCall`` asks
for them in XML; :func:`sipgate_response` builds that answer.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import quoteattr

EVENTS = {"newcall": "newCall", "new_call": "newCall", "answer": "answer", "hangup": "hangup", "dtmf": "dtmf"}
MAX_FIELD = 80


class BadEvent(ValueError):
    """The payload is not a call event we understand (the message says why)."""


@dataclass(frozen=True)
class CtiEvent:
    event: str  # newCall | answer | hangup | dtmf
    call_id: str
    from_number: str = ""
    to_number: str = ""
    direction: str = "in"
    users: tuple[str, ...] = ()
    cause: str | None = None
    dtmf: str | None = None
    original_call_id: str | None = None
    source: str = "json"  # json | sipgate
    payload: dict[str, Any] = field(default_factory=dict)  # what was received, for the call log

    @property
    def digits_are_international(self) -> bool:
        return self.source == "sipgate"

    @property
    def user(self) -> str | None:
        return ", ".join(self.users) if self.users else None


def _text(value: Any, name: str, *, limit: int = MAX_FIELD) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadEvent(f"{name} must be a string")
    text = str(value).strip()
    if len(text) > limit:
        raise BadEvent(f"{name} is longer than {limit} characters")
    return text


def _users(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(u for u in (_text(v, "user", limit=200) for v in items) if u)


def _build(data: Mapping[str, Any], users: tuple[str, ...], source: str) -> CtiEvent:
    event = EVENTS.get(_text(data.get("event"), "event").lower())
    if event is None:
        raise BadEvent("event must be one of newCall, answer, hangup, dtmf")
    call_id = _text(data.get("callId"), "callId", limit=200)
    if not call_id:
        raise BadEvent("callId is required")
    direction = _text(data.get("direction"), "direction").lower() or "in"
    if direction not in ("in", "out"):
        raise BadEvent("direction must be 'in' or 'out'")
    dtmf = _text(data.get("dtmf"), "dtmf") or None
    return CtiEvent(
        event=event,
        call_id=call_id,
        from_number=_text(data.get("from"), "from"),
        to_number=_text(data.get("to"), "to"),
        direction=direction,
        users=users,
        cause=_text(data.get("cause"), "cause") or None,
        dtmf=dtmf,
        original_call_id=_text(data.get("origCallId") or data.get("originalCallId"), "origCallId", limit=200)
        or None,
        source=source,
        payload={k: v for k, v in data.items() if k != "dtmf"} | ({"dtmf": "***"} if dtmf else {}),
    )


def parse_json_event(data: Any) -> CtiEvent:
    """The generic JSON format."""
    if not isinstance(data, dict):
        raise BadEvent("the body must be a JSON object")
    return _build(data, _users(data.get("user")), "json")


def parse_form_event(form: Mapping[str, list[str]]) -> CtiEvent:
    """sipgate.io's form post, given as {name: [values]} (repeated ``user[]`` keys keep every value)."""
    flat: dict[str, Any] = {}
    for key, values in form.items():
        name = key[:-2] if key.endswith("[]") else key
        flat[name] = list(values) if key.endswith("[]") else (values[0] if values else "")
    users = _users(flat.get("user"))
    return _build(flat, users, "sipgate")


def credential(authorization: str | None) -> str | None:
    """The secret in an ``Authorization`` header: a bearer token, or the password of HTTP Basic."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    value = value.strip()
    if not value:
        return None
    if scheme.lower() == "bearer":
        return value
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, colon, password = decoded.partition(":")
        return password if colon and password else None
    return None


def is_cti_token(given: str | None, configured: str | None) -> bool:
    """Constant-time comparison with the configured TICKETDESK_CTI_TOKEN (never true when unset)."""
    if not given or not configured:
        return False
    return hmac.compare_digest(given.encode(), configured.encode())


def sipgate_response(callback_url: str | None) -> str:
    """The XML answer to a sipgate.io ``newCall``: ask for answer and hangup events at ``callback_url``."""
    attrs = f" onAnswer={quoteattr(callback_url)} onHangup={quoteattr(callback_url)}" if callback_url else ""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Response{attrs} />\n'
