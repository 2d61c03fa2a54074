"""Train the second opinion (``data/second-opinion.json.xz``) on the labelled texts.

    python -m ticketdesk.priority.build_second_opinion            # write the model (a second)
    python -m ticketdesk.priority.build_second_opinion --validate # leave-one-set-out figures

Every ``tests/data/priority/*.jsonl`` set is used except those kept for measuring
(:data:`MEASURE_ONLY`).  A feature seen in fewer than :data:`MIN_COUNT` training texts of a
language is dropped.  Weights are naive Bayes log-ratios with add-half smoothing; the model
records the SHA-256 of every set it was trained on, and ``tests/unit/priority`` fails when a set
changed since (run this again).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from .evaluate import load_jsonl
from .model import LANGUAGES
from .second_opinion import DOUBT_AT, MODEL_PATH, RAISE_AT, Model, features, words
from .text import clean_body, strip_reply_prefix

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "data" / "priority"
# Never trained on: the held-out set of session 1 and the blind sets kept for the last measure.
MEASURE_ONLY = frozenset({"holdout.jsonl", "fresh_e.jsonl", "fresh_i.jsonl"})
MIN_COUNT = 2
SMOOTHING = 0.5


def training_sets(corpus: Path = CORPUS) -> list[Path]:
    return [p for p in sorted(corpus.glob("*.jsonl")) if p.name not in MEASURE_ONLY]


def message_features(row: dict[str, object]) -> set[str]:
    """The features of a labelled row, prepared as :func:`~.classifier.classify` prepares text."""
    return features(message_words(row))


def message_words(row: dict[str, object]) -> list[str]:
    subject, _reply = strip_reply_prefix(str(row["subject"]))
    return words(subject, clean_body(str(row["body"])))


def train(rows: Iterable[dict[str, object]]) -> dict[str, Model]:
    counts = {lang: (Counter[str](), Counter[str]()) for lang in LANGUAGES}
    totals = {lang: [0, 0] for lang in LANGUAGES}
    for row in rows:
        lang, urgent = str(row["lang"]), bool(row["urgent"])
        totals[lang][urgent] += 1
        counts[lang][urgent].update(message_features(row))
    result = {}
    for lang in LANGUAGES:
        (calm, urgent), (n_calm, n_urgent) = counts[lang], totals[lang]
        if not n_calm or not n_urgent:
            continue
        weights = {
            f: round(
                math.log((urgent[f] + SMOOTHING) / (n_urgent + 1))
                - math.log((calm[f] + SMOOTHING) / (n_calm + 1)),
                3,
            )
            for f in calm.keys() | urgent.keys()
            if calm[f] + urgent[f] >= MIN_COUNT
        }
        result[lang] = Model(round(math.log(n_urgent / n_calm), 3), weights)
    return result


def sources_digest(paths: Sequence[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def write(paths: Sequence[Path], target: Path = MODEL_PATH) -> dict[str, Model]:
    trained = train(row for p in paths for row in load_jsonl(p))
    data = {
        "trained_on": sources_digest(paths),
        "languages": {
            lang: {"prior": m.prior, "weights": dict(sorted(m.weights.items()))}
            for lang, m in trained.items()
        },
    }
    target.write_bytes(lzma.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()))
    return trained


def validate(paths: Sequence[Path]) -> None:
    """Leave one set out: train on the others, judge the left-out set with the model alone."""
    sets = {p.name: load_jsonl(p) for p in paths}
    tally = {lang: [0, 0, 0, 0] for lang in LANGUAGES}  # urgent, caught, calm, raised
    for name, rows in sets.items():
        models = train(r for other, rs in sets.items() if other != name for r in rs)
        for row in rows:
            score = models[str(row["lang"])].judge(message_words(row)).score
            t = tally[str(row["lang"])]
            if row["urgent"]:
                t[0] += 1
                t[1] += score >= RAISE_AT
            else:
                t[2] += 1
                t[3] += score > DOUBT_AT
    print("model alone, leave one set out: share of urgent texts it would raise (score >= RAISE_AT),")
    print("share of calm texts it would NOT doubt (score > DOUBT_AT)")
    for lang, (n_urgent, caught, n_calm, raised) in tally.items():
        print(f"  {lang}  sure-urgent {caught / n_urgent:.2f}  not-sure-calm {raised / n_calm:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validate", action="store_true", help="print leave-one-set-out figures")
    args = parser.parse_args(argv)
    paths = training_sets()
    if args.validate:
        validate(paths)
        return 0
    trained = write(paths)
    sizes = ", ".join(f"{lang} {len(m.weights)}" for lang, m in trained.items())
    print(f"wrote {MODEL_PATH.name}: trained on {len(paths)} sets; features per language: {sizes}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
