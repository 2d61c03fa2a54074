"""Phone numbers to E.164 and back (pure; libphonenumber's ``phonenumbers`` does the hard part).

Every stored contact phone and every incoming caller ID goes through ``normalize`` so that
matching a call to a contact is plain string equality on E.164 (``+420777123456``). National
forms need a region: there is no built-in default, the caller passes the organisation's or the
PBX's region (``"CZ"``, ``"FI"``, …), or ``None`` to accept international forms only.

Accepted, besides what libphonenumber parses itself: ``00`` international prefixes whatever the
region's own prefix is, ``tel:`` URIs (RFC 3966, with ``phone-context``), ``sip:``/``sips:``
URIs, ``+49 (0)171 …`` with the customary ``(0)``, separators (spaces, no-break spaces, dashes,
dots, slashes, parentheses) and an extension (``ext. 12``, ``x12``, ``;ext=12``), which is
dropped because E.164 has none. Letters (vanity numbers, "anonymous", "unknown") are rejected.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType

_EXTENSION = re.compile(r"\s*(?:[;,]\s*ext\s*=|ext\.?|extension|x|#)\s*\d{1,7}\s*$", re.IGNORECASE)
_TRUNK_ZERO = re.compile(r"\(\s*0\s*\)")
_ALLOWED = re.compile(r"^[+\d\s\-./()\u00a0\u2000-\u200b\u2010-\u2015\u202f\u3000]+$")
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def _region(default_region: str | None) -> str | None:
    if not default_region:
        return None
    region = default_region.strip().upper()
    region = "GB" if region == "UK" else region
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(
            f"unknown phone region {default_region!r}: expected an ISO 3166 code such as CZ, FI, DE"
        )
    return region


def _strip_uri(raw: str) -> str:
    text = raw.strip()
    lower = text.lower()
    if lower.startswith(("sip:", "sips:")):
        text = text.split(":", 1)[1].split("@", 1)[0].split(";", 1)[0]
    elif lower.startswith("tel:"):
        body, *params = text[4:].split(";")
        context = ""
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "phone-context" and value.strip().startswith("+"):
                context = value.strip()
        text = body if body.strip().startswith("+") or not context else context + body
    return text


def _parse(raw: str, region: str | None, bare_international: bool) -> PhoneNumber | None:
    text = _EXTENSION.sub("", _strip_uri(raw)).strip()
    if not text or not _ALLOWED.match(text) or not any(c.isdigit() for c in text):
        return None
    digits = re.sub(r"\D", "", text)
    international = text.startswith("+") or digits.startswith("00")
    if international:
        text = _TRUNK_ZERO.sub(" ", text)
    candidates: list[tuple[str, str | None]] = []
    if bare_international and not text.startswith("+") and not digits.startswith("0"):
        candidates.append(("+" + digits, None))
    candidates.append((text, region))
    if digits.startswith("00") and not text.startswith("+"):
        candidates.append(("+" + digits[2:], None))
    for candidate, where in candidates:
        try:
            number = phonenumbers.parse(candidate, where)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            number.extension = None
            return number
    return None


def normalize(
    number: str | None, default_region: str | None, *, bare_international: bool = False
) -> str | None:
    """E.164 form of ``number`` (``+420777123456``), or None when it is not a valid number.

    ``default_region`` (ISO 3166 alpha-2, e.g. ``"CZ"``) resolves national forms such as
    ``777 123 456`` or ``040 123 4567``; ``None`` accepts international forms only. An unknown
    region raises ValueError (a configuration mistake, not bad input).
    ``bare_international=True`` reads digits without ``+`` or a leading 0 as international first
    (``4915791234567`` from sipgate.io), falling back to the national reading.
    """
    region = _region(default_region)
    if not number or not number.strip():
        return None
    parsed = _parse(number, region, bare_international)
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164) if parsed else None


def normalize_or_raise(
    number: str | None, default_region: str | None, *, bare_international: bool = False
) -> str:
    """Like ``normalize`` but raise ValueError with a message fit to show to the person who typed it."""
    e164 = normalize(number, default_region, bare_international=bare_international)
    if e164 is None:
        shown = (number or "").strip()[:40]
        where = f" or a national number for region {_region(default_region)}" if default_region else ""
        raise ValueError(
            f"{shown!r} is not a valid phone number: use the international form (+420 777 123 456){where}"
        )
    return e164


def _parse_e164(e164: str) -> PhoneNumber | None:
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def region_of(e164: str) -> str | None:
    """ISO region of an E.164 number (``+358401234567`` -> ``"FI"``), None when invalid."""
    number = _parse_e164(e164)
    if number is None:
        return None
    region = phonenumbers.region_code_for_number(number)
    return region if region and region != "ZZ" else None


def is_mobile(e164: str) -> bool:
    """True when the number can be a mobile one (worth an SMS)."""
    number = _parse_e164(e164)
    return number is not None and phonenumbers.number_type(number) in _MOBILE_TYPES


def format_display(e164: str, viewer_region: str | None = None) -> str:
    """Readable form: ``+420 777 123 456``; national (``0171 1234567``) for a viewer in that region.

    A string that is not a valid E.164 number is returned unchanged.
    """
    number = _parse_e164(e164)
    if number is None:
        return e164
    region = _region(viewer_region)
    if region and phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
