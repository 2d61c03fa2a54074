"""The compact lemma tables: up to date with the rules, small, exact on rule words, and extended
for an admin's new terms without loading simplemma's full dictionaries at start."""

import json
import lzma
import subprocess
import sys
from importlib.metadata import version

import pytest

from ticketdesk.priority import LANGUAGES, Rule, classify, compile_rules, default_rules
from ticketdesk.priority.build_lexicon import coverage_key, fingerprint, rule_alternatives
from ticketdesk.priority.lemmas import (
    Layers,
    SortedLines,
    coverage,
    decode_table,
    display_path,
    encode_table,
    load_table,
    table_path,
)
from ticketdesk.priority.lexicon import base_lexicon, forms, lemma, lexicon_for

REBUILD = "run: python -m ticketdesk.priority.build_lexicon"


@pytest.mark.parametrize("language", LANGUAGES)
def test_tables_were_built_for_the_shipped_rules(language: str) -> None:
    built = coverage()["languages"][language]
    alternatives = rule_alternatives(default_rules(), language)
    assert built["fingerprint"] == fingerprint(alternatives), f"rules changed since the build: {REBUILD}"
    assert built["alternatives"] == sorted(coverage_key(a) for a in alternatives if not a.surface_only)
    table, header = load_table(language)
    assert header["language"] == language and int(header["entries"]) == len(table) == built["entries"]
    assert len(table) < built["dictionary_entries"] / 10


def test_tables_were_built_with_the_installed_simplemma() -> None:
    assert coverage()["simplemma"] == version("simplemma"), f"simplemma changed: {REBUILD}"


def test_shipped_data_is_small() -> None:
    sizes = [path(language).stat().st_size for language in LANGUAGES for path in (table_path, display_path)]
    assert sum(sizes) < 3_000_000


def test_table_encoding_round_trip() -> None:
    table = {"výpadku": "výpadek", "výpadek": "výpadek", "Ausfälle": "Ausfall"}
    decoded, header = decode_table(encode_table(table, {"language": "xx", "entries": "3"}))
    assert decoded == table and header == {"language": "xx", "entries": "3"}


def test_sorted_lines_find_every_entry_and_nothing_else() -> None:
    table = {"ab": "a", "abc": "abc", "abd": "x", "b": "b", "ä": "a", "ab-c": "y", "Ab": "A"}
    data = lzma.decompress(encode_table(table, {"language": "xx"}, pairs=True))
    lines = SortedLines(data[data.index(b"\n") + 1 :])
    assert {key: lines.get(key) for key in table} == table
    assert len(lines) == len(table) and sorted(lines) == sorted(table)
    for missing in ("", "a", "abcd", "abb", "c", "A", "äb"):
        assert lines.get(missing) is None and missing not in lines
    layered = Layers({"ab": "first"}, lines)
    assert layered.get("ab") == "first" and layered.get("abd") == "x" and layered.get("zz", "-") == "-"
    assert len(layered) == len(table)


def test_display_tables_make_shown_lemmas_exact() -> None:
    # "nopeasta" matches the pattern *sta as written: matching needs no lemma, a reason shows it.
    assert "nopeasta" not in load_table("fi")[0]
    assert base_lexicon("fi").shown_lemma("nopeasta") == "nopea"
    assert base_lexicon("cs").shown_forms("nefunguje")[0] == "nefungovat"
    for language in LANGUAGES:
        table, header = decode_table(display_path(language).read_bytes())
        assert int(header["entries"]) == len(table) == coverage()["languages"][language]["display_entries"]
        assert not set(table) & set(load_table(language)[0])


@pytest.mark.parametrize(
    ("word", "language", "expected"),
    [
        ("výpadku", "cs", "výpadek"),
        ("Výpadky", "cs", "výpadek"),
        ("nefunguje", "cs", "nefungovat"),
        ("funguje", "cs", "fungovat"),
        ("není", "cs", "nebýt"),
        ("Ausfälle", "de", "Ausfall"),
        ("ausgefallen", "de", "ausfallen"),
        ("palvelimemme", "fi", "palvelin"),
        ("katkoksen", "fi", "katkos"),
        ("vastaa", "fi", "vastata"),
        ("awarię", "pl", "awaria"),
        ("awarii", "pl", "awaria"),
        ("działa", "pl", "działać"),
        ("bruddet", "nb", "brudd"),
        ("outages", "en", "outage"),
        ("went", "en", "go"),
    ],
)
def test_rule_words_get_simplemma_lemmas(word: str, language: str, expected: str) -> None:
    assert forms(word, language)[0] == expected


def test_words_outside_the_rules_stay_cheap() -> None:
    # A word no rule cares about needs no table entry; simplemma's suffix rules may still apply.
    assert "zahrada" not in load_table("cs")[0]
    assert lemma("zahrada", "cs") == "zahrada"
    assert lemma("Zahrada", "cs") == "Zahrada"


def test_no_full_dictionary_is_loaded() -> None:
    code = (
        "import json, time\n"
        "from simplemma.strategies.dictionaries import DEFAULT_DICTIONARY_FACTORY as F\n"
        "def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20\n"
        "import ticketdesk.priority as p\n"
        "before = rss(); t = time.perf_counter(); p.warm_up(); seconds = time.perf_counter() - t\n"
        "p.classify('Výpadek', 'Máme výpadek všech služeb, nic nefunguje.')\n"
        "print(json.dumps({'mb': rss() - before, 's': seconds, 'loaded': F._get_dictionary.cache_info().currsize}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    measured = json.loads(result.stdout)
    assert measured["loaded"] == 0
    assert measured["mb"] < 100, measured
    assert measured["s"] < 3, measured  # about 0.3 s on the reference machine


def test_covered_rules_use_the_shipped_tables() -> None:
    ruleset = compile_rules()
    for language in LANGUAGES:
        assert ruleset.lexicon(language) is base_lexicon(language)


# The shipped rules cover certificates (cs.certificate); an admin's new topic here: licences.
NEW_TERM = Rule(
    id="cs.licence",
    language="cs",
    kind="signal",
    level="high",
    terms=("licence",),
    description="admin: licences to renew",
)


def test_admin_term_matches_inflected_forms_through_the_dictionary() -> None:
    body = "Dobrý den, prodlužte nám prosím licenci k Windows serveru."
    assert not [r for r in classify("", body).reasons if r.rule_id == "cs.licence"]
    ruleset = compile_rules([*default_rules(), NEW_TERM])
    assert ruleset.lexicon("cs") is not base_lexicon("cs")
    assert ruleset.lexicon("de") is base_lexicon("de")
    assert lexicon_for("cs", [("exact", "licence")]) is ruleset.lexicon("cs")
    decision = classify("", body, ruleset)
    (reason,) = [r for r in decision.reasons if r.rule_id == "cs.licence"]
    assert reason.matched == "licenci" and reason.lemmas == ("licence",)
    assert decision.priority == "high"
    # the shipped lexicon is left as it was
    assert "licenci" not in load_table("cs")[0]


def test_admin_surface_patterns_need_no_dictionary() -> None:
    rule = Rule(id="pl.licence", language="pl", kind="signal", level="high", terms=("=licencji",))
    ruleset = compile_rules([*default_rules(), rule])
    assert ruleset.lexicon("pl") is base_lexicon("pl")
    decision = classify("", "Termin ważności licencji minął wczoraj, prosimy o pomoc.", ruleset)
    assert "pl.licence" in [r.rule_id for r in decision.reasons]


def test_admin_stem_matches_written_forms() -> None:
    rule = Rule(id="en.licence", language="en", kind="signal", level="high", terms=("licen*",))
    ruleset = compile_rules([*default_rules(), rule])
    decision = classify("", "Our licences expired this morning and the software shows warnings.", ruleset)
    assert "en.licence" in [r.rule_id for r in decision.reasons]
