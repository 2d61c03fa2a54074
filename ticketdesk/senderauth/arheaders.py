"""Authentication-Results (RFC 8601) written by a trusted MTA.

Anyone can put an Authentication-Results header into a message, so one is believed only when
its authserv-id is in the configured trusted set, and of those only the topmost: our MTA adds
its header on top on arrival, so a forged one carrying our id sits below it. (The MTA should
also strip incoming headers with its id, as RFC 8601 5 asks; OpenDMARC and Postfix's milters do.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from ticketdesk.senderauth.headers import address_domain, header_values, normalize_domain
from ticketdesk.senderauth.results import NONE, RESULT_WORDS, SignatureResult, SpfResult

_PAIR = re.compile(r'([A-Za-z0-9_.\-/]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)')


@dataclass(frozen=True)
class ResInfo:
    method: str
    result: str
    reason: str = ""
    props: dict[str, str] = field(default_factory=dict)


def _strip_comments(text: str) -> str:
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for ch in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if quoted:
            quoted = ch != '"'
            out.append(ch)
        elif ch == '"' and depth == 0:
            quoted = True
            out.append(ch)
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            out.append(" ")
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _split_semicolons(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_authentication_results(value: str) -> tuple[str, list[ResInfo]] | None:
    """(authserv-id, results) of one header value, or None when it is not parsable."""
    parts = _split_semicolons(_strip_comments(value))
    head = parts[0].split()
    if not head:
        return None
    authserv_id = _unquote(head[0]).lower().rstrip(".")
    results: list[ResInfo] = []
    for part in parts[1:]:
        if not part or part.lower() == "none":
            continue
        pairs = [(k.lower(), _unquote(v)) for k, v in _PAIR.findall(part)]
        if not pairs:
            continue
        method, result = pairs[0][0].split("/")[0], pairs[0][1].lower()
        if result not in RESULT_WORDS:
            continue
        reason = next((v for k, v in pairs[1:] if k == "reason"), "")
        props = {k: v for k, v in pairs[1:] if "." in k}
        results.append(ResInfo(method, result, reason, props))
    return authserv_id, results


def trusted_results(
    headers: list[tuple[str, str]], trusted_ids: frozenset[str]
) -> tuple[str, list[ResInfo]] | None:
    """The topmost Authentication-Results header whose authserv-id is trusted, parsed."""
    wanted = {t.lower().rstrip(".") for t in trusted_ids}
    if not wanted:
        return None
    for value in header_values(headers, "Authentication-Results"):
        parsed = parse_authentication_results(value)
        if parsed is not None and parsed[0] in wanted:
            return parsed
    return None


def dkim_results(authserv_id: str, results: list[ResInfo]) -> list[SignatureResult]:
    out = []
    for info in results:
        if info.method != "dkim" or info.result == NONE:
            continue
        domain = info.props.get("header.d") or info.props.get("header.i", "").rpartition("@")[2]
        out.append(
            SignatureResult(
                normalize_domain(domain) or domain.lower(),
                info.props.get("header.s", ""),
                info.props.get("header.a", ""),
                info.result,
                info.reason or "reported by trusted MTA",
                source=authserv_id,
            )
        )
    return out


def spf_result(authserv_id: str, results: list[ResInfo]) -> SpfResult | None:
    for info in results:
        if info.method != "spf":
            continue
        mail_from = info.props.get("smtp.mailfrom", "")
        helo = info.props.get("smtp.helo") or None
        identity: Literal["mailfrom", "helo"] = "mailfrom" if mail_from else "helo"
        if mail_from:
            domain = address_domain(mail_from)
        else:
            domain = normalize_domain(helo) if helo else None
        return SpfResult(
            info.result,
            domain,
            identity,
            None,
            helo,
            mail_from or None,
            info.reason or "reported by trusted MTA",
            source=authserv_id,
        )
    return None
