"""Text preparation: sentences of real mail, tokens, diacritics folding."""

from ticketdesk.priority.text import clean_body, fold, split_sentences, strip_reply_prefix, tokenize


def test_hard_wrapped_lines_are_joined_and_greetings_split() -> None:
    text = "Hi team,\nour main website has been down since\n09:15, it returns 502.\nThanks,\nSarah"
    assert split_sentences(text) == [
        "Hi team, our main website has been down since",
        "09:15, it returns 502.",
        "Thanks,",
        "Sarah",
    ]


def test_abbreviations_do_not_end_sentences() -> None:
    text = "Seit ca. 9:30 Uhr ist die Seite weg. Bitte prüfen."
    assert split_sentences(text, capital_breaks=False) == [
        "Seit ca. 9:30 Uhr ist die Seite weg.",
        "Bitte prüfen.",
    ]


def test_german_capitalised_nouns_do_not_split_wrapped_lines() -> None:
    assert split_sentences("Der Server ist seit heute\nMorgen nicht erreichbar.", capital_breaks=False) == [
        "Der Server ist seit heute Morgen nicht erreichbar."
    ]


def test_quotes_and_signatures_are_removed() -> None:
    body = "Works again, thanks!\n\nOn Mon, 3 Jun 2024 at 10:00, Jan <jan@example.com> wrote:\n> server down"
    assert clean_body(body).strip() == "Works again, thanks!"
    assert clean_body("Text\n> quoted\nmore\n-- \nSignature").strip() == "Text\nmore"
    body = "Danke!\nAm 03.06.2024 um 10:00 schrieb Jan Novák <jan@example.com>:\nServer tot"
    assert clean_body(body).strip() == "Danke!"


def test_reply_prefixes() -> None:
    assert strip_reply_prefix("Re: AW: SV: Server down") == ("Server down", True)
    assert strip_reply_prefix("Odp: awaria") == ("awaria", True)
    assert strip_reply_prefix("Reboot needed") == ("Reboot needed", False)


def test_english_contractions_become_words() -> None:
    words = [t.text for t in tokenize("It won't boot, we can't connect and it doesnt respond")]
    assert words == [
        "It",
        "will",
        "not",
        "boot",
        ",",
        "we",
        "can",
        "not",
        "connect",
        "and",
        "it",
        "does",
        "not",
        "respond",
    ]


def test_tokens_keep_hosts_times_and_hyphenated_words() -> None:
    tokens = tokenize("DDoS-útok na firma.cz od 10:30 – e-mail stojí")
    assert [t.text for t in tokens] == ["DDoS-útok", "na", "firma.cz", "od", "10:30", "–", "e-mail", "stojí"]
    assert [t.is_break for t in tokens].count(True) == 1


def test_fold_removes_diacritics_and_special_letters() -> None:
    assert fold("Výpadků") == "vypadku"
    assert fold("Łącze") == "lacze"
    assert fold("Ausfälle") == "ausfalle"
    assert fold("Størst") == "storst"
    assert fold("Straße") == "strasse"


def test_a_german_date_is_no_sentence_end() -> None:
    text = "Bitte einen Bericht zum Ausfall vom 12. März. Es kostet 12. Junge Leute zahlen weniger."
    assert split_sentences(text, capital_breaks=False) == [
        "Bitte einen Bericht zum Ausfall vom 12. März.",
        "Es kostet 12.",
        "Junge Leute zahlen weniger.",
    ]
