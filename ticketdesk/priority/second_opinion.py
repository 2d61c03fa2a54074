"""A second opinion on urgency: naive Bayes over the words of the labelled texts.

The rules decide and explain, but they only know the phrasings somebody wrote a rule for: texts
written later by people who never saw the rules showed urgent reports in words no rule had
("the payment gateway declines every card, we lose sales by the minute") and alarming words in
messages that were not urgent.  A naive Bayes model per language, trained on the same labelled
texts (``tests/data/priority``) by :mod:`.build_second_opinion`, weighs every word instead.

Features are the folded words of subject and body, each pair of neighbouring words, and the first
five letters of longer words (a stand-in for lemmas that does not depend on the lemma tables, so
rebuilding those never makes the model stale).  The score is the log-odds of "urgent".

The model only speaks on messages of at least :data:`MIN_WORDS` words, only changes a decision
when it is very sure, and says so among the reasons:

* the rules found nothing urgent and the score is at least :data:`RAISE_AT`: the message becomes
  urgent, with a reason ``second-opinion`` that lists the words that weighed most;
* the rules found it urgent and the score is at most :data:`DOUBT_AT`: the urgent reasons are
  lowered to high (effect :data:`~.model.DOUBTED`), the words that weighed most against urgency
  in their ``cue``.

Agents' manual choices are never touched (that is the caller's rule, as for the rules).
"""

from __future__ import annotations

import json
import lzma
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from .model import DOUBTED, RAISE, Reason, highest
from .text import tokenize

MODEL_PATH = Path(__file__).resolve().parent / "data" / "second-opinion.json.xz"
PREFIX = 5  # letters of a longer word kept as its stem feature
# Log-odds thresholds, chosen on the blind sets the rules were never tuned on (fresh_c, d, f, g),
# each judged by a model trained without it (README "How well it works").
RAISE_AT = 12.0
DOUBT_AT = -8.0
# Shorter messages are left to the rules: a sentence or two gives the word statistics too little
# to overrule them ("Wir haben einen Ausfall des Mailservers." reads like a past-tense report).
MIN_WORDS = 15
RULE_ID = "second-opinion"
SHOWN_WORDS = 5


def words(subject: str, body: str) -> list[str]:
    """The folded words of a message, subject first."""
    return [t.folded for t in tokenize(f"{subject}\n{body}") if not t.is_break]


def features(folded_words: list[str]) -> set[str]:
    """The words, neighbouring pairs ("a b") and stems ("vypad~") of a message."""
    found = set(folded_words)
    found.update(f"{a} {b}" for a, b in zip(folded_words, folded_words[1:], strict=False))
    found.update(f"{w[:PREFIX]}~" for w in folded_words if len(w) > PREFIX)
    return found


@dataclass(frozen=True)
class Opinion:
    score: float  # log-odds of urgent
    weights: tuple[tuple[str, float], ...]  # every known feature of the message with its weight

    def words(self, toward_urgent: bool) -> list[str]:
        """The features that weighed most in one direction, as shown to people."""
        chosen = sorted(
            (fw for fw in self.weights if (fw[1] > 0) == toward_urgent),
            key=lambda fw: -abs(fw[1]),
        )
        shown: list[str] = []
        for feature, _weight in chosen:
            stem = feature.removesuffix("~")
            if stem != feature and any(w.startswith(stem) for w in shown):
                continue  # "gatew…" says nothing more next to "gateway"
            shown.append(stem + "…" if stem != feature else feature)
            if len(shown) == SHOWN_WORDS:
                break
        return shown


@dataclass(frozen=True)
class Model:
    prior: float
    weights: dict[str, float]

    def judge(self, folded_words: list[str]) -> Opinion:
        known = sorted((f, w) for f in features(folded_words) if (w := self.weights.get(f)) is not None)
        return Opinion(self.prior + sum(w for _f, w in known), tuple(known))


@cache
def models() -> dict[str, Model]:
    """The shipped models per language (empty when the data file is missing)."""
    if not MODEL_PATH.exists():
        return {}
    data = json.loads(lzma.decompress(MODEL_PATH.read_bytes()))
    return {lang: Model(m["prior"], m["weights"]) for lang, m in data["languages"].items()}


def review(
    priority: str, reasons: list[Reason], subject: str, body: str, language: str | None
) -> tuple[str, list[Reason]]:
    """The priority and reasons after the second opinion (unchanged unless it is very sure)."""
    model = models().get(language or "")
    if model is None:
        return priority, reasons
    folded_words = words(subject, body)
    if len(folded_words) < MIN_WORDS:
        return priority, reasons
    opinion = model.judge(folded_words)
    if priority != "urgent" and opinion.score >= RAISE_AT:
        shown = opinion.words(True)
        reason = Reason(
            rule_id=RULE_ID,
            level="urgent",
            language=language or "",
            matched=", ".join(shown),
            lemmas=tuple(shown),
            sentence=f"[whole message] {subject or body[:160]}",
            effect=RAISE,
            cue=f"the message reads like the urgent reports it was trained on (log-odds {opinion.score:+.1f})",
        )
        return "urgent", [reason, *reasons]
    if priority == "urgent" and opinion.score <= DOUBT_AT:
        cue = (
            f"second opinion: reads like the messages that were not urgent (log-odds {opinion.score:+.1f};"
            f" words: {', '.join(opinion.words(False))})"
        )
        doubted = [_doubt(r, cue) for r in reasons]
        return highest(doubted), doubted
    return priority, reasons


def _doubt(reason: Reason, cue: str) -> Reason:
    return replace(reason, effect=DOUBTED, cue=cue) if reason.effective_level == "urgent" else reason
