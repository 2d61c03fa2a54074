"""DKIM: verify every DKIM-Signature of a message with dkimpy, over the DNS port.

dkimpy verifies one signature per call and folds several kinds of trouble into a plain False
(a DNS timeout, an unusable key), so this module drives it signature by signature: it parses the
tags itself, checks ``t=``/``x=`` against the caller's ``now``, fetches and classifies the key
record through the port (a temporary DNS failure becomes ``temperror``, a missing key
``permerror``, an empty ``p=`` a revoked key: ``fail``), and only then lets dkimpy do the
cryptography on the original bytes, never a re-serialised message.
"""

from __future__ import annotations

import binascii
import logging
import re
import time
from collections.abc import Callable

import dkim
from dkim.canonicalization import CanonicalizationPolicy, InvalidCanonicalizationPolicyError
from dkim.util import InvalidTagValueList, parse_tag_value

from ticketdesk.ports.dns import DnsClient, DnsTempError
from ticketdesk.senderauth.results import (
    FAIL,
    NEUTRAL,
    NONE,
    PASS,
    PERMERROR,
    POLICY,
    TEMPERROR,
    SignatureResult,
)

log = logging.getLogger(__name__)

CLOCK_SKEW = 300  # seconds of grace for an x= expiry
FUTURE_SLOP = 36000  # t= up to 10 h in the future is tolerated (dkimpy's figure)
MIN_KEY_BITS = 1024  # RFC 8301
MAX_SIGNATURES = 10  # verify at most this many per message (each costs a DNS look-up and RSA)
_ORDER = (PASS, TEMPERROR, FAIL, POLICY, NEUTRAL, PERMERROR)
_PROCESS_ERRORS = (
    dkim.DKIMException,
    IndexError,
    KeyError,
    ValueError,
    TypeError,
    UnicodeError,
    binascii.Error,
    AssertionError,
)
_BYTES_REPR = re.compile(r"b'([^']*)'")  # dkimpy puts bytes reprs into its messages
_silent = logging.getLogger(__name__ + ".dkimpy")
_silent.addHandler(logging.NullHandler())
_silent.propagate = False


def summarize(results: list[SignatureResult]) -> str:
    """One word for all signatures: pass if any passed, else the most hopeful of the rest.

    A per-signature ``policy`` (valid but not acceptable) is reported as ``neutral`` here, so
    the message-level word stays within pass/fail/none/neutral/temperror/permerror.
    """
    words = {r.result for r in results}
    word = next((w for w in _ORDER if w in words), NONE)
    return NEUTRAL if word == POLICY else word


def verify_dkim(
    raw: bytes, dns: DnsClient, *, now: float | None = None, timeout: float = 5.0
) -> list[SignatureResult]:
    """A result for every DKIM-Signature header, top to bottom; [] when there is none."""
    try:
        message = dkim.DKIM(raw, logger=_silent, minkey=MIN_KEY_BITS, timeout=timeout)
    except _PROCESS_ERRORS as exc:
        count = len(
            re.findall(rb"(?im)^dkim-signature[ \t]*:", raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0])
        )
        return [SignatureResult("", "", "", PERMERROR, f"unparsable message: {exc}") for _ in range(count)]
    signatures = [(name, value) for name, value in message.headers if name.lower() == b"dkim-signature"]
    memo: dict[bytes, bytes | None] = {}

    def dnsfunc(name: bytes, timeout: float = timeout) -> bytes | None:
        """dkimpy's key look-up: raises DnsTempError instead of reporting a timeout as False."""
        if name not in memo:
            memo[name] = _select_key_record(dns.txt(name.decode("utf-8", "replace").rstrip(".")))
        return memo[name]

    verify_time = int(time.time() if now is None else now)
    results = [_verify_one(message, header, dnsfunc, verify_time) for header in signatures[:MAX_SIGNATURES]]
    results += [
        SignatureResult("", "", "", PERMERROR, f"more than {MAX_SIGNATURES} signatures: not verified")
        for _ in signatures[MAX_SIGNATURES:]
    ]
    for r in results:
        log.debug("dkim d=%s s=%s a=%s: %s %s", r.domain, r.selector, r.algorithm, r.result, r.reason)
    return results


def _select_key_record(records: list[bytes]) -> bytes | None:
    for record in records:
        try:
            if b"p" in parse_tag_value(record):
                return record
        except InvalidTagValueList:
            continue
    return records[0] if records else None


def _text(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", "replace").strip()


def _verify_one(
    message: dkim.DKIM,
    header: tuple[bytes, bytes],
    dnsfunc: Callable[..., bytes | None],
    now: int,
) -> SignatureResult:
    try:
        sig = parse_tag_value(header[1])
    except (InvalidTagValueList, ValueError, IndexError) as exc:
        return SignatureResult(
            "", "", "", PERMERROR, _BYTES_REPR.sub(r"\1", f"malformed DKIM-Signature: {exc}")
        )
    domain = _text(sig.get(b"d")).lower().rstrip(".")
    selector, algorithm = _text(sig.get(b"s")), _text(sig.get(b"a")).lower()

    def result(word: str, reason: str = "") -> SignatureResult:
        return SignatureResult(domain, selector, algorithm, word, _BYTES_REPR.sub(r"\1", reason))

    problem = _check_fields(sig, now)
    if problem is not None:
        return result(*problem)
    include_headers = [h.lower() for h in re.split(rb"\s*:\s*", sig[b"h"].strip())]
    if b"from" not in include_headers:
        return result(PERMERROR, "From header not signed")

    key_name = sig[b"s"] + b"._domainkey." + sig[b"d"]
    try:
        record = dnsfunc(key_name)
    except DnsTempError as exc:
        return result(TEMPERROR, f"key lookup: {exc.reason}")
    key_problem, testing = _check_key(key_name, record, algorithm)
    if key_problem is not None:
        return result(*key_problem)

    try:
        ok = message.verify_sig(sig, include_headers, header, dnsfunc)
    except DnsTempError as exc:
        return result(TEMPERROR, f"key lookup: {exc.reason}")
    except dkim.ValidationError as exc:
        if "body hash mismatch" in str(exc):
            return result(FAIL, "body hash did not verify")
        return result(PERMERROR, str(exc))
    except dkim.KeyFormatError as exc:
        return result(POLICY if "too small" in str(exc) else PERMERROR, str(exc))
    except _PROCESS_ERRORS as exc:
        return result(PERMERROR, f"{type(exc).__name__}: {exc}")
    if not ok:
        return result(FAIL, "signature did not verify")
    return _acceptance(message, sig, algorithm, testing, result)


def _check_fields(sig: dict[bytes, bytes], now: int) -> tuple[str, str] | None:
    """Tag checks; dkimpy's own t=/x= checks use the wall clock, so those are done here."""
    try:
        dkim.validate_signature_fields({k: v for k, v in sig.items() if k not in (b"t", b"x")})
    except dkim.ValidationError as exc:
        return PERMERROR, str(exc)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        return PERMERROR, f"malformed DKIM-Signature: {exc}"
    try:
        CanonicalizationPolicy.from_c_value(sig.get(b"c", b"simple/simple"))
    except InvalidCanonicalizationPolicyError as exc:
        return PERMERROR, f"invalid c= value: {exc}"
    signed_at = expires = None
    for tag in (b"t", b"x"):
        if tag in sig and not re.fullmatch(rb"\s*\d{1,12}\s*", sig[tag]):
            return PERMERROR, f"{tag.decode()}= is not a decimal integer"
    if b"t" in sig:
        signed_at = int(sig[b"t"])
        if signed_at > now + FUTURE_SLOP:
            return PERMERROR, "t= is in the future"
    if b"x" in sig:
        expires = int(sig[b"x"])
        if signed_at is not None and expires < signed_at:
            return PERMERROR, "x= is before t="
        if expires + CLOCK_SKEW < now:
            return FAIL, "signature expired (x=)"
    return None


def _check_key(name: bytes, record: bytes | None, algorithm: str) -> tuple[tuple[str, str] | None, bool]:
    """Classify the key record before dkimpy sees it; returns (problem or None, testing mode)."""
    if not record:
        return (PERMERROR, "no key for signature"), False
    try:
        tags = parse_tag_value(record)
    except (InvalidTagValueList, ValueError, IndexError):
        return (PERMERROR, "unparsable key record"), False
    if b"p" not in tags:
        return (PERMERROR, "key record has no p="), False
    if not re.sub(rb"\s+", b"", tags[b"p"]):
        return (FAIL, "key revoked (empty p=)"), False
    key_type = tags.get(b"k", b"rsa").strip().lower().decode("ascii", "replace")
    if not algorithm.startswith(key_type + "-"):
        return (PERMERROR, f"key type {key_type} does not match a={algorithm}"), False
    try:
        dkim.evaluate_pk(name, record)
    except _PROCESS_ERRORS as exc:
        return (PERMERROR, f"unusable key: {exc}"), False
    flags = {f.strip() for f in tags.get(b"t", b"").lower().split(b":")}
    return None, b"y" in flags


def _acceptance(
    message: dkim.DKIM,
    sig: dict[bytes, bytes],
    algorithm: str,
    testing: bool,
    result: Callable[..., SignatureResult],
) -> SignatureResult:
    """A cryptographically valid signature that still must not count as authentication."""
    if algorithm == "rsa-sha1":
        return result(POLICY, "rsa-sha1 is not accepted (RFC 8301)")
    if testing:
        return result(POLICY, "key is in testing mode (t=y)")
    if b"l" in sig:
        policy = CanonicalizationPolicy.from_c_value(sig.get(b"c", b"simple/simple"))
        body_length = len(policy.canonicalize_body(message.body))
        signed = int(sig[b"l"])
        if body_length > signed:
            return result(POLICY, f"l={signed}: {body_length - signed} body bytes are not signed")
    return result(PASS)
