"""Raw RFC 5322 bytes → :class:`ParsedMail`. Pure: no Flask, no database; never raises.

The stdlib parser (``policy.default``, compat32 when that fails) builds the MIME tree; headers are read
raw (``raw_items``) and decoded here, so 8-bit bytes, unknown charsets and broken encoded words decode
the way mail clients show them instead of raising or turning into U+FFFD.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from typing import Any

from ticketdesk.intake.charsets import (
    clean_text,
    decode_8bit_header,
    decode_bytes,
    decode_header_value,
    decode_transfer_encoding,
    mime_params,
    normalize_charset,
    parse_address_list,
    parse_date,
    parse_return_path,
    primary_language,
    sniff_html_charset,
)
from ticketdesk.intake.loops import AUTO_RESPONDER_HEADERS, DsnInfo, dsn_info, parse_fields
from ticketdesk.intake.quotes import unflow
from ticketdesk.intake.sanitize import (
    calendar_to_text,
    html_to_text,
    safe_filename,
    sanitize_html,
    text_to_html,
)
from ticketdesk.intake.threading_keys import first_message_id, reference_list

log = logging.getLogger(__name__)

Address = tuple[str, str]
CidUrl = Callable[[str, str], str]

DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 2**20
# Kept in ParsedMail.loop_headers (first value, decoded): what loops.py and the agent UI look at.
LOOP_HEADERS = (*AUTO_RESPONDER_HEADERS, "x-ms-exchange-generated-message-source", "x-loop", "list-unsubscribe",
                "list-post", "list-help", "x-mailer", "user-agent", "x-cron-env")  # fmt: skip
_MAX_ADDRESSES = 500
_MAX_HEADER = 65536


class _RawHeaderPolicy(EmailPolicy):
    """``policy.default`` except that fetching a header gives its unfolded raw text, as compat32 does.

    Nothing here uses header objects (headers are decoded from ``raw_items``), and building them is
    where hostile mail hurts: the structured parser is quadratic on long parameter lists (a 500 KB
    Content-Type took 25 s) and recurses on nested comments; the feedparser fetches Content-Type
    several times per part. Fetched values are cut at 8 KB (compat32's parameter split is quadratic).
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        return value if hasattr(value, "name") else "".join(_LINESEP.split(value[:8192])).strip()


_PARSE_POLICY = _RawHeaderPolicy()
_LINESEP = re.compile(r"\r\n|\r|\n")


def default_cid_url(sha256: str, filename: str) -> str:
    """Where an inline part is served: ``/attachments/<sha256>``."""
    return f"/attachments/{sha256}"


@dataclass(frozen=True)
class ParsedMail:
    """Everything downstream stages need from one inbound message."""

    message_id: str | None = None
    in_reply_to: str | None = None  # the first id of In-Reply-To
    references: list[str] = field(default_factory=list)  # header order: oldest first
    from_addrs: list[Address] = field(default_factory=list)
    sender: Address | None = None
    reply_to: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    text: str = ""
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    auto_submitted: str | None = None
    precedence: str | None = None
    list_id: str | None = None
    x_auto_response_suppress: str | None = None
    return_path: str | None = None  # "" for the null sender "<>", None when absent
    delivered_to: list[str] = field(default_factory=list)
    loop_headers: dict[str, str] = field(default_factory=dict)
    report_type: str | None = None
    is_dsn: bool = False
    dsn: DsnInfo | None = None
    defects: list[str] = field(default_factory=list)
    language: str | None = None
    size: int = 0

    @property
    def from_addr(self) -> str | None:
        """The first From address, or None."""
        return self.from_addrs[0][1] if self.from_addrs else None


def parse_message(
    raw: bytes | bytearray | memoryview | str,
    *,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    cid_url: CidUrl = default_cid_url,
) -> ParsedMail:
    """Parse one raw message. Never raises: what cannot be understood is recorded in ``defects``."""
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else bytes(raw)
    try:
        return _parse(data, max_attachment_bytes, cid_url)
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - the last line of defence
        log.warning("mail parse failed (%s); keeping the message as plain text", type(exc).__name__)
        return _unparsable(data, exc)


def _parse(data: bytes, max_attachment_bytes: int, cid_url: CidUrl) -> ParsedMail:
    defects: list[str] = []
    data = data.lstrip(b"\r\n")
    msg: Message
    try:
        msg = BytesParser(policy=_PARSE_POLICY).parsebytes(data)
    except Exception as exc:  # noqa: BLE001
        defects.append(f"policy_default_failed:{type(exc).__name__}")
        msg = BytesParser(policy=email.policy.compat32).parsebytes(data)
    crlf = b"\r\n" in data[:4096]
    walker = BodyWalker(max_attachment_bytes=max_attachment_bytes, cid_url=cid_url, crlf=crlf)
    body = walker.run(msg)
    defects.extend(walker.defects)
    h = _Headers(msg, walker.body_charset)
    text, html = walker.finish(body)
    if defects:
        log.debug("mail parsed with defects: %s", ", ".join(defects[:10]))
    dsn = walker.dsn
    return ParsedMail(
        message_id=first_message_id(h.first("message-id")),
        in_reply_to=first_message_id(h.first("in-reply-to")),
        references=reference_list(h.all("references")),
        from_addrs=h.addresses("from"),
        sender=next(iter(h.addresses("sender")), None),
        reply_to=h.addresses("reply-to"),
        to=h.addresses("to"),
        cc=h.addresses("cc"),
        subject=" ".join(h.text("subject").split())[:2000],
        date=parse_date(h.first("date")),
        text=text,
        html=html,
        attachments=walker.attachments,
        auto_submitted=h.text("auto-submitted") or None,
        precedence=h.text("precedence") or None,
        list_id=h.text("list-id") or None,
        x_auto_response_suppress=h.text("x-auto-response-suppress") or None,
        return_path=parse_return_path(h.first("return-path")),
        delivered_to=[
            a for _, a in h.addresses("delivered-to", "x-original-to", "envelope-to", "x-envelope-to")
        ],
        loop_headers={name: h.text(name)[:500] for name in LOOP_HEADERS if h.first(name) is not None},
        report_type=walker.report_type,
        is_dsn=dsn is not None,
        dsn=dsn,
        defects=list(dict.fromkeys(defects))[:50],
        language=primary_language(h.text("content-language") or walker.language),
        size=len(data),
    )


class _Headers:
    """Top-level header fields, read raw and decoded on demand."""

    def __init__(self, msg: Message, fallback_charset: str | None) -> None:
        self.fields: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self.fields.setdefault(name.strip().lower(), []).append(str(value)[:_MAX_HEADER])
        self.charset = fallback_charset

    def first(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return self.fields.get(name, [])

    def text(self, name: str) -> str:
        value = self.first(name)
        return decode_header_value(value, self.charset).strip() if value else ""

    def addresses(self, *names: str) -> list[Address]:
        out: list[Address] = []
        for name in names:
            for value in self.all(name):
                out.extend(parse_address_list(decode_8bit_header(value, self.charset)))
        unique: dict[str, Address] = {}
        for pair in out:
            unique.setdefault(pair[1].lower(), pair)
        return list(unique.values())[:_MAX_ADDRESSES]


def _unparsable(data: bytes, exc: BaseException) -> ParsedMail:
    text = decode_bytes(data[: 2 * 2**20], None)
    return ParsedMail(text=text, defects=[f"unparsable:{type(exc).__name__}"], size=len(data))


# --- The MIME tree -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str  # safe: no path, no control characters, length-limited
    content_type: str
    data: bytes  # b"" when too_large
    size: int
    sha256: str  # of the decoded content, also when too_large
    content_id: str | None  # without angle brackets
    inline: bool
    too_large: bool


@dataclass(slots=True)
class _Body:
    plain: str | None = None
    html: str | None = None


_GEN_LF = email.policy.default.clone(refold_source="none", cte_type="8bit", max_line_length=None)
_GEN_CRLF = _GEN_LF.clone(linesep="\r\n")
_CTYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
_HEADER_PARTS = ("text/rfc822-headers", "text/global-headers", "message/global-headers")
_MAX_PARTS = 1000
_MAX_DEPTH = 40


class BodyWalker:
    """Walks the MIME tree once: body text and HTML, attachments, calendar summaries, DSN fields."""

    def __init__(self, *, max_attachment_bytes: int, cid_url: CidUrl, crlf: bool) -> None:
        self.max_bytes = max_attachment_bytes
        self.cid_url = cid_url
        self.gen_policy = _GEN_CRLF if crlf else _GEN_LF
        self.attachments: list[Attachment] = []
        self.cid_map: dict[str, str] = {}
        self.defects: list[str] = []
        self.calendar: list[str] = []
        self.body_charset: str | None = None
        self.language: str | None = None
        self.report_type: str | None = None
        self.original_id: str | None = None
        self.dsn_fields: list[dict[str, str]] | None = None
        self.parts = 0
        self.leaves = 0

    @property
    def dsn(self) -> DsnInfo | None:
        if self.dsn_fields is None:
            return None
        return dsn_info(self.dsn_fields, self.original_id)

    def run(self, msg: Message) -> _Body:
        return self.walk(msg, 0, "", False)

    def finish(self, body: _Body) -> tuple[str, str | None]:
        html = sanitize_html(body.html, cid_map=self.cid_map) if body.html else None
        plain = body.plain if body.plain and body.plain.strip() else None
        if plain is None and html:
            plain = html_to_text(html)  # from what is shown: html5ever has settled how the markup parses
        if not (plain or "").strip() and self.calendar:
            plain = "\n\n".join(self.calendar)
        return (plain or "").strip("\r\n").rstrip(), html or None

    def walk(self, part: Message, depth: int, parent: str, in_alt: bool, resource: bool = False) -> _Body:
        self.parts += 1
        if self.parts > _MAX_PARTS or depth > _MAX_DEPTH:
            self.defects.append("too_many_parts" if self.parts > _MAX_PARTS else "nesting_too_deep")
            return _Body()
        self.defects.extend(type(d).__name__ for d in getattr(part, "defects", [])[:10])
        hdr: dict[str, str] = {}
        for name, value in part.raw_items():
            hdr.setdefault(name.strip().lower(), str(value)[:_MAX_HEADER])
        ctype, params = _content_type(hdr.get("content-type"), parent)
        if part.is_multipart():  # a list payload: multipart/* or message/* parsed into messages
            children = [p for p in part.get_payload() if isinstance(p, Message)]
            if ctype.startswith("multipart/"):
                return self._multipart(ctype, params, children, depth)
            if ctype in _DSN_TYPES:
                self._delivery_status(hdr, children)
            else:
                self._message_part(hdr, ctype, params, children)
            return _Body()
        if ctype.startswith("multipart/"):
            self.defects.append("multipart_without_parts")
            ctype = "text/plain"
        elif ctype in _DSN_TYPES:
            self.dsn_fields = _field_blocks(_payload(part, hdr))
            return _Body()
        return self._leaf(part, hdr, ctype, params, in_alt, resource)

    def _multipart(self, ctype: str, params: dict[str, str], children: list[Message], depth: int) -> _Body:
        if ctype == "multipart/alternative":
            bodies = [self.walk(c, depth + 1, ctype, True) for c in children]
            plain = next((b.plain for b in reversed(bodies) if b.plain and b.plain.strip()), None)
            html = next((b.html for b in reversed(bodies) if b.html), None)
            return _Body(plain, html)
        if ctype == "multipart/related" and children:
            start = (params.get("start") or "").strip().strip("<>")
            root = next(
                (c for c in children if start and _content_id(_raw(c, "content-id")) == start), children[0]
            )
            body = self.walk(root, depth + 1, ctype, False)
            for child in children:
                if child is not root:
                    self.walk(child, depth + 1, ctype, False, resource=True)
            return body
        if ctype == "multipart/report":
            self.report_type = (params.get("report-type") or "").strip().lower() or None
        return _combine([self.walk(c, depth + 1, ctype, False) for c in children])

    def _leaf(
        self,
        part: Message,
        hdr: dict[str, str],
        ctype: str,
        params: dict[str, str],
        alt: bool,
        resource: bool,
    ) -> _Body:
        disposition, dparams = mime_params(hdr.get("content-disposition") or "")
        disposition = disposition.strip().lower()
        name = dparams.get("filename") or params.get("name")
        data = _payload(part, hdr)
        first_leaf = self.leaves == 0
        self.leaves += 1
        if (
            ctype in ("text/plain", "text/html")
            and disposition != "attachment"
            and not resource
            and (alt or not name or first_leaf)
        ):
            charset = params.get("charset")
            if ctype == "text/html" and not normalize_charset(charset):
                charset = sniff_html_charset(data) or charset
            if self.body_charset is None and normalize_charset(charset):
                self.body_charset = charset
            self.language = self.language or hdr.get("content-language")
            text = decode_bytes(data, charset).replace("\r\n", "\n").replace("\r", "\n")
            if ctype == "text/html":
                return _Body(html=text)
            if (params.get("format") or "").lower() == "flowed":
                text = unflow(text, delsp=(params.get("delsp") or "").lower() == "yes")
            return _Body(plain=text)
        if ctype in ("text/calendar", "application/ics"):
            summary = calendar_to_text(decode_bytes(data, params.get("charset")))
            if summary:
                self.calendar.append(summary)
        elif ctype in _HEADER_PARTS and self.original_id is None:
            fields = parse_fields(decode_bytes(data, params.get("charset")).replace("\r", ""))
            self.original_id = first_message_id(fields.get("message-id"))
        self._attach(hdr, ctype, data, name, disposition)
        return _Body()

    def _message_part(
        self, hdr: dict[str, str], ctype: str, params: dict[str, str], children: list[Message]
    ) -> None:
        inner = children[0] if children else None
        data = self._flatten(inner) if inner is not None else b""
        cte = (hdr.get("content-transfer-encoding") or "").strip().lower()
        if cte in ("base64", "quoted-printable"):
            data = decode_transfer_encoding(data.lstrip(b"\r\n"), cte)
            inner = BytesParser(policy=email.policy.compat32).parsebytes(data)
        fields = _fields_of(inner) if inner is not None else {}
        if self.original_id is None:
            self.original_id = first_message_id(fields.get("message-id"))
        disposition, dparams = mime_params(hdr.get("content-disposition") or "")
        subject = " ".join(decode_header_value(fields.get("subject", "")).split())
        name = dparams.get("filename") or params.get("name") or (f"{subject[:100]}.eml" if subject else None)
        self._attach(
            hdr, "message/rfc822" if ctype == "message/rfc822" else ctype, data, name, disposition.lower()
        )

    def _delivery_status(self, hdr: dict[str, str], blocks: list[Message]) -> None:
        cte = (hdr.get("content-transfer-encoding") or "").strip().lower()
        if cte in ("base64", "quoted-printable"):  # the parser split encoded text into "blocks"
            encoded = b"\n".join(self._flatten(block).strip() for block in blocks)
            self.dsn_fields = _field_blocks(decode_transfer_encoding(encoded, cte))
        else:
            self.dsn_fields = [_fields_of(block) for block in blocks]

    def _flatten(self, msg: Message) -> bytes:
        buf = io.BytesIO()
        try:
            generator = BytesGenerator(buf, mangle_from_=False, policy=self.gen_policy)
            generator.flatten(msg)  # type: ignore[arg-type]  # any Message flattens, whatever its class
        except Exception as exc:  # noqa: BLE001
            self.defects.append(f"unserialisable_message_part:{type(exc).__name__}")
            return b""
        return buf.getvalue()

    def _attach(
        self, hdr: dict[str, str], ctype: str, data: bytes, name: str | None, disposition: str
    ) -> None:
        if name and "=?" in name:
            name = decode_header_value(name)
        filename = safe_filename(name, content_type=ctype, index=len(self.attachments) + 1)
        cid = _content_id(hdr.get("content-id"))
        digest = hashlib.sha256(data).hexdigest()
        too_large = len(data) > self.max_bytes
        if too_large:
            self.defects.append("attachment_too_large")
        elif cid:
            self.cid_map.setdefault(cid, self.cid_url(digest, filename))
        inline = disposition == "inline" or (not disposition and cid is not None)
        self.attachments.append(
            Attachment(filename, ctype, b"" if too_large else data, len(data), digest, cid, inline, too_large)
        )


def _combine(bodies: list[_Body]) -> _Body:
    parts = [b for b in bodies if b.plain or b.html]
    if len(parts) <= 1:
        return parts[0] if parts else _Body()
    plain = "\n\n".join(
        (b.plain if b.plain is not None else html_to_text(b.html or "")).strip("\n") for b in parts
    )
    if not any(b.html for b in parts):
        return _Body(plain=plain)
    return _Body(plain=plain, html="\n".join(b.html or text_to_html(b.plain or "") for b in parts))


def _content_type(raw: str | None, parent: str) -> tuple[str, dict[str, str]]:
    default = "message/rfc822" if parent == "multipart/digest" else "text/plain"
    if raw is None:
        return default, {}
    main, params = mime_params(raw)
    main = main.strip().lower()
    return (main if _CTYPE.fullmatch(main) else default), params


def _raw(part: Message, name: str) -> str | None:
    return next((str(v) for k, v in part.raw_items() if k.strip().lower() == name), None)


def _content_id(raw: str | None) -> str | None:
    if not raw:
        return None
    cid = "".join(str(raw).split()).strip("<>")[:500]
    return clean_text(cid) or None


def _payload(part: Message, hdr: dict[str, str]) -> bytes:
    """The decoded content of a leaf part: base64 and quoted-printable leniently, everything else
    (7bit, 8bit, binary, uuencode, unknown) as the stdlib gives it, byte for byte."""
    cte = (hdr.get("content-transfer-encoding") or "").strip().strip("\"'").lower()
    if cte in ("base64", "quoted-printable"):
        try:
            payload = part.get_payload()  # stray 8-bit junk is decoded with the declared charset, or fails
        except Exception:  # noqa: BLE001
            payload = None
        if isinstance(payload, str):
            return decode_transfer_encoding(payload.encode("utf-8", "surrogateescape"), cte)
    try:
        decoded = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        return b""
    return decoded if isinstance(decoded, bytes) else b""


def _field_blocks(data: bytes) -> list[dict[str, str]]:
    text = decode_bytes(data, "utf-8").replace("\r", "")
    return [parse_fields(block) for block in re.split(r"\n[ \t]*\n", text)]


def _fields_of(msg: Message) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name, value in msg.raw_items():
        fields.setdefault(name.strip().lower(), " ".join(decode_8bit_header(str(value), None).split()))
    return fields
