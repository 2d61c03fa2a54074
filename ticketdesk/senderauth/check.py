"""check_sender: DKIM + SPF + DMARC-style alignment with the From domain, one call per message.

The checks only describe the message; they never drop it. Whatever DMARC policy the domain
publishes (even ``p=reject``) is recorded and the caller decides (hold, confirmation link).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ticketdesk.ports.dns import DnsClient, DnsTempError
from ticketdesk.senderauth.alignment import Mode, is_aligned
from ticketdesk.senderauth.arheaders import dkim_results, spf_result, trusted_results
from ticketdesk.senderauth.dkimcheck import summarize, verify_dkim
from ticketdesk.senderauth.dmarc import applicable_policy, discover_policy
from ticketdesk.senderauth.headers import author_domain, normalize_domain, split_headers
from ticketdesk.senderauth.received import TrustedMta, trusted_envelope
from ticketdesk.senderauth.results import (
    FAIL,
    NONE,
    PASS,
    PERMERROR,
    TEMPERROR,
    AuthResult,
    DmarcPolicy,
    SignatureResult,
    SpfResult,
)
from ticketdesk.senderauth.spfcheck import check_spf


def check_sender(
    raw: bytes,
    *,
    from_domain: str | None = None,
    ip: str | None = None,
    helo: str | None = None,
    mail_from: str | None = None,
    dns: DnsClient,
    trusted_authserv_ids: frozenset[str] = frozenset(),
    now: float | datetime | None = None,
    trusted_mta: TrustedMta | None = None,
    dkim_timeout: float = 5.0,
) -> AuthResult:
    """Authenticate the author domain of ``raw`` (the original bytes, as received).

    ``ip``/``helo``/``mail_from`` are the SMTP envelope when we received the message ourselves.
    For mail that came through another MTA (``ingest``, IMAP) leave ``ip`` None and pass
    ``trusted_mta`` (the envelope is read from our MTA's Received header) and/or
    ``trusted_authserv_ids`` (an Authentication-Results header of a trusted MTA supplies SPF
    and extra DKIM results). ``from_domain`` stands in when the message has no From header;
    if it disagrees with the From header the result is a DMARC ``permerror``. ``now`` (epoch
    seconds or an aware datetime) is the verification time for DKIM ``t=``/``x=``.
    """
    headers = split_headers(raw)
    author, from_problem = _author(headers, from_domain)
    epoch = now.timestamp() if isinstance(now, datetime) else now

    signatures = verify_dkim(raw, dns, now=epoch, timeout=dkim_timeout)
    reported = trusted_results(headers, trusted_authserv_ids)
    if reported is not None:
        signatures += dkim_results(*reported)

    if ip is None and trusted_mta is not None:
        envelope = trusted_envelope(headers, trusted_mta)
        if envelope is not None:
            ip, helo = envelope.ip, envelope.helo
            mail_from = mail_from if mail_from is not None else envelope.mail_from
    reported_spf = spf_result(*reported) if reported is not None else None
    if ip is not None or reported_spf is None:
        spf = check_spf(ip, mail_from, helo, dns)
    else:
        spf = reported_spf

    dkim_word = summarize(signatures)
    if author is None:
        return AuthResult(
            dkim=dkim_word,
            spf=spf.result,
            dmarc=PERMERROR,
            authenticated=False,
            aligned_by=None,
            temporary=False,
            from_domain=None,
            reason=f"not authenticated: {from_problem}",
            details=_details(signatures, spf, None, None, set(), False),
        )
    return _evaluate(author, signatures, spf, dkim_word, dns)


def _author(headers: list[tuple[str, str]], given: str | None) -> tuple[str | None, str]:
    author, problem = author_domain(headers)
    if given is None:
        return author, problem
    normalized = normalize_domain(given)
    if problem == "no From header":
        return normalized, "" if normalized else "no usable From domain"
    if author is not None and normalized != author:
        return None, "from_domain does not match the From header"
    return author, problem


def _evaluate(
    author: str, signatures: list[SignatureResult], spf: SpfResult, dkim_word: str, dns: DnsClient
) -> AuthResult:
    policy: DmarcPolicy | None = None
    dmarc_temp = False
    try:
        policy = discover_policy(author, dns)
    except DnsTempError:
        dmarc_temp = True
    # Without the record the alignment modes are unknown: only what aligns strictly is certain.
    adkim: Mode = "s" if dmarc_temp else (policy.adkim if policy else "r")
    aspf: Mode = "s" if dmarc_temp else (policy.aspf if policy else "r")

    aligned_sigs = {
        i for i, s in enumerate(signatures) if s.result == PASS and is_aligned(s.domain, author, adkim)
    }
    spf_aligned = spf.result == PASS and is_aligned(spf.domain, author, aspf)
    authenticated = bool(aligned_sigs) or spf_aligned
    aligned_by: Literal["dkim", "spf"] | None = "dkim" if aligned_sigs else ("spf" if spf_aligned else None)

    temporary = not authenticated and (
        any(s.result == TEMPERROR and is_aligned(s.domain, author) for s in signatures)
        or (spf.result == TEMPERROR and is_aligned(spf.domain, author))
        or (
            dmarc_temp
            and (
                any(s.result == PASS and is_aligned(s.domain, author) for s in signatures)
                or (spf.result == PASS and is_aligned(spf.domain, author))
            )
        )
    )
    if dmarc_temp:
        dmarc_word = TEMPERROR
    elif policy is None:
        dmarc_word = NONE
    else:
        dmarc_word = PASS if authenticated else FAIL
    applied = applicable_policy(policy, author) if policy else None

    if authenticated:
        how = next(signatures[i].domain for i in sorted(aligned_sigs)) if aligned_sigs else spf.domain
        reason = f"{aligned_by} pass aligned with {author} ({how})"
    elif temporary:
        reason = "not authenticated yet: a DNS lookup failed temporarily"
    else:
        reason = f"no aligned pass for {author} (dkim={dkim_word}, spf={spf.result})"
    return AuthResult(
        dkim=dkim_word,
        spf=spf.result,
        dmarc=dmarc_word,
        authenticated=authenticated,
        aligned_by=aligned_by,
        temporary=temporary,
        from_domain=author,
        policy=applied,
        reason=reason,
        details=_details(signatures, spf, author, policy, aligned_sigs, spf_aligned, dmarc_word),
    )


def _details(
    signatures: list[SignatureResult],
    spf: SpfResult,
    author: str | None,
    policy: DmarcPolicy | None,
    aligned_sigs: set[int],
    spf_aligned: bool,
    dmarc_word: str = PERMERROR,
) -> tuple[dict[str, Any], ...]:
    rows: list[dict[str, Any]] = [
        {**s.to_dict(), "aligned": i in aligned_sigs} for i, s in enumerate(signatures)
    ]
    rows.append({**spf.to_dict(), "aligned": spf_aligned})
    rows.append(
        {
            "method": "dmarc",
            "result": dmarc_word,
            "from_domain": author,
            "record_domain": policy.record_domain if policy else None,
            "policy": applicable_policy(policy, author) if policy and author else None,
            "adkim": policy.adkim if policy else None,
            "aspf": policy.aspf if policy else None,
        }
    )
    return tuple(rows)
