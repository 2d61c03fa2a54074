"""Lemmas and language detection on top of simplemma, with our own corrections and caches."""

from __future__ import annotations

import re
from functools import lru_cache

from simplemma import langdetect, lemmatize

from .model import LANGUAGES
from .text import fold

# A language is taken as detected when the text has at least MIN_WORDS words and the language's
# share of known words is at least MIN_SCORE and ahead of the runner-up by MARGIN; otherwise the
# rules of all languages are tried (short texts and text typed without diacritics are ambiguous).
MIN_WORDS = 5
MIN_SCORE = 0.6
MARGIN = 0.2
_DETECT_CHARS = 1500
_WORD = re.compile(r"[^\W\d_]{2,}")


@lru_cache(maxsize=131072)
def lemma(word: str, language: str) -> str:
    """The lemma of ``word`` in ``language`` as simplemma gives it (unknown words stay as they are)."""
    try:
        found = lemmatize(word, language)
    except ValueError:  # simplemma refuses some inputs (e.g. an empty string after NFC)
        return word
    if found == word and not word.islower():
        lowered = lemmatize(word.lower(), language)
        if lowered != word.lower():
            return lowered
    return found


@lru_cache(maxsize=131072)
def forms(word: str, language: str) -> tuple[str, str, str]:
    """(lemma as given, folded surface, folded lemma) used for matching.

    Czech marks negation with the prefix ``ne-`` (``nefunguje``, ``není``, ``neodpovídá``) and
    simplemma's lemma drops it (``fungovat``, ``být``); we keep it (``nefungovat``, ``nebyt``) so
    that a negated verb never matches the positive one.  Polish adjectives are handled the same
    way (``niedostępny``).
    """
    lem = lemma(word, language)
    surface = fold(word)
    folded = fold(lem)
    for prefix in _NEGATION_PREFIX.get(language, ()):
        if surface.startswith(prefix) and not folded.startswith(prefix):
            folded = prefix + folded
            lem = prefix + lem
            break
    return lem, surface, folded


_NEGATION_PREFIX: dict[str, tuple[str, ...]] = {"cs": ("ne",), "pl": ("nie",)}


def warm_up() -> None:
    """Load simplemma's dictionaries of all supported languages now (about 4 s once per process)
    instead of during the first classified message; call it when a server starts."""
    detect_language("warm up")
    for language in LANGUAGES:
        lemma("server", language)


def detect_language(text: str) -> tuple[str | None, tuple[tuple[str, float], ...]]:
    """Best language among the supported ones, or None when unsure; also the scores."""
    return _detect(text[:_DETECT_CHARS])


@lru_cache(maxsize=2048)
def _detect(sample: str) -> tuple[str | None, tuple[tuple[str, float], ...]]:
    scores = tuple((lang, score) for lang, score in langdetect(sample, LANGUAGES) if lang in LANGUAGES)
    if not scores:
        return None, ()
    best, best_score = scores[0]
    runner_up = scores[1][1] if len(scores) > 1 else 0.0
    enough_words = len(_WORD.findall(sample)) >= MIN_WORDS
    if enough_words and best_score >= MIN_SCORE and best_score - runner_up >= MARGIN:
        return best, scores
    return None, scores
