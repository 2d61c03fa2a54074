"""Caller ID → the E.164 numbers it can stand for, and which stored numbers may match it (pure).

A PBX hands us the caller's number in whatever form its trunk delivers: ``+420777123456``,
``00420777123456``, national ``777123456`` / ``0171 1234567``, or sipgate.io's international digits
without the plus (``4915791234567``). Contacts' numbers are stored in E.164, so matching is string
equality once the caller ID has been read the right way. The right way depends on a region only
for national forms, and then there are three places a region can come from, in this order:

1. the *line* region: the country of the number that was called (our own line, ``to``), because a
   national caller ID is national from the PBX's point of view;
2. the configured default region (``TICKETDESK_DEFAULT_REGION``);
3. each organisation's own ``default_region``: a national reading in that region may only match
   contacts of organisations in that region (so a Finnish ``040 …`` is never matched to a Czech
   customer through the Czech reading of the same digits).

Nothing here is hard-coded to a country. Every reading is returned with its scope; the service looks
all of them up at once and ranks what it finds with :func:`rank`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ticketdesk.phone.numbers import normalize, region_of

_INTERNATIONAL = re.compile(r"^\s*(?:(?:tel|sips?):)?\s*(?:\+|00)")
_ANONYMOUS = frozenset({"anonymous", "unknown", "restricted", "private", "unavailable", "withheld"})


@dataclass(frozen=True)
class Reading:
    """One way to read the caller ID: the E.164 number, and for which organisations' regions it holds.

    ``region_scope`` None means any organisation (an unambiguous international form, or a national
    form read in the line's or the configured region); otherwise only organisations whose
    ``default_region`` is that region.
    """

    e164: str
    region_scope: str | None
    rank: int  # lower is more certain


@dataclass(frozen=True)
class Candidate:
    """A stored phone that equals one of the readings, with what the service knows about its owner."""

    contact_id: int
    organization_id: int
    org_region: str
    e164: str


def is_withheld(raw: str | None) -> bool:
    """True for an empty or suppressed caller ID ("anonymous", "unknown", …)."""
    text = (raw or "").strip().lower()
    return not text or text in _ANONYMOUS or not any(ch.isdigit() for ch in text)


def _valid_region(region: str | None) -> str | None:
    if not region:
        return None
    region = region.strip().upper()
    try:
        normalize("+420777123456", region)  # validates the region code itself
    except ValueError:
        return None
    return region


def readings(
    raw: str | None,
    *,
    line_regions: Sequence[str | None] = (),
    org_regions: Iterable[str] = (),
    digits_are_international: bool = False,
) -> list[Reading]:
    """Every E.164 number ``raw`` can stand for, most certain first (a number may appear once per scope).

    ``digits_are_international``: the source writes international numbers as bare digits
    (sipgate.io's ``4915791234567``); then that reading comes first, otherwise it is a last resort.
    """
    if is_withheld(raw):
        return []
    assert raw is not None
    found: dict[tuple[str, str | None], Reading] = {}

    def add(e164: str | None, scope: str | None, rank: int) -> None:
        if e164 is not None and (e164, scope) not in found:
            found[(e164, scope)] = Reading(e164, scope, rank)

    if _INTERNATIONAL.match(raw):
        add(normalize(raw, None), None, 0)
        return list(found.values())
    if digits_are_international:
        add(normalize(raw, None, bare_international=True), None, 1)
    for region in dict.fromkeys(r for r in (_valid_region(x) for x in line_regions) if r):
        add(normalize(raw, region), None, 2)
    for region in sorted({r for r in (_valid_region(x) for x in org_regions) if r}):
        add(normalize(raw, region), region, 3)
    if not digits_are_international:
        add(normalize(raw, None, bare_international=True), None, 4)
    return sorted(found.values(), key=lambda r: (r.rank, r.e164))


def line_region(
    called_number: str | None, default_region: str | None, *, digits_are_international: bool = False
) -> str | None:
    """The country of our own line (the called number), or None when it cannot be told."""
    if is_withheld(called_number):
        return None
    assert called_number is not None
    reads = readings(
        called_number, line_regions=[default_region], digits_are_international=digits_are_international
    )
    return region_of(reads[0].e164) if reads else None


def rank(found: Iterable[Candidate], reads: Sequence[Reading]) -> list[Candidate]:
    """The candidates a reading allows, best reading first; a contact appears once."""
    by_number: dict[str, list[Reading]] = {}
    for reading in reads:
        by_number.setdefault(reading.e164, []).append(reading)
    scored: dict[int, tuple[int, Candidate]] = {}
    for cand in found:
        allowed = [
            r.rank
            for r in by_number.get(cand.e164, [])
            if r.region_scope is None or r.region_scope == (cand.org_region or "").upper()
        ]
        if not allowed:
            continue
        best = min(allowed)
        if cand.contact_id not in scored or best < scored[cand.contact_id][0]:
            scored[cand.contact_id] = (best, cand)
    ordered = sorted(scored.values(), key=lambda item: (item[0], item[1].organization_id, item[1].contact_id))
    if not ordered:
        return []
    top = ordered[0][0]
    return [cand for score, cand in ordered if score == top]


def single_organization(cands: Sequence[Candidate]) -> int | None:
    """The organisation all candidates belong to, or None when there are none or several."""
    orgs = {c.organization_id for c in cands}
    return orgs.pop() if len(orgs) == 1 else None
