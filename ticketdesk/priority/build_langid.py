"""Train the language model of :mod:`.langid` (``data/langid.txt.xz``) from simplemma's dictionaries.

    python -m ticketdesk.priority.build_langid      # about 3 minutes, 1 GB of memory

Every word form counts towards its language's letter trigrams with weight 1 / (number of forms
of its lemma), so that each lemma weighs the same whether the language inflects much (Finnish,
Polish) or little (English); Czech and Polish forms also count without diacritics (weight 0.3),
as mail is often typed that way.  The ``TOP`` most frequent trigrams of each language are kept.
"""

from __future__ import annotations

import math
import sys
import unicodedata
from collections import Counter
from collections.abc import Sequence

from simplemma.strategies.dictionaries.dictionary_factory import _load_dictionary_from_disk

from .langid import MODEL_PATH, SCALE, TrigramModel, encode_model
from .model import LANGUAGES

TOP = 20_000
ALPHA = 0.5
STRIPPED_WEIGHT = 0.3
STRIPPED = ("cs", "pl")


def _strip(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def trigram_counts(language: str) -> Counter[str]:
    entries = [(k.decode(), v.decode()) for k, v in _load_dictionary_from_disk(language).items()]
    paradigm = Counter(lemma for _form, lemma in entries)
    counts: Counter[str] = Counter()
    for form, lemma in entries:
        weight = 1.0 / paradigm[lemma]
        lowered = form.lower()
        variants = [(lowered, weight)]
        if language in STRIPPED and (bare := _strip(lowered)) != lowered:
            variants.append((bare, weight * STRIPPED_WEIGHT))
        for word, w in variants:
            padded = f"^{word}$"
            for i in range(len(padded) - 2):
                counts[padded[i : i + 3]] += w
    return counts


def _cost(count: float, total: float, vocabulary: int) -> int:
    return min(255, round(-math.log((count + ALPHA) / (total + ALPHA * vocabulary)) * SCALE))


def train(counts: dict[str, Counter[str]]) -> TrigramModel:
    languages = tuple(counts)
    kept = {gram for c in counts.values() for gram, _n in c.most_common(TOP)}
    totals = {lang: (sum(c.values()), len(c)) for lang, c in counts.items()}
    trigrams = {
        gram: bytes(_cost(counts[lang].get(gram, 0.0), *totals[lang]) for lang in languages)
        for gram in sorted(kept)
    }
    unseen = bytes(_cost(0.0, *totals[lang]) for lang in languages)
    return TrigramModel(languages, trigrams, unseen)


def main(argv: Sequence[str] | None = None) -> int:
    counts = {}
    for language in LANGUAGES:
        counts[language] = trigram_counts(language)
        print(f"{language}: {len(counts[language])} trigrams", file=sys.stderr, flush=True)
    trained = train(counts)
    MODEL_PATH.parent.mkdir(exist_ok=True)
    MODEL_PATH.write_bytes(encode_model(trained))
    print(f"{MODEL_PATH}: {len(trained.trigrams)} trigrams", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
