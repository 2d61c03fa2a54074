"""Lemmas and language detection for the rules, from the compact tables shipped in ``data/``.

Nothing here loads simplemma's full dictionaries at start: lemmas come from the per-language
tables that ``build_lexicon`` cut out of them (see :mod:`.lemmas`), language detection from a
letter-trigram model (see :mod:`.langid`).

Rules edited by an admin may use patterns the tables were not built for (a new term).  Such a
pattern always matches the word as written (``=form``, ``stem*``, ``*tail``: the surface form of
every inflection that starts or ends that way) and the lemmas the compact pipeline gives (the
tables plus simplemma's suffix rules).  To match every inflected form through its lemma as well,
:func:`lexicon_for` reads simplemma's dictionary of that language once, streaming it, and adds the
forms whose lemma matches the new patterns to a copy of the table (a few seconds for Finnish or
Polish, once per process and rule set; the dictionary is not kept in memory).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache, lru_cache

from .langid import detect_language
from .lemmas import (
    Layers,
    covered_patterns,
    lemma_with,
    load_display_table,
    load_table,
    pattern_key,
    simplemma_lemmatizer,
)
from .model import LANGUAGES
from .text import fold

__all__ = ["Lexicon", "base_lexicon", "detect_language", "forms", "lemma", "lexicon_for", "warm_up"]

log = logging.getLogger(__name__)

_NEGATION_PREFIX: dict[str, tuple[str, ...]] = {"cs": ("ne",), "pl": ("nie",)}


def shape(word: str, lem: str, language: str) -> tuple[str, str, str]:
    """(lemma as given, folded surface, folded lemma) used for matching.

    Czech marks negation with the prefix ``ne-`` (``nefunguje``, ``není``, ``neodpovídá``) and
    simplemma's lemma drops it (``fungovat``, ``být``); we keep it (``nefungovat``, ``nebyt``) so
    that a negated verb never matches the positive one.  Polish adjectives are handled the same
    way (``niedostępny``).
    """
    surface = fold(word)
    folded = fold(lem)
    for prefix in _NEGATION_PREFIX.get(language, ()):
        if surface.startswith(prefix) and not folded.startswith(prefix):
            folded = prefix + folded
            lem = prefix + lem
            break
    return lem, surface, folded


class Lexicon:
    """Lemmas of one language from one table (the shipped one, or it plus extra entries)."""

    def __init__(self, language: str, table: Mapping[str, str]) -> None:
        self.language = language
        self.size = len(table)
        self._table = table
        self._lemmatize = simplemma_lemmatizer(language, table)
        self._shown: Callable[[str], str] | None = None
        self.forms = lru_cache(maxsize=32768)(self._forms)

    def lemma(self, word: str) -> str:
        """The lemma used for matching ``word`` (unknown words stay as they are)."""
        return lemma_with(self._lemmatize, word)

    def _forms(self, word: str) -> tuple[str, str, str]:
        return shape(word, self.lemma(word), self.language)

    def shown_lemma(self, word: str) -> str:
        """simplemma's lemma of ``word``, exact for every word that can be part of a signal (a
        reason shows it) although matching may do with another one: ``nopeasta`` matches the
        pattern ``*sta`` as written, and its lemma ``nopea`` comes from the display table."""
        if self._shown is None:
            display = load_display_table(self.language)
            self._shown = simplemma_lemmatizer(self.language, Layers(self._table, display))
        return lemma_with(self._shown, word)

    def shown_forms(self, word: str) -> tuple[str, str, str]:
        return shape(word, self.shown_lemma(word), self.language)


@cache
def base_lexicon(language: str) -> Lexicon:
    """The lexicon of ``language`` built from the shipped table (loaded once per process)."""
    table, _header = load_table(language)
    return Lexicon(language, table)


def lexicon_for(language: str, patterns: Iterable[tuple[str, str]]) -> Lexicon:
    """The lexicon for rules with these (mode, folded text) lemma patterns in ``language``: the
    shipped one when its table covers them all, else one extended for the others (see above)."""
    covered = covered_patterns(language)
    missing = frozenset(p for p in patterns if pattern_key(*p) not in covered)
    return _extended(language, missing) if missing else base_lexicon(language)


@lru_cache(maxsize=16)
def _extended(language: str, patterns: frozenset[tuple[str, str]]) -> Lexicon:
    started = time.perf_counter()
    table = dict(load_table(language)[0])
    matches = _PatternTest(patterns)
    prefixes = [(p, p.encode()) for p in _NEGATION_PREFIX.get(language, ())]
    lemmas: dict[bytes, tuple[str, bool]] = {}  # encoded lemma -> (folded, matches)
    added = 0
    for key, value in _dictionary_entries(language):
        known = lemmas.get(value)
        if known is None:
            if len(lemmas) > 65_536:
                lemmas.clear()
            folded = fold(value.decode())
            known = lemmas[value] = (folded, matches(folded))
        folded, hit = known
        if not hit and prefixes:  # the negation prefix kept on the lemma, see shape()
            hit = any(
                key[: len(raw)].lower() == raw and not folded.startswith(p) and matches(p + folded)
                for p, raw in prefixes
            )
        if hit and (form := key.decode()) not in table:
            table[form] = value.decode()
            added += 1
    log.info(
        "priority: %d %s word forms added for %d new rule patterns in %.1f s",
        added, language, len(patterns), time.perf_counter() - started,
    )  # fmt: skip
    return Lexicon(language, table)


class _PatternTest:
    """Does a folded lemma match one of some (mode, text) patterns?"""

    def __init__(self, patterns: Iterable[tuple[str, str]]) -> None:
        by_mode: dict[str, list[str]] = {"exact": [], "prefix": [], "suffix": [], "contains": []}
        for mode, text in patterns:
            by_mode[mode].append(text)
        self.exact = frozenset(by_mode["exact"])
        self.prefix = tuple(by_mode["prefix"])
        self.suffix = tuple(by_mode["suffix"])
        self.contains = tuple(by_mode["contains"])

    def __call__(self, folded: str) -> bool:
        return (
            folded in self.exact
            or folded.startswith(self.prefix)
            or folded.endswith(self.suffix)
            or any(text in folded for text in self.contains)
        )


def _dictionary_entries(language: str) -> Iterator[tuple[bytes, bytes]]:
    """(form, lemma) of simplemma's full dictionary in UTF-8, one record at a time."""
    from simplemma.strategies.dictionaries import frontcode
    from simplemma.strategies.dictionaries.dictionary_factory import _read_decompressed

    data = _read_decompressed(language)
    reverse, _count, position = frontcode._read_header(data)
    for _start, key, value in frontcode._iter_records(data, position):
        if reverse:
            key, value = key[::-1], value[::-1]
        yield key, value


def lemma(word: str, language: str) -> str:
    """simplemma's lemma of ``word`` in ``language`` as far as the shipped tables know it (always
    for words of the rules; unknown words stay as they are).  See :meth:`Lexicon.shown_lemma`."""
    return base_lexicon(language).shown_lemma(word)


@lru_cache(maxsize=4096)
def forms(word: str, language: str) -> tuple[str, str, str]:
    """(lemma, folded surface, folded lemma) of ``word`` in ``language`` with :func:`lemma`; see
    :func:`shape`.  (Matching uses ``RuleSet.lexicon(language).forms``, which may keep a word
    unlemmatised where that changes no match.)"""
    return base_lexicon(language).shown_forms(word)


def warm_up() -> None:
    """Load the lemma tables and the language model now (about 0.2 s and 25 MB) instead of
    during the first classified message; call it when a server starts."""
    detect_language("warm up")
    for language in LANGUAGES:
        base_lexicon(language).forms("server")
        base_lexicon(language).shown_forms("server")
