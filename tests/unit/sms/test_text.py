from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketdesk.sms.text import is_gsm7, segments, transliterate_for_gsm, truncate_to_segments


@pytest.mark.parametrize(
    ("text", "encoding", "count", "units"),
    [
        ("", "gsm7", 0, 0),
        ("Hello", "gsm7", 1, 5),
        ("a" * 160, "gsm7", 1, 160),
        ("a" * 161, "gsm7", 2, 161),
        ("a" * 306, "gsm7", 2, 306),
        ("a" * 307, "gsm7", 3, 307),
        ("€" * 80, "gsm7", 1, 160),  # extension characters cost 2 septets
        ("€" * 81, "gsm7", 2, 162),
        ("{}[]~|^\\", "gsm7", 1, 16),
        ("a" * 152 + "€" + "a" * 152, "gsm7", 3, 306),  # the escape pair is never split
        ("Grüße aus München, Blåbærsyltetøy!", "gsm7", 1, 34),
        ("Dobrý den", "ucs2", 1, 9),
        ("ř" + "a" * 69, "ucs2", 1, 70),
        ("ř" + "a" * 70, "ucs2", 2, 71),
        ("ř" * 134, "ucs2", 2, 134),
        ("ř" * 135, "ucs2", 3, 135),
        ("😀" * 35, "ucs2", 1, 70),  # emoji are 2 UTF-16 code units
        ("😀" * 36, "ucs2", 2, 72),
        ("a" * 66 + "😀" + "a" * 66, "ucs2", 3, 134),  # a surrogate pair is never split
        ("ça va", "ucs2", 1, 5),  # only capital Ç is in the GSM table
        ("Zażółć gęślą jaźń", "ucs2", 1, 17),
    ],
)
def test_segments(text: str, encoding: str, count: int, units: int) -> None:
    info = segments(text)
    assert (info.encoding, info.segments, info.units) == (encoding, count, units)


def test_remaining_and_per_segment() -> None:
    info = segments("a" * 150)
    assert (info.remaining, info.per_segment) == (10, 160)
    info = segments("a" * 200)
    assert (info.remaining, info.per_segment) == (153 - 47, 153)
    assert segments("ř" * 10).remaining == 60


def test_gsm_detection() -> None:
    assert is_gsm7("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ")
    assert not is_gsm7("\x1b")  # the escape itself is not a character
    assert not is_gsm7("…")


LONG_CS = (
    "Výpadek serveru web-01 v datacentru Praha: pracujeme na opravě, "
    "očekávané obnovení do 14:30. Podrobnosti najdete v tiketu #4821 na portálu. "
    "Prosíme, odpovězte na e-mail, zda můžeme restartovat databázi."
)
LONG_EN = (
    "Server web-01 in the Prague datacentre is down. We are working on it and expect "
    "it back by 14:30. Details are in ticket #4821 in the portal. Please reply to the "
    "e-mail whether we may restart the database server."
)


def test_text_that_fits_is_unchanged() -> None:
    assert truncate_to_segments("Short text", 1) == "Short text"
    assert truncate_to_segments(LONG_EN, 2) == LONG_EN


def test_truncate_gsm_at_word_boundary() -> None:
    out = truncate_to_segments(LONG_EN, 1)
    assert segments(out).segments == 1 and segments(out).encoding == "gsm7"
    assert out.endswith("...") and not out.endswith(" ...")
    kept = out.removesuffix("...")
    assert LONG_EN.startswith(kept)
    assert LONG_EN[len(kept)] in " ." or LONG_EN[len(kept) - 1] in ".,"  # cut between words
    assert len(out) > 140  # a clean cut does not waste the budget


def test_truncate_ucs2_uses_single_char_ellipsis() -> None:
    out = truncate_to_segments(LONG_CS, 1)
    assert out.endswith("…")
    assert segments(out).units <= 70 and segments(out).segments == 1
    assert LONG_CS.startswith(out[:-1])
    assert LONG_CS[len(out) - 1] in " ,"  # cut between words, trailing comma dropped


def test_truncate_drops_a_trailing_emoji_and_stays_gsm() -> None:
    text = "a " * 85 + "😀"
    out = truncate_to_segments(text, 1)
    assert segments(out).encoding == "gsm7" and out.endswith("...")
    assert segments(out).segments == 1


def test_truncate_single_long_word_is_cut_hard() -> None:
    out = truncate_to_segments("x" * 500, 1)
    assert out == "x" * 157 + "..."


def test_truncate_never_splits_surrogates_or_extensions() -> None:
    out = truncate_to_segments("😀" * 100, 1)
    assert out == "😀" * 34 + "…"
    out = truncate_to_segments("€" * 100, 1)
    assert out == "€" * 78 + "..."


def test_truncate_custom_ellipsis_and_bad_budget() -> None:
    assert truncate_to_segments("word " * 60, 1, ellipsis="").endswith("word")
    with pytest.raises(ValueError, match="at least 1"):
        truncate_to_segments("abc", 0)


def test_truncate_is_fast_on_long_input() -> None:
    text = LONG_CS * 300
    start = time.perf_counter()
    out = truncate_to_segments(text, 3)
    assert segments(out).segments == 3
    assert time.perf_counter() - start < 0.5


@given(st.text(max_size=600), st.integers(min_value=1, max_value=4))
def test_truncate_property(text: str, budget: int) -> None:
    out = truncate_to_segments(text, budget)
    assert segments(out).segments <= budget
    if segments(text).segments <= budget:
        assert out == text
    else:
        kept = out[:-1] if out.endswith("…") else out[:-3]
        assert text.startswith(kept)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Příliš žluťoučký kůň úpěl ďábelské ódy", "Prilis zlutoucky kun upel dabelské ody"),
        ("Zażółć gęślą jaźń, Łódź", "Zazolc gesla jazn, Lodz"),
        ("Grüße, Blåbær, hyvää päivää", "Grüße, Blåbær, hyvää päivää"),  # already GSM: kept
        ("„Výpadek“ – 14:00…", '"Vypadek" - 14:00...'),
        ("A\u00a0B\tC", "A B C"),
        ("Příliš žlute\u0301", "Prilis zluté"),  # decomposed input too
    ],
)
def test_transliterate(text: str, expected: str) -> None:
    out = transliterate_for_gsm(text)
    assert out == expected
    assert is_gsm7(out)


def test_transliterate_keeps_or_replaces_what_has_no_gsm_form() -> None:
    assert transliterate_for_gsm("OK 😀 Привет") == "OK 😀 Привет"
    assert transliterate_for_gsm("OK 😀", replacement="?") == "OK ?"


def test_transliteration_fits_a_czech_text_in_one_segment() -> None:
    text = "Dobrý den, váš server je znovu dostupný. Výpadek trval 25 minut, příčinou byla porucha napájení."
    assert segments(text).segments == 2
    assert segments(transliterate_for_gsm(text)).segments == 1
