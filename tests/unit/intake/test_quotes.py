"""Folding the quoted part of replies in the languages our customers write, and format=flowed."""

from __future__ import annotations

import time

import pytest

from ticketdesk.intake.quotes import split_quoted, unflow

CASES = [
    # (language hint, text, new part, a snippet of the quoted part)
    ("en", "Thanks, fixed.\n\nOn Mon, 3 Feb 2025 at 10:12, Support <support@example.com> wrote:\n> Restart it.",
     "Thanks, fixed.", "Restart it."),
    (None, "Works now.\n\nOn Mon, 3 Feb 2025 at 10:00, Jan Novak <\njan.novak@example.cz> wrote:\n\n> old",
     "Works now.", "> old"),
    ("en", "Still broken.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nSubject: x\n\nTry again.",
     "Still broken.", "Try again."),
    ("en", "See below.\n\n________________________________\nFrom: Support <s@example.com>\nSent: Monday, 3 February 2025 10:12\n"
     "To: me\nSubject: x\n\nOld text.", "See below.", "Old text."),
    ("cs", "Děkuji.\n\nDne 3. 2. 2025 v 10:12 Podpora napsal(a):\n> Zkuste restart.", "Děkuji.", "Zkuste restart."),
    (None, "Díky.\n\npo 3. 2. 2025 v 10:12 odesílatel Podpora <support@example.com> napsal:\n> Hotovo.", "Díky.", "Hotovo."),
    ("cs", "Nejde to.\n\n---------- Původní e-mail ----------\nOd: Podpora <s@example.com>\nKomu: x@seznam.cz\n"
     "Datum: 3. 2. 2025\nPředmět: Re: x\nZkuste restart.", "Nejde to.", "Původní e-mail"),
    ("cs", "Stále nic.\n\nOd: Podpora <s@example.com>\nOdesláno: pondělí 3. února 2025 10:12\nKomu: Jan\nPředmět: RE: x\n\nText.",
     "Stále nic.", "Odesláno"),
    ("de", "Danke!\n\nAm Mo., 3. Feb. 2025 um 10:00 Uhr schrieb Support <support@example.com>:\n> Bitte neu starten.",
     "Danke!", "Bitte neu starten."),
    (None, "Geht nicht.\n\n-----Ursprüngliche Nachricht-----\nVon: Support\nGesendet: Montag\nAn: x\nBetreff: y\n\nText",
     "Geht nicht.", "Ursprüngliche Nachricht"),
    ("de", "Immer noch.\n\nVon: Support <s@example.com>\nGesendet: Montag, 3. Februar 2025 10:00\nAn: x\nBetreff: y\n\nAlt.",
     "Immer noch.", "Alt."),
    ("pl", "Dziękuję.\n\nW dniu 3.02.2025 o 10:00, Support pisze:\n> Proszę zrestartować.", "Dziękuję.", "zrestartować"),
    (None, "Nadal nie działa.\n\npon., 3 lut 2025 o 10:12 Support <support@example.com> napisał(a):\n> Proszę.",
     "Nadal nie działa.", "Proszę."),
    ("pl", "Bez zmian.\n\nOd: Support <s@example.com>\nWysłano: poniedziałek, 3 lutego 2025 10:12\nDo: x\nTemat: y\n\nStare.",
     "Bez zmian.", "Stare."),
    ("fi", "Kiitos, toimii.\n\nma 3. helmik. 2025 klo 10.00 Tuki (support@example.com) kirjoitti:\n> Käynnistä uudelleen.",
     "Kiitos, toimii.", "Käynnistä uudelleen."),
    (None, "Ei toimi.\n\nLähettäjä: Tuki <s@example.com>\nLähetetty: maanantai 3. helmikuuta 2025 10.12\n"
     "Vastaanottaja: x\nAihe: y\n\nVanha.", "Ei toimi.", "Vanha."),
    ("fi", "Hei.\n\n-----Alkuperäinen viesti-----\nLähettäjä: Tuki\nAihe: y\n\nVanha.", "Hei.", "Alkuperäinen viesti"),
    ("nb", "Takk.\n\nDen man. 3. feb. 2025 kl. 10:00 skrev Support <support@example.com>:\n> Start på nytt.",
     "Takk.", "Start på nytt."),
    (None, "Takk!\n\n3. feb. 2025 kl. 10:12 skrev Support <support@example.com>:\n\n> Hei.", "Takk!", "> Hei."),
    ("nb", "Virker ikke.\n\nFra: Support <s@example.com>\nSendt: mandag 3. februar 2025 10:12\nTil: x\nEmne: y\n\nGammel.",
     "Virker ikke.", "Gammel."),
    (None, "My answer\n\n> quoted\n> more", "My answer", "> quoted\n> more"),
]  # fmt: skip


@pytest.mark.parametrize(("hint", "text", "new", "quoted"), CASES)
def test_split_quoted(hint: str | None, text: str, new: str, quoted: str) -> None:
    got_new, got_quoted = split_quoted(text, hint)
    assert got_new == new
    assert quoted in got_quoted


def test_inline_answers_are_not_folded() -> None:
    text = "On Mon, X wrote:\n> question 1\nanswer 1\n> question 2\nanswer 2"
    assert split_quoted(text) == (text, "")


def test_no_quote_and_crlf() -> None:
    assert split_quoted("Just a message.\r\nTwo lines.\r\n") == ("Just a message.\nTwo lines.", "")
    assert split_quoted("") == ("", "")


def test_a_single_field_like_line_is_not_a_quote_header() -> None:
    text = "Dane serwera:\nData: 2025-02-03\nDo: poniedziałku"
    assert split_quoted(text, "pl") == (text, "")


def test_an_attribution_needs_a_date_or_an_address() -> None:
    for text in ("Jak mi kolega napsal:\nrestart nepomohl.", "Wie ich gestern schrieb:\nes geht nicht.",
                 "Kuten Matti kirjoitti:\nei toimi."):  # fmt: skip
        assert split_quoted(text) == (text, "")


def test_whole_message_quoted_gives_empty_new_text() -> None:
    new, quoted = split_quoted("-----Original Message-----\nFrom: a\nSent: b\n\nforwarded text")
    assert new == "" and "forwarded text" in quoted


def test_signature_before_quote_stays_in_new_text() -> None:
    new, quoted = split_quoted(
        "Thanks\n-- \nJan Novák\n+420 777 000 000\n\nOn Mon, 3 Feb 2025, S wrote:\n> x"
    )
    assert new == "Thanks\n-- \nJan Novák\n+420 777 000 000" and quoted.endswith("> x")


def test_hostile_long_lines_stay_fast() -> None:
    text = ("On " + "a b " * 3000 + ":\nhello\n") * 300 + "Dne " + "x " * 5000 + "napsal(a):\n"
    start = time.perf_counter()
    split_quoted(text, "cs")
    assert time.perf_counter() - start < 2.0


def test_unflow() -> None:
    assert unflow("This is a long \nflowed line.\nHard break.") == "This is a long flowed line.\nHard break."
    assert unflow("> quoted \n> more\n>> deeper \n>> still\nnew") == "> quoted more\n>> deeper still\nnew"
    assert unflow("a \n-- \nsig") == "a \n-- \nsig"
    assert unflow("spa \nce", delsp=True) == "space"
    assert unflow(" stuffed line") == "stuffed line"
    assert unflow("end \n") == "end "
