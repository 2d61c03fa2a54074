"""Charset aliases, decoding that never raises, RFC 2047 / 2231 header decoding, transfer encodings."""

from __future__ import annotations

import base64
import codecs
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketdesk.intake.charsets import (
    CHARSET_ALIASES,
    clean_text,
    decode_8bit_header,
    decode_bytes,
    decode_header_value,
    decode_transfer_encoding,
    mime_params,
    normalize_charset,
    parse_address_list,
    parse_date,
    parse_return_path,
    primary_language,
)


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("x-mac-cyrillic", "mac-cyrillic"),
        ("iso-gb2312", "gb18030"),
        ("GB2312", "gb18030"),
        ("ks_c_5601-1987", "cp949"),
        ("windows-874", "cp874"),
        ("x-user-defined", "cp1252"),
        ("unicode-1-1-utf-7", "utf-7"),
        ("utf8", "utf-8"),
        ("UTF-8", "utf-8"),
        ('"utf-8"', "utf-8"),
        ("latin-1", "cp1252"),
        ("x-sjis", "cp932"),
        ("Shift_JIS", "cp932"),
        ("iso-2022-jp", "iso2022_jp_ext"),
        ("windows-1250", "cp1250"),
        ("cp-1250", "cp1250"),
        ("win-1251", "cp1251"),
        ("iso-8859-2", "iso8859-2"),
        ("ISO_8859-15", "iso8859-15"),
        ("koi8-r", "koi8-r"),
        ("utf-8*cs", "utf-8"),
        ("x-unknown", None),
        ("unknown-8bit", None),
        ("bogus-charset", None),
        ("base64", None),
        ("zlib", None),
        ("rot13", None),
        ("unicode_escape", None),
        ("undefined", None),
        ("idna", None),
        (None, None),
        ("", None),
        ("x" * 100, None),
    ],
)
def test_normalize_charset(label: str | None, codec: str | None) -> None:
    assert normalize_charset(label) == codec


def test_every_alias_names_a_python_codec() -> None:
    for target in CHARSET_ALIASES.values():
        codecs.lookup(target)


@pytest.mark.parametrize(
    ("data", "label", "text"),
    [
        ("Žluťoučký kůň".encode(), "utf-8", "Žluťoučký kůň"),
        ("Žluťoučký kůň".encode("iso-8859-2"), "iso-8859-2", "Žluťoučký kůň"),
        ("Žluťoučký kůň".encode("cp1250"), "iso-8859-2", "Žluťoučký kůň"),  # Windows text, ISO label
        ("Größe".encode(), "iso-8859-1", "Größe"),  # UTF-8 labelled Latin-1
        ("“Grüße” – €".encode("cp1252"), "iso-8859-1", "“Grüße” – €"),
        ("“quotes”".encode("cp1252"), "us-ascii", "“quotes”"),
        ("Grüße".encode("cp1252"), None, "Grüße"),
        ("Grüße".encode(), None, "Grüße"),
        ("Grüße".encode("cp1252"), "no-such-charset", "Grüße"),
        ("Grüße".encode("cp1252"), "utf-8", "Gr\ufffd\ufffde"),
        ("こんにちは①".encode("cp932"), "shift_jis", "こんにちは①"),
        ("こんにちは".encode("iso-2022-jp"), "iso-2022-jp", "こんにちは"),
        ("镕".encode("gbk"), "gb2312", "镕"),
        ("안녕".encode("cp949"), "ks_c_5601-1987", "안녕"),
        ("Привет".encode("koi8-r"), "koi8-r", "Привет"),
        ("Привет".encode("mac_cyrillic"), "x-mac-cyrillic", "Привет"),
        (b"Dobr+AP0-", "unicode-1-1-utf-7", "Dobrý"),
        (b"+2D0-", "utf-7", "\ufffd"),  # a lone surrogate is replaced
        (b"a\x00b\x00", "utf-8", "ab"),
        (b"\xef\xbb\xbfBOM", "utf-8", "BOM"),
        (b"\xff\xfeh\x00i\x00", "utf-16", "hi"),
        (b"", "utf-8", ""),
    ],
)
def test_decode_bytes(data: bytes, label: str | None, text: str) -> None:
    assert decode_bytes(data, label) == text


@given(st.binary(max_size=300), st.sampled_from([None, "", "utf-8", "utf-7", "utf-16", "iso-2022-jp", "shift_jis",
                                                  "gb2312", "big5", "koi8-r", "x-unknown", "zlib", "base64",
                                                  "unicode_escape", "hz", "iso-8859-2", "us-ascii"]))  # fmt: skip
@settings(max_examples=400, deadline=None, database=None)
def test_decode_bytes_never_raises_and_is_clean(data: bytes, label: str | None) -> None:
    text = decode_bytes(data, label)
    assert "\x00" not in text
    text.encode("utf-8")


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("=?utf-8?Q?Nov=C3=A1k=2C_Jan?=", "Novák, Jan"),
        ("=?UTF-8?B?xb5sdcWlb3XEjWvDvSBrxa/FiA==?=", "žluťoučký kůň"),
        ("=?utf-8?q?a?=   =?utf-8?q?b?= c =?utf-8?q?d?=", "ab c d"),
        ("Re: =?iso-8859-2?Q?V=FDpadek?= serveru", "Re: Výpadek serveru"),
        ("x=?utf-8?q?a?=y", "xay"),
        ('"=?utf-8?B?SmFu?=" <j@x>', '"Jan" <j@x>'),
        ("=?utf-8?B?SmFu?=", "Jan"),
        ("=?utf-8?B?SmFuA?=", "Jan"),  # junk length
        ("=?utf-8?B?xb4=?==?utf-8?B?bHU=?=", "žlu"),
        # a multibyte character split over two encoded words
        (
            "=?utf-8?B?"
            + base64.b64encode("ž".encode()[:1]).decode()
            + "?= =?utf-8?B?"
            + base64.b64encode("ž".encode()[1:]).decode()
            + "?=",
            "ž",
        ),  # fmt: skip
        ("=?x-unknown?q?caf=E9?=", "café"),
        ("=?ks_c_5601-1987?B?vsiz58fPvLy/5A==?=", "안녕하세요"),
        ("=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは"),
        ("=?utf-8*cs?Q?P=C5=99=C3=ADloha?=", "Příloha"),
        ("folded\r\n line\n\tthird", "folded line\tthird"),
        ("=?utf-8?Q?not closed", "=?utf-8?Q?not closed"),
        ("Ji\udcc5\udc99\udcc3\udcad Nov\udcc3\udca1k", "Jiří Novák"),  # raw UTF-8 header bytes
        ("", ""),
    ],
)
def test_decode_header_value(raw: str, decoded: str) -> None:
    assert decode_header_value(raw) == decoded


def test_8bit_header_falls_back_to_the_message_charset() -> None:
    raw = "Chyba p\udcf8i platb\udcec".encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
    assert decode_header_value(raw, "windows-1250") == "Chyba při platbě"
    assert decode_8bit_header("=?utf-8?q?x?= \udcc3\udca1", None) == "=?utf-8?q?x?= á"


def test_mime_params_rfc2231_and_quoting() -> None:
    main, params = mime_params(
        "attachment;\r\n filename*0*=UTF-8''%C5%BElu%C5%A5ou;\r\n filename*1*=%C4%8Dk%C3%BD;\r\n filename*2=.pdf;"
        ' size=123; name="quoted \\"inner\\" ; semi"'
    )
    assert main == "attachment"
    assert params == {"filename": "žluťoučký.pdf", "size": "123", "name": 'quoted "inner" ; semi'}
    assert mime_params("text/plain; charset*=iso-8859-2'cs'%E8e%B9tina")[1] == {"charset": "čeština"}
    assert mime_params('text/plain; format=flowed; charset="utf-8"')[1] == {
        "format": "flowed",
        "charset": "utf-8",
    }
    assert mime_params('image/png;name="a.png";')[1] == {"name": "a.png"}
    assert mime_params('text/plain; name="unterminated')[1] == {"name": "unterminated"}
    assert mime_params("")[0] == ""


def test_decode_transfer_encoding_is_lenient() -> None:
    payload = base64.b64encode(b"hello world").decode().rstrip("=")
    assert decode_transfer_encoding((payload[:5] + " *\n" + payload[5:]).encode(), "base64") == b"hello world"
    assert decode_transfer_encoding(b"aGk", "base64") == b"hi"
    assert decode_transfer_encoding(b"a=3Db=\nc", "quoted-printable") == b"a=bc"
    assert decode_transfer_encoding(b"raw \xff", "8bit") == b"raw \xff"
    assert decode_transfer_encoding(b"x", "x-gzip") == b"x"


@pytest.mark.parametrize(
    ("value", "pairs"),
    [
        ("Jan Novák <jan@firma.cz>", [("Jan Novák", "jan@firma.cz")]),
        (
            "=?utf-8?Q?Nov=C3=A1k=2C_Jan?= <jan@firma.cz>, b@c.cz",
            [("Novák, Jan", "jan@firma.cz"), ("", "b@c.cz")],
        ),
        ('"Novák, Jan" <Jan@Firma.CZ>', [("Novák, Jan", "Jan@firma.cz")]),
        ("Jan Novak jan@firma.cz", [("Jan Novak", "jan@firma.cz")]),
        ("undisclosed-recipients:;", []),
        ("a@b.cz,, ,<>", [("", "a@b.cz")]),
        ("x@y.cz (Comment)", [("Comment", "x@y.cz")]),
        ("<weird@@x>", []),
    ],
)
def test_parse_address_list(value: str, pairs: list[tuple[str, str]]) -> None:
    assert parse_address_list(value) == pairs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 3 Feb 2025 10:00:00 +0100", datetime(2025, 2, 3, 9, 0, tzinfo=UTC)),
        ("Mon,  3 Feb 2025 10:00:00 +0100 (CET)", datetime(2025, 2, 3, 9, 0, tzinfo=UTC)),
        ("3 Feb 2025 10:00 CET", datetime(2025, 2, 3, 10, 0, tzinfo=UTC)),
        ("Mon, 03 Feb 2025 10:00:00 -0000", datetime(2025, 2, 3, 10, 0, tzinfo=UTC)),
        ("Mon, 3 Feb 25 10:00:00 GMT", datetime(2025, 2, 3, 10, 0, tzinfo=UTC)),
        ("2025-02-03T10:00:00Z", datetime(2025, 2, 3, 10, 0, tzinfo=UTC)),
        ("31/02/2025 25:61", None),
        ("Mon, 3 Feb 99999 10:00:00 +0100", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(value: str | None, expected: datetime | None) -> None:
    assert parse_date(value) == expected


def test_clean_text() -> None:
    assert clean_text("\ufeffa\x00b\ud800c") == "ab\ufffdc"
    assert clean_text("plain") == "plain"


def test_return_path_and_language() -> None:
    assert parse_return_path("<>") == ""
    assert parse_return_path(" < > ") == ""
    assert parse_return_path("<bounce+x@lists.example>") == "bounce+x@lists.example"
    assert parse_return_path("MAILER-DAEMON") == "MAILER-DAEMON"
    assert parse_return_path(None) is None
    assert primary_language("cs-CZ, en-US") == "cs"
    assert primary_language("nb_NO") == "nb"
    assert primary_language("x-klingon") is None
    assert primary_language("") is None
