"""SMS gateway port: the ``SmsGateway`` protocol, its adapters and the webhook signatures.

Adapters, chosen by ``gateway_from_url(TICKETDESK_SMS_GATEWAY_URL, log_path=...)``:

* ``None``, ``""``, ``log`` or ``log:<path>`` -> ``LogGateway``: the embedded default. It appends
  each message to a local file marked ``NOT REALLY SENT`` and answers ``accepted`` with a
  ``log-…`` id; no delivery report will ever come, so such messages end ``unknown``.
* ``http://…`` / ``https://…`` -> ``HttpJsonGateway``, the generic protocol of DESIGN.md:

  - send: ``POST <url>`` with JSON ``{"id": <our attempt id>, "to": "+420…", "text": "…",
    "callback_url": "…"}`` and the header ``Idempotency-Key`` (the same key on every retry of
    one attempt). 2xx ``{"id": <gateway id>}`` is accepted; 4xx a permanent refusal, except
    408/409/425/429 (nothing final was said); 5xx, a timeout or a connection error an unknown
    outcome that must be reconciled, never blindly resent.
  - reconciliation: ``GET <url>/<our attempt id>`` (query string of ``<url>`` kept) answers
    ``{"id": <gateway id>, "status": <report status>, "error": "…"}`` or 404 when the gateway
    never received the message.
  - delivery reports come back signed with ``X-Ticketdesk-Signature`` (``sign_webhook``).
* ``twilio://ACCOUNT_SID:AUTH_TOKEN@[host[:port]]?from=+420…`` -> ``TwilioGateway`` (host
  defaults to ``api.twilio.com``; ``twilio+http://`` talks plain HTTP to a local test double;
  ``from=MG…`` uses a messaging service instead of a sender number; a literal ``+`` in the query
  is kept as a plus). Twilio's REST form fields, its status words and its own webhook signature
  (``verify_twilio_signature``) are used; reconciliation needs Twilio's message SID.

Adapters never log phone numbers, texts or secrets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

import requests

from ticketdesk.ports.clock import utcnow

log = logging.getLogger(__name__)

REPORT_STATUSES = frozenset({"submitted", "delivered", "failed", "no_coverage", "expired", "stopped"})
SIGNATURE_HEADER = "X-Ticketdesk-Signature"
_NOT_FINAL_4XX = frozenset({408, 409, 425, 429})


@dataclass(frozen=True, slots=True)
class SmsOut:
    """One attempt to hand over: our attempt id, E.164 number, text, where reports should go."""

    id: str | int
    to: str
    text: str
    callback_url: str | None = None
    idempotency_key: str | None = None

    @property
    def key(self) -> str:
        return self.idempotency_key or f"ticketdesk-sms-{self.id}"


@dataclass(frozen=True, slots=True)
class SendResult:
    """accepted (with the gateway's id), refused (permanent) or unknown (reconcile first)."""

    kind: Literal["accepted", "refused", "unknown"]
    gateway_id: str | None = None
    reason: str = ""
    http_status: int | None = None

    @classmethod
    def accepted(cls, gateway_id: str, http_status: int | None = None) -> SendResult:
        return cls("accepted", gateway_id, "", http_status)

    @classmethod
    def refused(cls, reason: str, http_status: int | None = None) -> SendResult:
        return cls("refused", None, reason, http_status)

    @classmethod
    def unknown(cls, reason: str, http_status: int | None = None) -> SendResult:
        return cls("unknown", None, reason, http_status)

    @property
    def action(self) -> str:
        """The matching action of ``ticketdesk.sms.states``."""
        return {"accepted": "submit_ok", "refused": "submit_refused", "unknown": "submit_unknown"}[self.kind]


@dataclass(frozen=True, slots=True)
class LookupResult:
    """What the gateway knows about a message: a report status word and its id there."""

    status: str
    gateway_id: str | None
    detail: str = ""


class GatewayError(Exception):
    """The gateway could not be asked (timeout, 5xx, garbage answer): try again later."""


class LookupUnsupported(Exception):
    """This gateway cannot reconcile the message (no look-up API, or no id it understands)."""


@runtime_checkable
class SmsGateway(Protocol):
    name: str
    supports_lookup: bool

    def send(self, msg: SmsOut) -> SendResult: ...

    def lookup(self, message_id: str | int, gateway_id: str | None = None) -> LookupResult | None:
        """Status of a message, None when the gateway does not have it.

        Raises GatewayError when the gateway cannot be asked now, LookupUnsupported when never.
        """
        ...


def _reason_from(resp: requests.Response) -> str:
    try:
        data: Any = resp.json()
    except ValueError:
        data = None
    reason: Any = None
    if isinstance(data, dict):
        reason = data.get("error") or data.get("message") or data.get("detail")
        if isinstance(reason, dict):
            reason = reason.get("message") or reason.get("code")
        if "code" in data and "message" in data:  # Twilio: {"code": 21211, "message": "…"}
            reason = f"{data['code']}: {data['message']}"
    text = str(reason) if reason else (resp.text or resp.reason or "")
    text = re.sub(r"\s+", " ", text).strip()[:300]
    return f"HTTP {resp.status_code}" + (f": {text}" if text else "")


class LogGateway:
    """Embedded default: writes each message to a file, clearly marked NOT REALLY SENT."""

    name = "log"
    supports_lookup = True
    MARK = "NOT REALLY SENT"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, msg: SmsOut) -> SendResult:
        gateway_id = "log-" + hashlib.sha256(msg.key.encode()).hexdigest()[:20]
        record: dict[str, Any] = {"gateway_id": gateway_id, "id": msg.id, "to": msg.to, "text": msg.text}
        record["callback_url"] = msg.callback_url
        line = f"{utcnow().isoformat()} {self.MARK} {json.dumps(record, ensure_ascii=False)}\n"
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(line)
        except OSError as exc:
            return SendResult.unknown(f"cannot write SMS log: {exc.strerror or exc}")
        log.info("SMS %s written to the log gateway (%s), not really sent", msg.id, gateway_id)
        return SendResult.accepted(gateway_id)

    def lookup(self, message_id: str | int, gateway_id: str | None = None) -> LookupResult | None:
        try:
            with self._lock, self.path.open(encoding="utf-8") as fh:
                lines = fh.readlines()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise GatewayError(f"cannot read SMS log: {exc.strerror or exc}") from exc
        for line in lines:
            _, sep, payload = line.partition(f" {self.MARK} ")
            if not sep:
                continue
            try:
                record = json.loads(payload)
            except ValueError:
                continue
            if record.get("gateway_id") == gateway_id or str(record.get("id")) == str(message_id):
                return LookupResult("submitted", record.get("gateway_id"), f"log gateway: {self.MARK}")
        return None


class HttpJsonGateway:
    """The generic HTTP JSON gateway protocol (see the module docstring)."""

    name = "http"
    supports_lookup = True

    def __init__(self, url: str, timeout: float = 10.0, session: requests.Session | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"SMS gateway URL must be http(s)://host/…, got {_redact(url)!r}")
        self.url = url
        self.timeout = timeout
        self.session = session or requests.Session()

    def _item_url(self, message_id: str | int) -> str:
        parts = urlsplit(self.url)
        path = parts.path.rstrip("/") + "/" + quote(str(message_id), safe="")
        return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))

    def send(self, msg: SmsOut) -> SendResult:
        payload = {"id": msg.id, "to": msg.to, "text": msg.text, "callback_url": msg.callback_url}
        headers = {"Idempotency-Key": msg.key, "Accept": "application/json"}
        try:
            resp = self.session.post(
                self.url, json=payload, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.Timeout:
            return SendResult.unknown(f"no answer within {self.timeout:g} s")
        except requests.RequestException as exc:
            return SendResult.unknown(f"connection error: {type(exc).__name__}")
        with resp:
            return self._result(resp)

    @staticmethod
    def _result(resp: requests.Response) -> SendResult:
        code = resp.status_code
        if 200 <= code < 300:
            try:
                data = resp.json()
            except ValueError:
                data = None
            gateway_id = data.get("id") if isinstance(data, dict) else None
            if gateway_id in (None, ""):
                return SendResult.unknown(f"HTTP {code} without a gateway id", code)
            return SendResult.accepted(str(gateway_id), code)
        if 400 <= code < 500 and code not in _NOT_FINAL_4XX:
            return SendResult.refused(_reason_from(resp), code)
        if 300 <= code < 400:
            return SendResult.refused(f"HTTP {code}: unexpected redirect (check the gateway URL)", code)
        return SendResult.unknown(_reason_from(resp), code)

    def lookup(self, message_id: str | int, gateway_id: str | None = None) -> LookupResult | None:
        try:
            resp = self.session.get(self._item_url(message_id), timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise GatewayError(f"lookup failed: {type(exc).__name__}") from exc
        with resp:
            if resp.status_code == 404:
                return None
            if resp.status_code != 200:
                raise GatewayError(f"lookup failed: {_reason_from(resp)}")
            try:
                data = resp.json()
            except ValueError as exc:
                raise GatewayError("lookup answer is not JSON") from exc
        status = data.get("status") if isinstance(data, dict) else None
        if status not in REPORT_STATUSES:
            raise GatewayError(f"lookup answer has no known status: {status!r}")
        found_id = data.get("id")
        found = str(found_id) if found_id not in (None, "") else gateway_id
        return LookupResult(status, found, str(data.get("error") or ""))


#: Twilio message status -> our report status (None: not an outbound delivery status).
TWILIO_STATUS: dict[str, str] = {
    "accepted": "submitted",
    "scheduled": "submitted",
    "queued": "submitted",
    "sending": "submitted",
    "sent": "submitted",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "partially_delivered": "failed",
    "canceled": "stopped",
}
#: Twilio error codes that mean "the recipient opted out" (STOP) rather than a failure.
TWILIO_STOP_CODES = frozenset({"21610"})


def twilio_report_status(status: str, error_code: str | int | None = None) -> str | None:
    """Map a Twilio MessageStatus (and ErrorCode) onto our report statuses."""
    ours = TWILIO_STATUS.get((status or "").strip().lower())
    if ours == "failed" and str(error_code or "") in TWILIO_STOP_CODES:
        return "stopped"
    return ours


@dataclass(frozen=True, slots=True)
class TwilioReport:
    gateway_id: str
    status: str | None  # ours; None for statuses we do not track
    twilio_status: str
    error: str


def parse_twilio_callback(form: Mapping[str, str]) -> TwilioReport:
    """Read a Twilio status callback form (MessageSid, MessageStatus, ErrorCode, ErrorMessage)."""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    twilio_status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    code = form.get("ErrorCode") or ""
    error = " ".join(p for p in (code, form.get("ErrorMessage") or "") if p)
    return TwilioReport(sid, twilio_report_status(twilio_status, code), twilio_status, error)


class TwilioGateway:
    """Twilio's Messages REST API (form posts with HTTP basic auth), without the SDK."""

    name = "twilio"
    supports_lookup = True

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str = "https://api.twilio.com",
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{quote(self.account_sid, safe='')}/Messages"

    def send(self, msg: SmsOut) -> SendResult:
        sender = "MessagingServiceSid" if self.from_number.startswith("MG") else "From"
        form = {"To": msg.to, sender: self.from_number, "Body": msg.text}
        if msg.callback_url:
            form["StatusCallback"] = msg.callback_url
        try:
            resp = self.session.post(
                self.messages_url + ".json",
                data=form,
                auth=(self.account_sid, self.auth_token),
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            return SendResult.unknown(f"no answer within {self.timeout:g} s")
        except requests.RequestException as exc:
            return SendResult.unknown(f"connection error: {type(exc).__name__}")
        with resp:
            if 200 <= resp.status_code < 300:
                try:
                    sid = resp.json().get("sid")
                except (ValueError, AttributeError):
                    sid = None
                if not sid:
                    return SendResult.unknown(
                        f"HTTP {resp.status_code} without a message sid", resp.status_code
                    )
                return SendResult.accepted(str(sid), resp.status_code)
            if 400 <= resp.status_code < 500 and resp.status_code not in _NOT_FINAL_4XX:
                return SendResult.refused(_reason_from(resp), resp.status_code)
            return SendResult.unknown(_reason_from(resp), resp.status_code)

    def lookup(self, message_id: str | int, gateway_id: str | None = None) -> LookupResult | None:
        if not gateway_id:
            raise LookupUnsupported("Twilio messages can only be looked up by their SID")
        url = f"{self.messages_url}/{quote(gateway_id, safe='')}.json"
        try:
            resp = self.session.get(url, auth=(self.account_sid, self.auth_token), timeout=self.timeout)
        except requests.RequestException as exc:
            raise GatewayError(f"lookup failed: {type(exc).__name__}") from exc
        with resp:
            if resp.status_code == 404:
                return None
            if resp.status_code != 200:
                raise GatewayError(f"lookup failed: {_reason_from(resp)}")
            try:
                data = resp.json()
            except ValueError as exc:
                raise GatewayError("lookup answer is not JSON") from exc
        status = twilio_report_status(data.get("status", ""), data.get("error_code"))
        if status is None:
            raise GatewayError(f"unexpected Twilio status {data.get('status')!r}")
        detail = " ".join(str(p) for p in (data.get("error_code"), data.get("error_message")) if p)
        return LookupResult(status, gateway_id, detail)


def _pairs(params: Mapping[str, Any] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = params.items() if isinstance(params, Mapping) else params
    out: set[tuple[str, str]] = set()
    for key, value in items:
        values = value if isinstance(value, list | tuple) else [value]
        out.update((str(key), str(v)) for v in values)
    return sorted(out)


def twilio_signature(url: str, params: Mapping[str, Any] | Iterable[tuple[str, str]], auth_token: str) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by each sorted key and value."""
    data = url + "".join(key + value for key, value in _pairs(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def verify_twilio_signature(
    url: str, params: Mapping[str, Any] | Iterable[tuple[str, str]], signature: str | None, auth_token: str
) -> bool:
    """Check X-Twilio-Signature; like Twilio's SDK, the URL is tried with and without its default port."""
    if not signature or not auth_token:
        return False
    pairs = _pairs(params)
    parts = urlsplit(url)
    candidates = {url}
    if parts.hostname:
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        userinfo = parts.netloc.rpartition("@")[0]
        prefix = userinfo + "@" if userinfo else ""
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
        candidates.add(urlunsplit((parts.scheme, prefix + host, parts.path, parts.query, parts.fragment)))
        if port:
            netloc = f"{prefix}{host}:{port}"
            candidates.add(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))
    return any(hmac.compare_digest(twilio_signature(c, pairs, auth_token), signature) for c in candidates)


def sign_webhook(body: bytes, secret: str | bytes) -> str:
    """Hex HMAC-SHA256 of the raw body, the value of X-Ticketdesk-Signature."""
    key = secret.encode() if isinstance(secret, str) else secret
    if not key:
        raise ValueError("the SMS webhook secret is empty")
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_webhook(body: bytes, signature: str | None, secret: str | bytes | None) -> bool:
    """Constant-time check of X-Ticketdesk-Signature (a ``sha256=`` prefix is accepted).

    With no secret configured nothing verifies: unsigned reports are never trusted.
    """
    if not signature or not secret:
        return False
    given = signature.strip().lower().removeprefix("sha256=")
    return hmac.compare_digest(sign_webhook(body, secret), given)


def _redact(url: str) -> str:
    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


_E164_OR_SENDER = re.compile(
    r"^(\+[1-9]\d{6,14}|(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9 ]{1,11}|MG[0-9a-fA-F]{32})$"
)


def _twilio_from_url(url: str, timeout: float) -> TwilioGateway:
    parts = urlsplit(url)
    sid, token = unquote(parts.username or ""), unquote(parts.password or "")
    if not sid.startswith("AC") or not token:
        raise ValueError(
            f"SMS gateway URL {_redact(url)!r}: expected twilio://ACCOUNT_SID:AUTH_TOKEN@host?from=+420…"
        )
    query = dict(parse_qsl(parts.query.replace("+", "%2B"), keep_blank_values=True))
    sender = query.get("from", "").strip()
    if not _E164_OR_SENDER.match(sender):
        raise ValueError(
            f"SMS gateway URL {_redact(url)!r}: from= must be an E.164 number (+420…), "
            "an alphanumeric sender of at most 11 characters or a messaging service SID (MG…)"
        )
    scheme = "http" if parts.scheme == "twilio+http" else "https"
    try:
        hostport = parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else ""
    except ValueError as exc:
        raise ValueError(f"SMS gateway URL {_redact(url)!r}: bad port") from exc
    return TwilioGateway(sid, token, sender, f"{scheme}://{hostport or 'api.twilio.com'}", timeout)


def gateway_from_url(url: str | None, *, log_path: str | Path, timeout: float = 10.0) -> SmsGateway:
    """Build the gateway named by TICKETDESK_SMS_GATEWAY_URL (forms in the module docstring)."""
    value = (url or "").strip()
    if value in ("", "log"):
        return LogGateway(log_path)
    scheme = value.partition(":")[0].lower()
    if scheme == "log":
        path = value[4:].removeprefix("//")
        return LogGateway(path or log_path)
    if scheme in ("http", "https"):
        return HttpJsonGateway(value, timeout)
    if scheme in ("twilio", "twilio+http"):
        return _twilio_from_url(value, timeout)
    raise ValueError(
        f"SMS gateway URL {_redact(value)!r} not understood: use 'log', 'log:<path>', "
        "'http(s)://…' (generic JSON gateway) or 'twilio://SID:TOKEN@api.twilio.com?from=+420…'"
    )
