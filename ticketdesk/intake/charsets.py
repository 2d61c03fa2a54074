"""Charset names as mail really uses them, and MIME decoding (RFC 2045/2047/2231) that never raises.

Mail clients label text with names Python does not know (``x-mac-cyrillic``, ``ks_c_5601-1987``), with
names of a narrower charset than the bytes really use (``gb2312`` for GBK text, ``iso-8859-1`` for
windows-1252, ``shift_jis`` for Microsoft's cp932) and sometimes with a name that is plainly wrong
(UTF-8 bytes labelled ``iso-8859-1``). Everything here returns clean ``str``: no NUL characters, no lone
surrogates (PostgreSQL stores neither), undecodable bytes replaced by U+FFFD.
"""

from __future__ import annotations

import binascii
import codecs
import re
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from urllib.parse import unquote_to_bytes

# Label (lower case, as written in mail) → Python codec. Supersets are preferred where the label is
# routinely used for text in the superset (the same choice the WHATWG Encoding Standard makes).
CHARSET_ALIASES: dict[str, str] = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "unicode-2-0-utf-7": "utf-7",
    "x-unicode20utf8": "utf-8",
    "unicode": "utf-16",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "l1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "x-user-defined": "cp1252",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-ukrainian": "mac_cyrillic",
    "x-mac-ce": "mac_latin2",
    "x-mac-centraleurroman": "mac_latin2",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "mac": "mac_roman",
    "x-mac-greek": "mac_greek",
    "x-mac-turkish": "mac_turkish",
    "x-mac-icelandic": "mac_iceland",
    "gb2312": "gb18030",
    "iso-gb2312": "gb18030",
    "x-gbk": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ks_c_5601-1989": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "korean": "cp949",
    "euc-kr": "cp949",
    "x-euc-kr": "cp949",
    "x-windows-949": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "x-shift_jis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "csiso2022jp": "iso2022_jp_ext",
    "euc-jp": "euc_jis_2004",
    "x-euc-jp": "euc_jis_2004",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "iso-8859-8-e": "iso8859_8",
    "iso-8859-6-e": "iso8859_6",
    "cp-850": "cp850",
    "cp-1250": "cp1250",
    "cp-1251": "cp1251",
    "cp-1252": "cp1252",
    "windows-1250": "cp1250",
    "windows-1251": "cp1251",
    "windows-1252": "cp1252",
    "x-cp1250": "cp1250",
    "x-cp1251": "cp1251",
    "ibm852": "cp852",
    "ibm866": "cp866",
    "koi8": "koi8_r",
    "koi8r": "koi8_r",
    "koi8-ru": "koi8_u",
}

# Labels that name no charset: the bytes are guessed.
UNKNOWN_LABELS = frozenset(
    {
        "",
        "unknown",
        "unknown-8bit",
        "x-unknown",
        "x-unknown-8bit",
        "8bit",
        "default",
        "charset",
        "none",
        "auto",
    }
)
# Codecs that are text encodings in Python's sense but never a mail charset.
_REFUSED = frozenset({"undefined", "unicode_escape", "raw_unicode_escape", "punycode", "idna", "mbcs", "oem"})
_SINGLE_BYTE = re.compile(r"^(?:iso8859|cp1[12]5|cp8|cp4|latin|koi8|mac-|cp874|ascii|kz1048|ptcp154)")
# ISO labels that Windows clients put on text in the Windows code page: C1 bytes (0x80–0x9F) never occur
# in real ISO-8859 text, so their presence tells which one the bytes are.
_WINDOWS_FOR_ISO = {
    "iso8859-2": "cp1250",
    "iso8859-5": "cp1251",
    "iso8859-7": "cp1253",
    "iso8859-8": "cp1255",
    "iso8859-6": "cp1256",
    "iso8859-4": "cp1257",
    "iso8859-13": "cp1257",
    "latin-1": "cp1252",
    "iso8859-15": "cp1252",
}
_C1 = re.compile(rb"[\x80-\x9f]")
_CLEAN = re.compile("[\x00\ud800-\udfff]")
_codec_cache: dict[str, str | None] = {}


def clean_text(text: str) -> str:
    """Drop NUL characters and a leading byte-order mark, replace lone surrogates (no database or JSON
    encoder accepts them)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" not in text and not _has_surrogate(text):
        return text
    return _CLEAN.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def normalize_charset(label: str | None) -> str | None:
    """The Python codec name for a charset label as found in mail, or ``None`` when it names nothing."""
    if label is None:
        return None
    key = label.strip().strip("\"'").strip().lower().split("*", 1)[0]
    if key in _codec_cache:
        return _codec_cache[key]
    result = _lookup(key)
    if len(_codec_cache) < 512:
        _codec_cache[key] = result
    return result


def _lookup(key: str) -> str | None:
    if key in UNKNOWN_LABELS or len(key) > 40:
        return None
    candidates = [CHARSET_ALIASES.get(key, key)]
    if key.startswith("x-"):
        candidates.append(CHARSET_ALIASES.get(key[2:], key[2:]))
    if m := re.fullmatch(r"(?:windows|win|ms|cp|ibm)[-_ ]?(\d{3,5})", key):
        candidates.append(f"cp{m.group(1)}")
    for name in candidates:
        if name in CHARSET_ALIASES:
            name = CHARSET_ALIASES[name]
        try:
            info = codecs.lookup(name)
        except (LookupError, ValueError):
            continue
        if getattr(info, "_is_text_encoding", True) and info.name.replace("-", "_") not in _REFUSED:
            return CHARSET_ALIASES.get(info.name, info.name)
    return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode body or header bytes labelled ``charset``; never raises.

    Unknown or missing labels: UTF-8 when the bytes are valid UTF-8, else windows-1252. A single-byte
    label on bytes that are valid, non-ASCII UTF-8 is taken as mislabelled UTF-8. A label the bytes do not
    fit is retried as UTF-8 before decoding with replacement characters.
    """
    if not data:
        return ""
    codec = normalize_charset(charset)
    if data.isascii() and (codec is None or _SINGLE_BYTE.match(codec) or codec == "utf-8"):
        return clean_text(data.decode("ascii"))
    if codec is None or codec == "ascii" or _SINGLE_BYTE.match(codec):
        try:
            return clean_text(data.decode("utf-8"))
        except UnicodeDecodeError:
            pass
        if codec is None or codec == "ascii":
            codec = "cp1252"
        elif codec in _WINDOWS_FOR_ISO and _C1.search(data):
            codec = _WINDOWS_FOR_ISO[codec]
    try:
        return clean_text(data.decode(codec))
    except UnicodeDecodeError:
        pass
    except Exception:  # a codec that fails in other ways on hostile input  # noqa: BLE001
        return clean_text(data.decode("utf-8", "replace"))
    if codec != "utf-8":
        try:
            return clean_text(data.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    try:
        return clean_text(data.decode(codec, "replace"))
    except Exception:  # noqa: BLE001
        return clean_text(data.decode("utf-8", "replace"))


def sniff_html_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in a ``<meta>`` near its start, if any."""
    m = re.search(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", data[:4096], re.I)
    return m.group(1).decode("ascii") if m else None


# --- RFC 2047 encoded words and 8-bit header bytes -------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_CRLF = re.compile(r"[\r\n]+")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


def raw_header_bytes(value: str) -> bytes:
    """The original bytes of a header value read from ``message_from_bytes`` (surrogate-escaped)."""
    return value.encode("utf-8", "surrogateescape")


def decode_header_value(value: str, fallback_charset: str | None = None) -> str:
    """Unfold and decode a raw header value: 8-bit bytes (UTF-8, else ``fallback_charset``) and
    RFC 2047 encoded words, including the broken forms real mail has (words inside quotes or glued to
    text, multibyte characters split over two words, unknown charsets, bad padding)."""
    if not value:
        return ""
    value = _CRLF.sub(" ", _FOLD.sub("", value))
    if not value.isascii():
        value = decode_bytes(raw_header_bytes(value), fallback_charset)
    if "=?" not in value:
        return clean_text(value)
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    pos = 0
    after_word = False

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            out.append(decode_bytes(b"".join(pending), pending_charset or "utf-8"))
        pending, pending_charset = [], None

    for m in _ENCODED_WORD.finditer(value):
        word = _decode_word(m.group(2), m.group(3))
        if word is None:
            continue
        gap = value[pos : m.start()]
        charset = m.group(1).split("*", 1)[0].lower()
        if gap and not (after_word and gap.isspace()):
            flush()
            out.append(gap)
        elif pending and charset != pending_charset:
            flush()
        pending.append(word)
        pending_charset = charset
        pos = m.end()
        after_word = True
    flush()
    out.append(value[pos:])
    return clean_text("".join(out))


def _decode_word(kind: str, payload: str) -> bytes | None:
    try:
        raw = payload.encode("utf-8", "surrogateescape")
        if kind in "bB":
            raw = _B64_JUNK.sub(b"", raw)
            if len(raw) % 4 == 1:
                raw = raw[:-1]
            return binascii.a2b_base64(raw + b"=" * (-len(raw) % 4))
        return binascii.a2b_qp(raw, header=True)
    except (binascii.Error, ValueError):
        return None


def decode_8bit_header(value: str, charset: str | None) -> str:
    """Unfold a raw header and decode its 8-bit bytes, leaving encoded words intact (address and
    parameter parsing must see them before they are decoded)."""
    protected = value.replace("=?", "=\x01?")
    return decode_header_value(protected, charset).replace("=\x01?", "=?")


_PARAM = re.compile(r';\s*([^\s=;"]+)\s*(?:=\s*("(?:\\.|[^"\\])*"?|[^;]*))?')
_CONTINUATION = re.compile(r"^(.+?)\*(\d{1,3})(\*?)$")


def mime_params(raw: str) -> tuple[str, dict[str, str]]:
    """Main value and parameters of a raw MIME header (Content-Type, Content-Disposition), with quoted
    strings, RFC 2231 continuations and charsets, and 8-bit bytes decoded; names are lower case."""
    value = decode_8bit_header(raw, None)
    main, sep, rest = value.partition(";")
    params: dict[str, str] = {}
    pieces: dict[str, dict[int, tuple[str, bool]]] = {}
    for m in _PARAM.finditer(sep + rest):
        name, val = m.group(1).lower(), (m.group(2) or "").strip()
        if val.startswith('"'):
            val = re.sub(r"\\(.)", r"\1", val[1:-1] if len(val) > 1 and val.endswith('"') else val[1:])
        if cont := _CONTINUATION.match(name):
            pieces.setdefault(cont.group(1), {})[int(cont.group(2))] = (val, bool(cont.group(3)))
        elif name.endswith("*"):
            pieces.setdefault(name[:-1], {})[0] = (val, True)
        else:
            params.setdefault(name, val)
    for name, segments in pieces.items():
        charset, chunks = None, []
        for index in sorted(segments):
            val, encoded = segments[index]
            if encoded:
                if index == min(segments) and val.count("'") >= 2:
                    charset, _, val = val.split("'", 2)
                chunks.append(unquote_to_bytes(val))
            else:
                chunks.append(val.encode("utf-8", "surrogateescape"))
        params[name] = decode_bytes(b"".join(chunks), charset or "utf-8")
    return main, params


def decode_transfer_encoding(raw: bytes, cte: str) -> bytes:
    """Undo base64 or quoted-printable leniently (junk characters, missing padding); other encodings
    (7bit, 8bit, binary, unknown) are returned as they are."""
    try:
        if cte == "base64":
            clean = _B64_JUNK.sub(b"", raw)
            if len(clean) % 4 == 1:
                clean = clean[:-1]
            return binascii.a2b_base64(clean + b"=" * (-len(clean) % 4))
        if cte == "quoted-printable":
            return binascii.a2b_qp(raw)
    except (binascii.Error, ValueError):
        return raw
    return raw


# --- Addresses ---------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def parse_address_list(value: str) -> list[tuple[str, str]]:
    """``(display name, address)`` pairs of an address header whose 8-bit bytes are already decoded
    (encoded words are decoded here, after splitting, so a decoded comma cannot split a name);
    a bare ``Name user@domain`` without brackets still yields its address."""
    out: list[tuple[str, str]] = []
    try:
        pairs = getaddresses([value])
    except Exception:  # noqa: BLE001
        pairs = []
    for name, addr in pairs:
        addr = addr.strip().strip("<>").strip()
        if "@" not in addr or any(c.isspace() for c in addr) or addr.count("@") > 1:
            continue
        out.append((_display_name(name), _norm_addr(addr)))
    if not out:
        for m in _EMAIL.finditer(value):
            rest = value.replace(m.group(0), "").strip(" \t<>\"',;")
            out.append(
                (_display_name(rest) if len(_EMAIL.findall(value)) == 1 else "", _norm_addr(m.group(0)))
            )
    return out


def _display_name(name: str) -> str:
    decoded = decode_header_value(name) if "=?" in name else name
    return " ".join(decoded.split()).strip("\"' ")[:300]


def _norm_addr(addr: str) -> str:
    local, _, domain = addr.rpartition("@")
    return clean_text(f"{local}@{domain.lower().rstrip('.')}")[:320]


def parse_date(value: str | None) -> datetime | None:
    """A Date header as an aware UTC datetime (RFC 5322 with obsolete forms, or ISO 8601); None when
    missing or unusable. A date without zone (``-0000``) is taken as UTC."""
    if not value:
        return None
    value = " ".join(value.split())
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def parse_return_path(value: str | None) -> str | None:
    """The address of a Return-Path header: ``""`` for the null sender ``<>``, None when absent."""
    if value is None:
        return None
    value = " ".join(value.split())
    m = re.search(r"<([^<>]*)>", value)
    addr = (m.group(1) if m else value).strip()
    return "" if addr in ("", "<>") else clean_text(addr)[:320]


def primary_language(value: str | None) -> str | None:
    """The primary subtag of the first language in a Content-Language value (``cs-CZ, en`` → ``cs``)."""
    if not value:
        return None
    tag = re.split(r"[,;\s]", value.strip(), maxsplit=1)[0]
    primary = tag.split("-")[0].split("_")[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None
