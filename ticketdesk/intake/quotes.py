"""Plain-text reply structure: format=flowed text (RFC 3676) and the quoted part of a reply.

``split_quoted`` separates what the sender wrote now from the earlier conversation they quoted, using
the attribution lines of the maintained ``mail-parser-reply`` package (en, cs, de, pl, …), our own
patterns for the languages it lacks (fi ``kirjoitti:``, nb ``skrev:``, pl ``W dniu … pisze:``) and
client separators, and a trailing block of ``>`` lines. Interleaved answers are never folded away.
"""

from __future__ import annotations

import re

from mailparser_reply.constants import MAIL_LANGUAGES
from mailparser_reply.parser import EmailMessage

_DEFAULT_LANGUAGES = ("en", "cs", "de")
_ALIASES = {"nb": "da", "no": "da", "nn": "da", "sk": "cs"}
_MAX_LINE = 300
_MAX_CANDIDATES = 300
_Q = r"(?:>\s?)*"
_ATTRIBUTION = re.compile(
    rf"^{_Q}(?:"
    r"On\s.{3,250}\swrote\s?:"
    r"|Dne\s.{3,250}\s(?:napsal|napsala|napsal\(a\)|napísal|napísala|napísal\(a\))\s?:"
    r"|.{3,250}\s(?:napsal|napsala|napsal\(a\))\s?:"
    r"|Am\s.{3,250}\sschrieb\s.{0,200}:|.{3,250}\sschrieb(?:\s.{0,200})?:"
    r"|(?:W dniu|Dnia)\s.{3,250}\s(?:pisze|napisał|napisała|napisał\(a\)|nadesłał)\s?:"
    r"|.{3,250}\s(?:pisze|napisał|napisała|napisał\(a\))\s?:"
    r"|.{3,250}\skirjoitti\s?:"
    r"|.{3,250}\sskrev(?:\sfølgende|\s.{1,200})?\s?:"
    r"|Le\s.{3,250}\sa écrit\s?:"
    r")\s*$",
    re.I,
)
_SEPARATOR = re.compile(
    rf"^{_Q}(?:-{{2,}}|_{{2,}}|={{2,}})?\s*(?:"
    r"original message|původní zpráva|původní e-mail|původní e-mailová zpráva|ursprüngliche nachricht"
    r"|originalnachricht|oryginalna wiadomość|wiadomość oryginalna|alkuperäinen viesti|opprinnelig melding"
    r"|originalmelding|ursprungligt meddelande|oprindelig meddelelse|message d'origine"
    r")\s*(?:-{2,}|_{2,}|={2,})?\s*$",
    re.I,
)
_FROM_LINE = re.compile(rf"^{_Q}\*?(?:from|od|von|lähettäjä|fra|från|de|van)\s?\*?:\s*\S", re.I)
_SENT_LINE = re.compile(
    rf"^{_Q}\*?(?:sent|date|odesláno|datum|gesendet|lähetetty|sendt|skickat|wysłano|data|envoyé|päivämäärä)"
    r"\s?\*?:\s*\S",
    re.I,
)
_EVIDENCE = re.compile(r"\d|@")
_RULE = re.compile(r"^\s*[_\-=*]{8,}\s*$")
_WRAPPED_START = re.compile(rf"^{_Q}(?:On|Dne|Am|W dniu|Dnia|Le|Den)\s", re.I)
_FIELD = re.compile(r"^[>* ]*[^\W\d_][\w ()\-]{0,30}:")
_HEADERISH = re.compile(r"^[>* ]*[^\W\d_][\w ()\-]{0,30}:|:\s*$")


def split_quoted(text: str, language_hint: str | None = None) -> tuple[str, str]:
    """``(new_text, quoted_text)``: the new part of a reply and the conversation quoted below it.

    ``quoted_text`` is ``""`` when nothing is quoted; ``new_text`` is ``""`` when the whole message is
    a quote (a forward without comment).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    found = (_library_split(lines, language_hint), _pattern_split(lines), _trailing_quote(lines))
    candidates = [c for c in found if c is not None and _folds_cleanly(lines, c)]
    if not candidates:
        return text.strip("\n"), ""
    split = min(candidates)
    above = split - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    if above >= 0 and _RULE.match(lines[above]):  # Outlook's line of underscores belongs to the quote
        split = above
    return "\n".join(lines[:split]).rstrip(), "\n".join(lines[split:]).strip("\n")


def _languages(hint: str | None) -> list[str]:
    primary = (hint or "").strip().lower().replace("_", "-").split("-")[0]
    primary = _ALIASES.get(primary, primary)
    if primary in MAIL_LANGUAGES:
        return list(dict.fromkeys([primary, "en"]))
    return list(_DEFAULT_LANGUAGES)


def _library_split(lines: list[str], hint: str | None) -> int | None:
    """First attribution/header line found by mail-parser-reply's per-language patterns.

    Only short lines that can be a header reach its regular expressions (some backtrack badly on long
    lines); the line count is kept so a match maps back to its line.
    """
    kept = 0
    shown: list[str] = []
    for line in lines:
        line = line.strip()
        if len(line) <= _MAX_LINE and kept < _MAX_CANDIDATES and _HEADERISH.search(line):
            kept += 1
            shown.append(line)
        else:
            shown.append("")
    norm = "\n".join(shown)
    message = EmailMessage(text="", languages=_languages(hint))
    for m in message.HEADER_REGEX.finditer(norm):
        matched = [line.strip() for line in m.group(0).split("\n") if line.strip()]
        if not matched or not _opens_quote(matched):
            continue  # e.g. "Data: …" and "Do: …" lines of a Polish message are no quoted header block
        start = m.start()
        while start < len(norm) and norm[start] == "\n":
            start += 1
        return norm.count("\n", 0, start)
    return None


def _opens_quote(lines: list[str]) -> bool:
    first = lines[0]
    if first.endswith(":") or _SEPARATOR.match(first) or _RULE.match(first):
        return True
    return bool(_FROM_LINE.match(first)) and sum(1 for line in lines if _FIELD.match(line)) >= 2


def _pattern_split(lines: list[str]) -> int | None:
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line or len(line) > 2 * _MAX_LINE:
            continue
        if _SEPARATOR.match(line) or _attribution(line):
            return i
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if _WRAPPED_START.match(line) and nxt.endswith(":") and not line.endswith(":"):
            if _attribution(f"{line} {nxt}"):
                return i
        if _FROM_LINE.match(line) and any(_SENT_LINE.match(n.strip()) for n in lines[i + 1 : i + 4]):
            return i
    return None


def _attribution(line: str) -> bool:
    """An "On <date>, <someone> wrote:" line; real ones carry a date, a time or an address, which
    keeps "As my colleague wrote:" in the new text."""
    return bool(_ATTRIBUTION.match(line)) and bool(_EVIDENCE.search(line))


def _trailing_quote(lines: list[str]) -> int | None:
    """Start of a block of ``>`` lines that runs to the end of the message."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (lines[start - 1].lstrip().startswith(">") or not lines[start - 1].strip()):
        start -= 1
    while start < end and not lines[start].strip():
        start += 1
    return start if start < end else None


def _folds_cleanly(lines: list[str], split: int) -> bool:
    """False when the quoted part is answered inline (unquoted lines after ``>`` lines)."""
    rest = [line.strip() for line in lines[split + 1 :] if line.strip()]
    if not rest or not rest[0].startswith(">"):
        return True
    seen_quote = False
    for line in rest:
        if line.startswith(">"):
            seen_quote = True
        elif seen_quote:
            return False
    return True


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join the soft line breaks of ``format=flowed`` text (RFC 3676), quote depth by quote depth."""
    out: list[str] = []
    para: str | None = None
    depth = 0
    for line in text.split("\n"):
        stripped = line.lstrip(">")
        line_depth = len(line) - len(stripped)
        if stripped.startswith(" "):
            stripped = stripped[1:]
        if para is not None and (line_depth != depth or stripped == "-- "):
            out.append(">" * depth + (" " if depth else "") + para)
            para = None
        depth = line_depth
        soft = stripped.endswith(" ") and stripped != "-- "
        content = stripped[:-1] if soft and delsp else stripped
        para = content if para is None else para + content
        if not soft:
            out.append(">" * depth + (" " if depth else "") + para)
            para = None
    if para is not None:
        out.append(">" * depth + (" " if depth else "") + para)
    return "\n".join(out)
