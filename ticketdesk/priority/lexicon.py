"""Lemmas and language detection for the rules, from the compact tables shipped in ``data/``.

Nothing here loads simplemma's full dictionaries: lemmas come from the per-language tables that
``build_lexicon`` cut out of them (see :mod:`.lemmas`), language detection from a small
word-and-letter model (see :mod:`.langid`).  A rule set whose patterns the tables were not built
for (an admin's new term) gets lemmas for those patterns through :func:`lexicon_for`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from .langid import detect_language
from .lemmas import lemma_with, load_table, simplemma_lemmatizer
from .model import LANGUAGES
from .text import fold

__all__ = ["Lexicon", "base_lexicon", "detect_language", "forms", "lemma", "warm_up"]

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
        self._lemmatize = simplemma_lemmatizer(language, table)
        self.forms = lru_cache(maxsize=32768)(self._forms)

    def lemma(self, word: str) -> str:
        """The lemma of ``word`` (unknown words stay as they are)."""
        return lemma_with(self._lemmatize, word)

    def _forms(self, word: str) -> tuple[str, str, str]:
        return shape(word, self.lemma(word), self.language)


@lru_cache(maxsize=None)
def base_lexicon(language: str) -> Lexicon:
    """The lexicon of ``language`` built from the shipped table (loaded once per process)."""
    table, _header = load_table(language)
    return Lexicon(language, table)


def lemma(word: str, language: str) -> str:
    """The lemma of ``word`` in ``language`` (unknown words stay as they are)."""
    return base_lexicon(language).lemma(word)


def forms(word: str, language: str) -> tuple[str, str, str]:
    """(lemma, folded surface, folded lemma) of ``word`` in ``language``; see :func:`shape`."""
    return base_lexicon(language).forms(word)


def warm_up() -> None:
    """Load the lemma tables and the language model now (well under a second, a few MB) instead
    of during the first classified message; call it when a server starts."""
    detect_language("warm up")
    for language in LANGUAGES:
        base_lexicon(language).forms("server")
