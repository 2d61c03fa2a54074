"""Inflected word forms must match: the lemma (or a declared stem) decides, not the exact form."""

import pytest

from ticketdesk.priority import classify
from ticketdesk.priority.lexicon import forms


def _raised(subject: str, body: str) -> list[tuple[str, str]]:
    decision = classify(subject, body)
    return [(r.rule_id, r.matched) for r in decision.reasons if r.effect == "raise"]


@pytest.mark.parametrize(
    ("body", "word"),
    [
        # Czech: výpadek in several cases, with and without diacritics
        ("Hlásíme výpadek serveru.", "výpadek"),
        ("Od rána trvá výpadek sítě.", "výpadek"),
        ("Kvůli výpadku nefunguje pošta.", "výpadku"),
        ("Máme opakované výpadky celé sítě.", "výpadky"),
        ("Počet výpadků dnes roste, teď zase nic nejde.", "výpadků"),
        ("Celá pobočka je zasažená výpadkem.", "výpadkem"),
        ("Dobry den, mame vypadek, web je nedostupny.", "vypadek"),
        # Finnish: palvelin / palvelimemme / palvelimella ... the negated verb decides
        ("Palvelin ei vastaa.", "ei vastaa"),
        ("Palvelimemme ei vastaa pingiin.", "ei vastaa"),
        ("Palvelimellamme on katkos.", "katkos"),
        ("Katkoksen takia mikään ei toimi.", "Katkoksen"),
        ("Sähköpostit eivät kulje.", "eivät kulje"),
        # German: Ausfall, Ausfälle, ausgefallen, compounds, separable verb
        ("Wir haben einen Ausfall des Mailservers.", "Ausfall"),
        ("Heute gab es schon drei Ausfälle, jetzt geht gar nichts mehr.", "Ausfälle"),
        ("Unser Server ist ausgefallen.", "ausgefallen"),
        ("Totalausfall aller Dienste seit 10 Uhr.", "Totalausfall"),
        ("Der Server fällt seit heute ständig aus.", "fällt aus"),
        # Polish: awaria / awarii / awarię
        ("Mamy awarię serwera.", "awarię"),
        ("Z powodu awarii nie działa poczta.", "awarii"),
        ("Awaria łącza w całym biurze.", "Awaria"),
        ("Strona nie działa od rana.", "nie działa"),
        # Norwegian: nede, svarer ikke, bruddet
        ("Alle tjenestene våre er nede.", "nede"),
        ("Databasen svarer ikke.", "svarer ikke"),
        ("Bruddet har vart i to timer nå.", "Bruddet"),
        ("Nettsiden laster ikke.", "laster ikke"),
        # English
        ("We are experiencing outages on all servers.", "outages"),
        ("The site went down ten minutes ago.", "went down"),
    ],
)
def test_inflected_forms_raise_urgent(body: str, word: str) -> None:
    decision = classify("", body)
    assert decision.priority == "urgent", decision
    assert word in [matched for _rule, matched in _raised("", body)]


def test_finnish_possessive_form_has_base_lemma() -> None:
    assert forms("palvelimemme", "fi")[0] == "palvelin"
    reason = next(r for r in classify("", "Palvelimemme ei vastaa.").reasons if r.matched == "ei vastaa")
    assert reason.lemmas == ("ei", "vastata")


@pytest.mark.parametrize(
    ("word", "normalised"),
    [("nefunguje", "nefungovat"), ("neodpovídá", "neodpovidat"), ("není", "nebyt"), ("funguje", "fungovat")],
)
def test_czech_negation_prefix_survives_lemmatisation(word: str, normalised: str) -> None:
    # simplemma drops "ne-" ("nefunguje" -> "fungovat"); a negated verb must never look positive.
    assert forms(word, "cs")[2] == normalised


def test_czech_negated_verb_is_not_a_resolution() -> None:
    assert classify("", "Web zase nefunguje.").priority == "urgent"
    assert classify("", "Web byl nedostupný, teď zase funguje.").priority != "urgent"


@pytest.mark.parametrize(
    "body",
    [
        "Der Server startet nicht mehr.",
        "Serwer się nie uruchamia.",
        "Palvelin ei käynnisty.",
        "Serveren starter ikke.",
        "Server nenabíhá.",
        "The server won't boot.",
    ],
)
def test_server_not_booting_is_urgent(body: str) -> None:
    assert classify("", body).priority == "urgent"
