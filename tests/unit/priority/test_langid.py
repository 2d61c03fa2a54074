"""Language detection with the compact letter-trigram model."""

import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from ticketdesk.priority import LANGUAGES
from ticketdesk.priority.evaluate import load_jsonl
from ticketdesk.priority.langid import MODEL_PATH, decode_model, detect_language, encode_model, model

DATA = Path(__file__).resolve().parents[2] / "data" / "priority"
ROWS = [
    row
    for name in ("labelled.jsonl", "holdout.jsonl", "priority-dev.jsonl")
    for row in load_jsonl(DATA / name)
]


def _text(row: dict[str, object]) -> str:
    return f"{row['subject']}\n{row['body']}"


def _strip(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def test_labelled_texts_are_detected_and_never_confused() -> None:
    outcome = Counter()
    for row in ROWS:
        detected, _scores = detect_language(_text(row))
        outcome["right" if detected == row["lang"] else "unsure" if detected is None else "wrong"] += 1
    assert outcome["wrong"] == 0, outcome
    assert outcome["right"] >= 0.97 * len(ROWS), outcome  # simplemma's detector: 0.97


@pytest.mark.parametrize("language", ["cs", "pl"])
def test_text_typed_without_diacritics(language: str) -> None:
    rows = [row for row in ROWS if row["lang"] == language]
    found = Counter(detect_language(_strip(_text(row)))[0] for row in rows)
    assert found[language] >= 0.9 * len(rows), found
    assert sum(n for lang, n in found.items() if lang not in (language, None)) <= 0.05 * len(rows), found


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Dobry den, mame vypadek, web je nedostupny a nic nefunguje.", "cs"),
        ("Nasz serwer nie dziala od rana, prosimy o pilna pomoc.", "pl"),
        ("Unser Server ist seit heute Morgen nicht erreichbar.", "de"),
        ("Palvelimemme ei vastaa eikä sivusto aukea ollenkaan.", "fi"),
        ("Serveren vår svarer ikke, og nettsiden er nede.", "nb"),
        ("Our server has been down since this morning.", "en"),
    ],
)
def test_sentences(text: str, language: str) -> None:
    assert detect_language(text)[0] == language


def test_short_or_empty_text_is_undecided() -> None:
    assert detect_language("Server down")[0] is None
    assert detect_language("") == (None, ())
    assert detect_language("12345 !!! ---") == (None, ())


def test_scores_are_probabilities_best_first() -> None:
    _language, scores = detect_language("Máme výpadek všech služeb, nic nefunguje.")
    assert [lang for lang, _p in scores][0] == "cs"
    assert {lang for lang, _p in scores} == set(LANGUAGES)
    assert sum(p for _lang, p in scores) == pytest.approx(1.0)
    assert [p for _lang, p in scores] == sorted((p for _lang, p in scores), reverse=True)


def test_model_file_round_trip_and_size() -> None:
    trained = model()
    assert set(trained.languages) == set(LANGUAGES)
    assert MODEL_PATH.stat().st_size < 1_000_000
    again = decode_model(encode_model(trained))
    assert again.trigrams == trained.trigrams and again.unseen == trained.unseen
