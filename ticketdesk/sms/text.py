"""SMS text arithmetic: encoding, segment counting, clean truncation, GSM transliteration (pure).

An SMS is sent in the GSM 03.38 7-bit default alphabet when every character is in its basic
table or its extension table (3GPP TS 23.038; an extension character costs an escape plus the
character, 2 septets), otherwise in UCS-2, counted in UTF-16 code units (so an emoji outside
the Basic Multilingual Plane costs 2). One segment holds 160 septets / 70 units; a concatenated
message loses room to its header and holds 153 / 67 per segment. A 2-unit character is never
split across two segments, so the count is done by packing, not by dividing.

One Czech ``ř`` turns a 160-character GSM text into a 3-segment UCS-2 one; a caller that must
fit a budget can ``transliterate_for_gsm`` first and then ``truncate_to_segments``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

Encoding = Literal["gsm7", "ucs2"]

GSM_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION: Final = frozenset("\f^{}\\[~]|€")
GSM_CHARS: Final = GSM_BASIC | GSM_EXTENSION

#: (single-segment capacity, capacity per segment of a concatenated message)
CAPACITY: Final[dict[str, tuple[int, int]]] = {"gsm7": (160, 153), "ucs2": (70, 67)}

_ZERO_WIDTH_JOINERS: Final = frozenset("\u200d\ufe0e\ufe0f")
_TRAILING_JUNK: Final = " \t\r\n,;:-–—(/&"


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """How a text will travel: its encoding, number of segments and size in septets/code units."""

    encoding: Encoding
    segments: int
    units: int
    remaining: int  # units still free in the last segment

    @property
    def per_segment(self) -> int:
        single, multi = CAPACITY[self.encoding]
        return single if self.segments <= 1 else multi


def is_gsm7(text: str) -> bool:
    """True when the whole text can be sent in the GSM 7-bit alphabet."""
    return all(ch in GSM_CHARS for ch in text)


def _costs(text: str, encoding: Encoding) -> list[int]:
    if encoding == "gsm7":
        return [2 if ch in GSM_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(costs: list[int], encoding: Encoding) -> tuple[int, int]:
    """Return (segments, free units in the last segment)."""
    single, multi = CAPACITY[encoding]
    total = sum(costs)
    if total == 0:
        return 0, single
    if total <= single:
        return 1, single - total
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments, used = segments + 1, 0
        used += cost
    return segments, multi - used


def segments(text: str) -> SegmentInfo:
    """Encoding and segment count of ``text`` as a gateway would send it (empty text: 0 segments)."""
    encoding: Encoding = "gsm7" if is_gsm7(text) else "ucs2"
    costs = _costs(text, encoding)
    count, remaining = _pack(costs, encoding)
    return SegmentInfo(encoding, count, sum(costs), remaining)


def _ellipsis_for(prefix: str, ellipsis: str | None) -> str:
    if ellipsis is not None:
        return ellipsis
    return "..." if is_gsm7(prefix) else "…"


def _fits(prefix: str, ellipsis: str | None, max_segments: int) -> bool:
    return segments(prefix + _ellipsis_for(prefix, ellipsis)).segments <= max_segments


def _clean_cut(text: str, n: int) -> int:
    """Move a cut point left so it never separates a character from its combining marks/joiners."""
    while 0 < n < len(text) and (
        unicodedata.combining(text[n]) or text[n] in _ZERO_WIDTH_JOINERS or text[n - 1] == "\u200d"
    ):
        n -= 1
    return n


def truncate_to_segments(text: str, max_segments: int, *, ellipsis: str | None = None) -> str:
    """Shorten ``text`` to at most ``max_segments`` segments, cutting at a word boundary.

    A text that already fits is returned unchanged. Otherwise the longest prefix that fits
    together with an ellipsis is kept, shortened to the last whitespace when that loses less than
    a third of it (a single very long word is cut hard), with trailing spaces and punctuation
    removed. The default ellipsis is ``...`` for GSM text (``…`` is not in the GSM alphabet and
    would switch the message to UCS-2) and ``…`` for UCS-2 text.
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if segments(text).segments <= max_segments:
        return text
    lo, hi = 0, len(text)  # invariant: prefix of length lo fits, length hi does not
    if not _fits("", ellipsis, max_segments):
        raise ValueError(f"the ellipsis {ellipsis!r} alone does not fit in {max_segments} segment(s)")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _fits(text[:mid], ellipsis, max_segments):
            lo = mid
        else:
            hi = mid
    cut = _clean_cut(text, lo)
    prefix = text[:cut]
    if cut < len(text) and not text[cut].isspace():
        space = max(prefix.rfind(ch) for ch in (" ", "\n", "\t", "\u00a0"))
        if space > 0 and space >= cut * 2 // 3:
            prefix = prefix[:space]
    stripped = prefix.rstrip(_TRAILING_JUNK)
    prefix = stripped or prefix
    while prefix and not _fits(prefix, ellipsis, max_segments):  # defensive: never over budget
        prefix = prefix[: _clean_cut(prefix, len(prefix) - 1)]
    return prefix + _ellipsis_for(prefix, ellipsis)


_TRANSLIT: Final[dict[str, str]] = {
    "„": '"',
    "“": '"',
    "”": '"',
    "«": '"',
    "»": '"',
    "″": '"',
    "‚": "'",
    "‘": "'",
    "’": "'",
    "‹": "'",
    "›": "'",
    "′": "'",
    "`": "'",
    "´": "'",
    "–": "-",
    "—": "-",
    "―": "-",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "−": "-",
    "…": "...",
    "•": "*",
    "·": ".",
    "×": "x",
    "\t": " ",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "œ": "oe",
    "Œ": "OE",
    "ı": "i",
}


def _transliterate_char(ch: str) -> str | None:
    if ch in GSM_CHARS:
        return ch
    if ch in _TRANSLIT:
        return _TRANSLIT[ch]
    if unicodedata.category(ch) == "Zs":  # no-break and other spaces
        return " "
    decomposed = unicodedata.normalize("NFKD", ch)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    if plain and all(c in GSM_CHARS for c in plain):
        return plain
    return None


def transliterate_for_gsm(text: str, *, replacement: str | None = None) -> str:
    """Replace characters outside the GSM alphabet by their closest GSM spelling.

    Czech and Polish diacritics lose their marks (``ř``→``r``, ``ů``→``u``, ``ł``→``l``,
    ``ź``→``z``), typographic quotes and dashes become ASCII; letters that GSM has (``é ä ö ü
    å æ ø ß``) are kept. Characters with no GSM spelling (emoji, Cyrillic, CJK) are kept as they
    are, or replaced by ``replacement`` when given, so the caller can decide.
    """
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        mapped = _transliterate_char(ch)
        if mapped is None:
            mapped = ch if replacement is None else replacement
        out.append(mapped)
    return "".join(out)
