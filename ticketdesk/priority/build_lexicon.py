"""Build the compact lemma tables (``data/lemmas-<lang>*.txt.xz``) from simplemma's full dictionaries.

Run it after changing the patterns of the shipped rules (``rulesets/``) or upgrading simplemma;
``tests/unit/priority/test_lexicon.py`` fails while the tables are stale::

    python -m ticketdesk.priority.build_lexicon            # all six languages (15-30 min, 2 cores)
    python -m ticketdesk.priority.build_lexicon cs de      # some of them

This is the only module that loads the full dictionaries (about 1 GB for Finnish or Polish).
For every test word it compares what the full dictionary gives (the reference) with what the
tables under construction give, running simplemma's whole pipeline both times, and on a
difference adds to a table every dictionary entry the reference look-up used; it repeats until
nothing differs.  Stage 1 makes the match table: the same rule alternatives match every test
word.  Stage 2 makes the display table: with both tables, every test word that can be part of
a signal gets the same lemma (reasons show it).  The test words are all word forms of the
dictionary as written, in lower case and capitalised, the Czech and Polish ones also without
diacritics, the English ones in the other languages (loan words), and the words of the
labelled texts in ``tests/data/priority``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from pathlib import Path

from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.dictionary_factory import _load_dictionary_from_disk

from .lemmas import (
    COVERAGE_PATH,
    DATA_DIR,
    Layers,
    _OneTable,
    display_path,
    encode_table,
    lemma_with,
    pattern_key,
    simplemma_lemmatizer,
    table_path,
)
from .lexicon import shape
from .matcher import Alternative, PatternTables, parse_alternative
from .model import ANY_LANGUAGE, LANGUAGES, SIGNAL, Rule
from .rulesets import default_rules
from .text import tokenize

STRIP_DIACRITICS = ("cs", "pl")  # languages often typed without diacritics
ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "priority"
# Blind sets kept unseen for a measure, and the sets added after the tables were last built
# (fresh_d, fresh_f, fresh_g, fresh_h: the second opinion's training data): their words do not shape the tables.
UNSEEN = frozenset(
    {
        "final.jsonl",
        "unseen.jsonl",
        "holdout.jsonl",
        "fresh_c.jsonl",
        "fresh_d.jsonl",
        "fresh_e.jsonl",
        "fresh_f.jsonl",
        "fresh_g.jsonl",
        "fresh_h.jsonl",
        "fresh_i.jsonl",
    }
)


class Recording(dict[str, str]):
    """A dictionary that notes the keys found through ``get`` (simplemma's only access)."""

    hits: list[str]

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        value = dict.get(self, key)
        if value is None:
            return default
        self.hits.append(key)
        return value


def full_dictionary(language: str) -> Recording:
    found = Recording()
    for key, value in _load_dictionary_from_disk(language).items():
        found[key.decode()] = value.decode()
    found.hits = []
    return found


def rule_alternatives(rules: Iterable[Rule], language: str) -> dict[Alternative, int]:
    """Every pattern alternative of the rules of ``language`` and of all languages ('*')."""
    found: dict[Alternative, int] = {}
    for rule in rules:
        if rule.enabled and rule.language in (language, ANY_LANGUAGE):
            for pattern in (*rule.terms, *rule.phrases):
                for word in pattern.split():
                    for raw in word.split("|"):
                        found.setdefault(parse_alternative(raw), len(found))
    return found


def coverage_key(alt: Alternative) -> str:
    return ("=" if alt.surface_only else "") + pattern_key(alt.mode, alt.text)


def fingerprint(alternatives: Iterable[Alternative]) -> str:
    text = "\n".join(sorted(coverage_key(a) for a in alternatives))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _strip(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def test_words(language: str, keys: Iterable[str], extra: Iterable[str]) -> list[str]:
    words: set[str] = set()
    strip = language in STRIP_DIACRITICS
    for key in keys:
        words.update((key, key.lower(), key.capitalize()))
        if strip:
            bare = _strip(key)
            if bare != key:
                words.update((bare, bare.lower(), bare.capitalize()))
    words.update(extra)
    words.discard("")
    return sorted(words)


def _extra_words(language: str) -> list[str]:
    words: set[str] = set()
    if language != "en":
        for key in _load_dictionary_from_disk("en"):
            word = key.decode()
            words.update((word, word.capitalize()))
    for path in sorted(CORPUS.glob("*.jsonl")):
        if path.name in UNSEEN:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                for field in ("subject", "body"):
                    words.update(t.text for t in tokenize(str(row[field])) if not t.is_break)
    return sorted(words)


class _Builder:
    """Stage 1 makes the match table: the same rule matches as with the full dictionary.  Stage 2
    makes the display table: with both tables, the same lemma for every word that can be part of
    a signal (a reason shows it); the display table is only read when a reason is written."""

    def __init__(
        self,
        language: str,
        dictionary: Recording,
        alternatives: dict[Alternative, int],
        rules: Sequence[Rule],
    ) -> None:
        self.language = language
        self.dictionary = dictionary
        self.tables = PatternTables(alternatives)
        signals = [rule for rule in rules if rule.kind == SIGNAL]
        signal_alternatives = rule_alternatives(signals, language)
        self.signal_ids = frozenset(alternatives[alt] for alt in signal_alternatives)
        self.signal_tables = PatternTables(signal_alternatives)
        self.table: dict[str, str] = {}
        self.display: dict[str, str] = {}
        self.signal_words: set[str] = set()
        strategy = DefaultStrategy(dictionary_factory=_OneTable(language, dictionary))
        reference = Lemmatizer(cache_max_size=0, lemmatization_strategy=strategy)
        self._reference = lambda word: reference.lemmatize(word, language)
        self._compact = simplemma_lemmatizer(language, self.table)
        self._shown = simplemma_lemmatizer(language, Layers(self.table, self.display))

    def _reference_lemma(self, word: str) -> tuple[str, list[str]]:
        self.dictionary.hits = hits = []
        return lemma_with(self._reference, word), hits

    def match_differs(self, word: str) -> list[str]:
        """Keys to add so that ``word`` matches the same alternatives as with the full dictionary."""
        ref, hits = self._reference_lemma(word)
        new = lemma_with(self._compact, word)
        if new == ref:
            return []
        _lem, surface, folded_ref = shape(word, ref, self.language)
        _lem, _surface, folded_new = shape(word, new, self.language)
        matched = self.tables.lookup(surface, folded_ref)
        if matched & self.signal_ids:
            self.signal_words.add(word)
        return hits if matched != self.tables.lookup(surface, folded_new) else []

    def display_differs(self, word: str) -> list[str]:
        """Keys to add so that a signal word gets the lemma the full dictionary gives."""
        ref, hits = self._reference_lemma(word)
        return hits if lemma_with(self._shown, word) != ref else []

    def is_signal_word(self, word: str) -> bool:
        ref, _hits = self._reference_lemma(word)
        _lem, surface, folded = shape(word, ref, self.language)
        return bool(self.signal_tables.lookup(surface, folded))

    def run(self, words: Sequence[str]) -> None:
        self._rounds("match", words, words, self.match_differs, self.table)
        # Display entries change no match (matching never reads them), only the lemmas shown.
        signal_words = [w for w in words if w in self.signal_words or self.is_signal_word(w)]
        self._rounds("display", signal_words, signal_words, self.display_differs, self.display)

    def _rounds(
        self,
        name: str,
        first: Sequence[str],
        words: Sequence[str],
        differs: Callable[[str], list[str]],
        target: dict[str, str],
    ) -> None:
        to_check: Sequence[str] = first
        round_ = 0
        while to_check:
            round_ += 1
            started = time.perf_counter()
            added: set[str] = set()
            for word in to_check:
                for key in differs(word):
                    if key not in self.table and key not in self.display:
                        target[key] = dict.__getitem__(self.dictionary, key)
                        added.add(key.lower())
            print(
                f"{self.language} {name}: round {round_}: {len(to_check)} words checked, {len(added)} entries"
                f" added, {len(target)} in all ({time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
            to_check = [w for w in words if _touches(w, added)] if added else []


def _touches(word: str, keys: set[str]) -> bool:
    """Could a look-up made while lemmatising ``word`` hit one of ``keys``?  simplemma only looks
    up the word, its prefixes and suffixes (decomposition), and the word without hyphens."""
    lowered = word.lower()
    for form in {lowered, lowered.replace("-", "").replace("_", "")}:
        for i in range(1, len(form) + 1):
            if form[:i] in keys or form[i - 1 :] in keys:
                return True
    return False


def build_language(language: str, rules: Sequence[Rule] | None = None, out_dir: Path = DATA_DIR) -> dict:
    rules = default_rules() if rules is None else rules
    alternatives = rule_alternatives(rules, language)
    dictionary = full_dictionary(language)
    builder = _Builder(language, dictionary, alternatives, rules)
    words = test_words(language, dictionary.keys(), _extra_words(language))
    builder.run(words)
    table, display = builder.table, builder.display
    header = {"language": language, "simplemma": version("simplemma"), "entries": str(len(table))}
    table_path(language, out_dir).write_bytes(encode_table(table, header))
    display_header = {**header, "entries": str(len(display))}
    display_path(language, out_dir).write_bytes(encode_table(display, display_header, pairs=True))
    return {
        "fingerprint": fingerprint(alternatives),
        "alternatives": sorted(coverage_key(a) for a in alternatives if not a.surface_only),
        "entries": len(table),
        "display_entries": len(display),
        "dictionary_entries": len(dictionary),
        "test_words": len(words),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("languages", nargs="*", default=list(LANGUAGES))
    parser.add_argument("--jobs", type=int, default=2, help="languages built at once (1 GB RAM each)")
    args = parser.parse_args(argv)
    unknown = set(args.languages) - set(LANGUAGES)
    if unknown:
        parser.error(f"unknown languages {sorted(unknown)}")
    coverage_file = COVERAGE_PATH
    coverage = json.loads(coverage_file.read_text()) if coverage_file.is_file() else {"languages": {}}
    DATA_DIR.mkdir(exist_ok=True)
    # Biggest first, so that two jobs finish at about the same time.
    order = sorted(args.languages, key=lambda lang: ("pl", "fi", "de", "nb", "cs", "en").index(lang))
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for language, info in zip(order, pool.map(build_language, order), strict=True):
            coverage["languages"][language] = info
            print(
                f"{language}: {info['entries']} of {info['dictionary_entries']} entries kept", file=sys.stderr
            )
    coverage["simplemma"] = version("simplemma")
    coverage["languages"] = dict(sorted(coverage["languages"].items()))
    coverage_file.write_text(json.dumps(coverage, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
