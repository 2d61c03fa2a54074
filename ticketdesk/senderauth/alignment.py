"""DMARC identifier alignment (RFC 7489 3.1), pure: strict = same domain, relaxed = same
organisational domain. The organisational domain comes from the Public Suffix List bundled with
the installed ``publicsuffixlist`` package (read offline, never downloaded)."""

from __future__ import annotations

import functools
from typing import Literal

from publicsuffixlist import PublicSuffixList

Mode = Literal["r", "s"]


@functools.cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def _clean(domain: str) -> str:
    return domain.strip().rstrip(".").lower()


def organizational_domain(domain: str) -> str:
    """The registrable domain (public suffix plus one label); a public suffix stays itself."""
    domain = _clean(domain)
    return _psl().privatesuffix(domain) or domain


def is_aligned(identifier: str | None, author: str | None, mode: Mode = "r") -> bool:
    """Is the authenticated ``identifier`` domain aligned with the ``author`` (From) domain?"""
    if not identifier or not author:
        return False
    identifier, author = _clean(identifier), _clean(author)
    if identifier == author:
        return True
    if mode == "s":
        return False
    return organizational_domain(identifier) == organizational_domain(author)
