"""Text preparation: strip quotes and signatures, split sentences, tokenise, fold diacritics."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_SPECIAL_FOLD = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ı": "i"})

# Reply prefixes in the subject ("Re:", "AW:", "SV:", "VS:", "Odp:", "Fwd:" ...).
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|odp|odpověď|fw|fwd|wg|vl|vb)\s*(?:\[\d+\])?\s*:\s*)+", re.I
)
_QUOTE_HEADER = re.compile(
    r"^\s*(?:on .{0,200} wrote:|am .{0,200} schrieb .{0,200}:|dne .{0,200} napsal.{0,20}:"
    r"|w dniu .{0,200} napisał.{0,20}:|den .{0,200} skrev .{0,200}:|.{0,200} kirjoitti:"
    r"|-{2,}\s*(?:original message|ursprüngliche nachricht|původní zpráva|alkuperäinen viesti"
    r"|oryginalna wiadomość|opprinnelig melding)\s*-{2,})\s*$",
    re.I,
)
_SENTENCE_END = re.compile(r"([.!?…]+)[\"'”»)]*(?:\s+|$)")
_TOKEN = re.compile(r"[^\W_]+(?:['’.\-/:][^\W_]+)*|[,;:()\[\]–—]|(?<=\s)-(?=\s)", re.UNICODE)
_EN_CLITIC = re.compile(r"^(.*?)(n't|'s|'re|'ve|'ll|'d|'m)$", re.I)
_EN_NOT = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}
# English contractions written without the apostrophe, and "cannot".
_EN_BARE = {
    "cannot": ("can", "not"),
    "cant": ("can", "not"),
    "dont": ("do", "not"),
    "doesnt": ("does", "not"),
    "didnt": ("did", "not"),
    "isnt": ("is", "not"),
    "arent": ("are", "not"),
    "wasnt": ("was", "not"),
    "werent": ("were", "not"),
    "havent": ("have", "not"),
    "hasnt": ("has", "not"),
    "couldnt": ("could", "not"),
}
BREAK_TOKENS = frozenset(",;:()[]–—-")


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Lower-case and strip diacritics: 'Výpadků' -> 'vypadku', 'Łącze' -> 'lacze'."""
    lowered = word.lower().translate(_SPECIAL_FOLD)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


def strip_reply_prefix(subject: str) -> tuple[str, bool]:
    """Return the subject without 'Re:'-style prefixes and whether there was one."""
    match = _REPLY_PREFIX.match(subject)
    if not match:
        return subject.strip(), False
    return subject[match.end() :].strip(), True


def clean_body(body: str) -> str:
    """Drop quoted earlier messages and the signature: they are not what the sender says now."""
    kept: list[str] = []
    for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.rstrip() == "--" or line == "-- ":
            break
        if _QUOTE_HEADER.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept)


def split_sentences(text: str, *, capital_breaks: bool = True) -> list[str]:
    """Split text into sentences.

    Lines of one paragraph are joined (mail is often hard-wrapped), except where a line ends a
    sentence, is a greeting/closing line followed by a capitalised line (``capital_breaks``;
    off for German, which capitalises nouns), or the next line is a list item.
    """
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in paragraph.split("\n") if ln.strip()]
        chunk: list[str] = []
        for i, line in enumerate(lines):
            chunk.append(line)
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if not nxt or _line_ends_sentence(line, nxt, capital_breaks):
                sentences.extend(_split_chunk(" ".join(chunk)))
                chunk = []
        if chunk:
            sentences.extend(_split_chunk(" ".join(chunk)))
    return sentences


def _line_ends_sentence(line: str, nxt: str, capital_breaks: bool) -> bool:
    if line[-1] in ".!?…:;":
        return True
    if nxt[0] in "-*•–" or nxt[0].isdigit():
        return True
    return capital_breaks and nxt[0].isupper()


def _split_chunk(chunk: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(chunk):
        if match.group(1) == "." and _is_abbreviation(chunk, match.start(), match.end()):
            continue
        parts.append(chunk[start : match.end()].strip())
        start = match.end()
    parts.append(chunk[start:].strip())
    return [p for p in parts if p]


# German dates: "vom 12. März" is no sentence end.
_CAPITALISED_MONTH = re.compile(
    r"(?:Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
    r"|Jan|Feb|Mär|Apr|Jun|Jul|Aug|Sep|Sept|Okt|Nov|Dez)\b"
)


def _is_abbreviation(chunk: str, dot: int, after: int) -> bool:
    """'ca. 9:30', 'kl. 9', 'Nr. 5', 'tzv. výpadek', 'am 12. März': a short word before the dot, no
    capital after (or a day number before a month name)."""
    word = re.search(r"(\w+)$", chunk[:dot])
    nxt = chunk[after : after + 1]
    if word is None or not nxt:
        return False
    if word.group(1).isdigit() and len(word.group(1)) <= 2 and _CAPITALISED_MONTH.match(chunk, after):
        return True
    return len(word.group(1)) <= 3 and (nxt.islower() or nxt.isdigit())


@dataclass(frozen=True)
class Token:
    text: str  # as written (after clitic splitting)
    folded: str
    is_break: bool


def tokenize(sentence: str) -> list[Token]:
    tokens: list[Token] = []
    for raw in _TOKEN.findall(sentence):
        found = _RAW_TOKENS.get(raw)
        if found is None:
            found = _tokens_of(raw)
        tokens.extend(found)
    return tokens


# The tokens of one word as written (immutable, so shared between sentences).
_RAW_TOKENS: dict[str, tuple[Token, ...]] = {}


def _tokens_of(raw: str) -> tuple[Token, ...]:
    if raw in BREAK_TOKENS:
        found: tuple[Token, ...] = (Token(raw, raw, True),)
    else:
        found = tuple(Token(part, fold(part), False) for part in _split_clitic(raw.replace("’", "'")))
    if len(_RAW_TOKENS) > 65_536:
        _RAW_TOKENS.clear()
    _RAW_TOKENS[raw] = found
    return found


def _split_clitic(word: str) -> list[str]:
    """English contractions: "doesn't" -> does not, "won't" -> will not, "it's" -> it."""
    if "'" not in word:
        bare = _EN_BARE.get(word.lower())
        return list(bare) if bare else [word]
    match = _EN_CLITIC.match(word)
    if not match or not match.group(1):
        return [word.strip("'")]
    stem, clitic = match.group(1), match.group(2).lower()
    if clitic == "n't":
        return [_EN_NOT.get(stem.lower(), stem), "not"]
    if clitic == "'ll":
        return [stem, "will"]
    return [stem]
