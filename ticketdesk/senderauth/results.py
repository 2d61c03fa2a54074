"""Result records of the sender checks, in RFC 8601 (Authentication-Results) words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

PASS = "pass"
FAIL = "fail"
NONE = "none"
NEUTRAL = "neutral"
SOFTFAIL = "softfail"
POLICY = "policy"  # DKIM: signed, verified, but not acceptable (l= with unsigned content, rsa-sha1...)
TEMPERROR = "temperror"
PERMERROR = "permerror"

RESULT_WORDS = frozenset({PASS, FAIL, NONE, NEUTRAL, SOFTFAIL, POLICY, TEMPERROR, PERMERROR})

Verdict = Literal["authenticated", "held"]


@dataclass(frozen=True)
class SignatureResult:
    """One DKIM signature: who signed (d=), with which selector/algorithm, and what came out."""

    domain: str
    selector: str
    algorithm: str
    result: str
    reason: str = ""
    source: str = "local"  # "local" = verified here, else the trusted authserv-id that reported it

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "dkim",
            "domain": self.domain,
            "selector": self.selector,
            "algorithm": self.algorithm,
            "result": self.result,
            "reason": self.reason,
            "source": self.source,
        }


@dataclass(frozen=True)
class SpfResult:
    """SPF for one identity: the MAIL FROM domain, or the HELO name when MAIL FROM was empty."""

    result: str
    domain: str | None = None
    identity: Literal["mailfrom", "helo"] | None = None
    ip: str | None = None
    helo: str | None = None
    mail_from: str | None = None
    reason: str = ""
    source: str = "local"

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "spf",
            "result": self.result,
            "domain": self.domain,
            "identity": self.identity,
            "ip": self.ip,
            "helo": self.helo,
            "mail_from": self.mail_from,
            "reason": self.reason,
            "source": self.source,
        }


@dataclass(frozen=True)
class DmarcPolicy:
    """A parsed ``v=DMARC1`` record and the domain it was found at."""

    record_domain: str
    p: str = "none"
    sp: str | None = None
    adkim: Literal["r", "s"] = "r"
    aspf: Literal["r", "s"] = "r"
    pct: int = 100
    record: str = ""


@dataclass(frozen=True)
class AuthResult:
    """The outcome of :func:`ticketdesk.senderauth.check.check_sender`.

    ``authenticated`` is True when a DKIM pass or an SPF pass is aligned with the From domain.
    ``temporary`` means a temperror kept a result from being decided, so a later retry may
    authenticate the message. A DMARC ``p=reject`` is only recorded in ``policy``: the caller
    holds such a message, it never drops it.
    """

    dkim: str
    spf: str
    dmarc: str
    authenticated: bool
    aligned_by: Literal["dkim", "spf"] | None
    temporary: bool
    from_domain: str | None
    policy: str | None = None  # the DMARC policy that applies to the From domain (none/quarantine/reject)
    reason: str = ""
    details: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def verdict_word(self, hold_pending: bool) -> Verdict:
        """``authenticated`` when the checks passed, or when the sender confirmed authorship by
        the link (no hold pending any more); ``held`` while a hold awaits confirmation."""
        if self.authenticated or not hold_pending:
            return "authenticated"
        return "held"

    def to_dict(self) -> dict[str, Any]:
        return {
            "dkim": self.dkim,
            "spf": self.spf,
            "dmarc": self.dmarc,
            "authenticated": self.authenticated,
            "aligned_by": self.aligned_by,
            "temporary": self.temporary,
            "from_domain": self.from_domain,
            "policy": self.policy,
            "reason": self.reason,
            "details": [dict(d) for d in self.details],
        }
