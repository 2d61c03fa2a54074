"""Which of the six languages a message is written in: a letter-trigram model of each language.

``build_langid`` counts the letter trigrams (with word boundaries, ``^je``, ``je$``) of every word
form of simplemma's dictionary of each language, Czech and Polish also without diacritics, each
lemma's forms weighing one lemma together, and keeps the most frequent ones in
``data/langid.txt.xz`` (about 40,000 trigrams, a few MB in memory).  A text's score in a
language is the log-likelihood of its distinct words under that language's model (naive Bayes);
the language is taken when the text has at least ``MIN_WORDS`` words, the best language's
posterior probability is at least ``MIN_POSTERIOR``, and at least half of the words that clearly
belong to one language belong to it; otherwise the rules of all languages are tried (short texts
are ambiguous, mixed ones too).
"""

from __future__ import annotations

import lzma
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from .model import LANGUAGES

MIN_WORDS = 5
MIN_POSTERIOR = 0.99
MIN_VOTE_SHARE = 0.5
VOTE_LENGTH = 4
VOTE_POSTERIOR = 0.9
SCALE = 10  # trigram log-probabilities are stored in tenths of a nat, as bytes (0 = most likely)
_DETECT_CHARS = 1500
_WORD = re.compile(r"[^\W\d_]{2,}")
MODEL_PATH = Path(__file__).resolve().parent / "data" / "langid.txt.xz"


class TrigramModel:
    """Per-language log-probabilities of letter trigrams, one byte per language and trigram."""

    def __init__(self, languages: tuple[str, ...], trigrams: dict[str, bytes], unseen: bytes) -> None:
        self.languages = languages
        self.trigrams = trigrams
        self.unseen = unseen
        self.word_scores = lru_cache(maxsize=16384)(self._word_scores)

    def _word_scores(self, word: str) -> tuple[int, ...]:
        """Negative log-probability of ``word`` (lower case) per language, in tenths of a nat."""
        padded = f"^{word}$"
        totals = [0] * len(self.languages)
        get, unseen = self.trigrams.get, self.unseen
        for i in range(len(padded) - 2):
            costs = get(padded[i : i + 3], unseen)
            for j, cost in enumerate(costs):
                totals[j] += cost
        return tuple(totals)

    def posteriors(self, words: Iterable[str]) -> list[tuple[str, float]]:
        """P(language | words) for the distinct words, best first."""
        totals = [0] * len(self.languages)
        for word in dict.fromkeys(words):
            for j, cost in enumerate(self.word_scores(word)):
                totals[j] += cost
        return _normalise(self.languages, totals)

    def votes(self, words: Iterable[str]) -> Counter[str]:
        """For how many of the distinct words of at least ``VOTE_LENGTH`` letters each language is
        at least ``VOTE_POSTERIOR`` likely (the words that say clearly which language they are)."""
        found: Counter[str] = Counter()
        for word in dict.fromkeys(words):
            if len(word) >= VOTE_LENGTH:
                language, posterior = _normalise(self.languages, self.word_scores(word))[0]
                if posterior >= VOTE_POSTERIOR:
                    found[language] += 1
        return found


def _normalise(languages: tuple[str, ...], costs: Sequence[int]) -> list[tuple[str, float]]:
    best = min(costs)
    weights = [math.exp((best - cost) / SCALE) for cost in costs]
    norm = sum(weights)
    ranked = sorted(zip(languages, weights, strict=True), key=lambda item: -item[1])
    return [(language, weight / norm) for language, weight in ranked]


def encode_model(model: TrigramModel) -> bytes:
    lines = ["# " + " ".join(model.languages), "\t" + model.unseen.hex()]
    lines += [f"{gram}\t{costs.hex()}" for gram, costs in sorted(model.trigrams.items())]
    return lzma.compress(("\n".join(lines) + "\n").encode("utf-8"), preset=9)


def decode_model(data: bytes) -> TrigramModel:
    head, unseen_line, *rows = lzma.decompress(data).decode("utf-8").rstrip("\n").split("\n")
    languages = tuple(head[2:].split())
    trigrams = {}
    for row in rows:
        gram, _, costs = row.partition("\t")
        trigrams[gram] = bytes.fromhex(costs)
    return TrigramModel(languages, trigrams, bytes.fromhex(unseen_line[1:]))


@lru_cache(maxsize=1)
def model() -> TrigramModel:
    if not MODEL_PATH.is_file():
        raise FileNotFoundError(f"{MODEL_PATH} is missing: run python -m ticketdesk.priority.build_langid")
    found = decode_model(MODEL_PATH.read_bytes())
    if set(found.languages) != set(LANGUAGES):
        raise ValueError(f"{MODEL_PATH} is for {found.languages}, not {LANGUAGES}")
    return found


def detect_language(text: str) -> tuple[str | None, tuple[tuple[str, float], ...]]:
    """Best language among the supported ones, or None when unsure; also the posteriors."""
    return _detect(text[:_DETECT_CHARS])


@lru_cache(maxsize=2048)
def _detect(sample: str) -> tuple[str | None, tuple[tuple[str, float], ...]]:
    words = [w.lower() for w in _WORD.findall(sample)]
    if not words:
        return None, ()
    trained = model()
    scores = tuple(trained.posteriors(words))
    best, probability = scores[0]
    if len(words) < MIN_WORDS or probability < MIN_POSTERIOR:
        return None, scores
    votes = trained.votes(words)
    if votes[best] < MIN_VOTE_SHARE * sum(votes.values()):
        return None, scores  # mixed text (e.g. a Czech form in English HTML): try every language
    return best, scores
