"""Decide a message's priority from its sentences: signals raise, context cues suppress.

Each sentence is matched against the rules of the detected language (all six when unsure).
A signal (e.g. "výpadek", "svarer ikke") raises its level unless the sentence says otherwise:
negated ("není výpadek"), thanked for and therefore over, resolved ("funguje znovu"), a report
about past events, a question about planned work, a condition ("if the server goes down"), an
explicit past time, or a "not urgent" remark anywhere in the message.  Two contexts reach across
sentences: a request for a root-cause report or a credit makes a signal with an explicit past time
("last Tuesday the VPS was unreachable") a past incident, and a withdrawn report ("ignore my last
ticket", "you can close the ticket") ends the signals before it.  Intermittent problems are
lowered to ``high``.  Every signal, raised or not, becomes a :class:`Reason`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from . import second_opinion
from .lexicon import detect_language
from .matcher import Match, RuleSet
from .model import (
    LANGUAGES,
    LOWERED,
    RAISE,
    SIGNAL,
    UNDETERMINED,
    Decision,
    Reason,
    Rule,
    highest,
    level_rank,
)
from .rulesets import default_rules
from .text import Token, clean_body, split_sentences, strip_reply_prefix, tokenize

MAX_BODY_CHARS = 20_000

# Effect of a suppressed signal -> the context (model.CONTEXTS) that caused it.
SUPPRESSED_BY: dict[str, str] = {
    "suppressed: negation": "negation",
    "suppressed: not urgent": "not_urgent",
    "suppressed: thanks-past": "thanks",
    "suppressed: resolved": "resolved",
    "suppressed: retrospective": "retrospective",
    "suppressed: past incident report": "claim",
    "suppressed: withdrawn": "withdrawn",
    "suppressed: maintenance question": "planned",
    "suppressed: planned maintenance": "planned",
    "suppressed: hypothetical": "hypothetical",
    "suppressed: past": "past",
}
EFFECT_OF: dict[str, str] = {context: effect for effect, context in SUPPRESSED_BY.items()}


@dataclass
class _Sentence:
    text: str
    tokens: list[Token]
    is_subject: bool
    matches: list[Match]
    signals: list[Match] = field(default_factory=list)
    cues: dict[str, list[Match]] = field(default_factory=dict)
    negations: list[Match] = field(default_factory=list)  # including those inside signals
    clause_breaks: frozenset[int] = frozenset()
    segment: list[int] = field(default_factory=list)
    is_question: bool = False

    def cue(self, kind: str) -> list[Match]:
        return self.cues.get(kind, [])

    def has_break(self, left: int, right: int) -> bool:
        """Punctuation or a clause word ('and', 'a', 'und') strictly between two positions?"""
        return any(
            t.is_break or i in self.clause_breaks
            for i, t in enumerate(self.tokens[left + 1 : right], left + 1)
        )


@dataclass(frozen=True)
class _Message:
    """Cues that work across the sentences of a message (see ``_message_context``)."""

    claim: str = ""  # label of the first claim cue of the body
    withdrawn: tuple[int, int, str] | None = None  # sentence, segment and label of the last one


def _message_cues(sentences: list[_Sentence]) -> _Message:
    claims = [_label(m, s) for s in sentences for m in s.cue("claim")]
    withdrawn = [
        (i, s.segment[m.start], _label(m, s))
        for i, s in enumerate(sentences)
        for m in s.cue("withdrawn")
        if not _cue_negated(m, s)
    ]
    return _Message(claims[0] if claims else "", withdrawn[-1] if withdrawn else None)


@lru_cache(maxsize=8)
def _compiled(rules: tuple[Rule, ...]) -> RuleSet:
    return RuleSet(rules)


@lru_cache(maxsize=1)
def _default_ruleset() -> RuleSet:
    return _compiled(tuple(default_rules()))


def compile_rules(rules: Sequence[Rule] | None = None) -> RuleSet:
    """Compile (and cache) a rule list; ``None`` means the shipped default rules (looked up
    without hashing the ~250 rules on every message)."""
    return _default_ruleset() if rules is None else _compiled(tuple(rules))


def classify(subject: str, body: str, rules: Sequence[Rule] | RuleSet | None = None) -> Decision:
    """Priority of a message (``urgent``/``high``/``normal``/``low``) with the reasons for it."""
    ruleset = rules if isinstance(rules, RuleSet) else compile_rules(rules)
    subject_text, _is_reply = strip_reply_prefix(subject or "")
    body_text = clean_body((body or "")[:MAX_BODY_CHARS])
    detected, scores = detect_language(f"{subject_text}\n{body_text}")
    languages = (detected,) if detected else (ruleset.languages_with_rules() or LANGUAGES)

    sentences = [
        _analyse(s, False, ruleset, languages)
        for s in split_sentences(body_text, capital_breaks=detected != "de")
    ]
    # Subjects are often English even when the body is not ("Server down", "Outage").
    subject_languages = languages if "en" in languages else (*languages, "en")
    subject_sentences = [_analyse(subject_text, True, ruleset, subject_languages)] if subject_text else []
    not_urgent = [_label(m, s) for s in (*subject_sentences, *sentences) for m in s.cue("not_urgent")]
    message = _message_cues(sentences)

    reasons: list[Reason] = []
    for i, sentence in enumerate(sentences):
        previous = sentences[i - 1] if i else None
        for signal in sentence.signals:
            effect, cue = _judge(signal, sentence, previous, not_urgent, message, i)
            reasons.append(_reason(signal, sentence, effect, cue, detected, ruleset))
    body_reasons = list(reasons)
    for sentence in subject_sentences:
        for signal in sentence.signals:
            effect, cue = _judge(signal, sentence, None, not_urgent, message, -1)
            if effect == RAISE and signal.rule.level in ("urgent", "high"):
                tokens = [sentence.tokens[i] for i in signal.indices]
                effect, cue = _echo_body(signal, tokens, body_reasons, sentences, ruleset)
            reasons.append(_reason(signal, sentence, effect, cue, detected, ruleset))

    # Mixed text (a Norwegian mail quoting an English error) has no sure language: the second opinion
    # then reads it as the likeliest one.
    likeliest = detected or (scores[0][0] if scores else None)
    priority, reasons = second_opinion.review(highest(reasons), reasons, subject_text, body_text, likeliest)
    reasons.sort(key=lambda r: -level_rank(r.effective_level) if r.effective_level else 1)
    return Decision(priority, detected or UNDETERMINED, reasons, languages)


def _analyse(text: str, is_subject: bool, ruleset: RuleSet, languages: Sequence[str]) -> _Sentence:
    tokens = tokenize(text)
    matches: list[Match] = []
    seen: set[tuple[str, tuple[int, ...]]] = set()
    for language in languages:
        for m in ruleset.find(tokens, language):
            if (m.rule.id, m.indices) not in seen:
                seen.add((m.rule.id, m.indices))
                matches.append(m)
    sentence = _Sentence(text, tokens, is_subject, matches)
    masked = {i for m in matches if m.rule.kind == "mask" for i in m.indices}
    sentence.signals = [m for m in matches if m.rule.kind == SIGNAL and not masked & set(m.indices)]
    for m in matches:
        if m.rule.kind not in (SIGNAL, "mask"):
            sentence.cues.setdefault(m.rule.kind, []).append(m)
    # A negation that is part of a signal ("nie działa", "svarer ikke") negates no other signal.
    sentence.negations = sentence.cue("negation")
    if sentence.negations:
        sentence.cues["negation"] = [
            n for n in sentence.negations if not any(n.overlaps(s) for s in sentence.signals)
        ]
    # "won't", "wird nicht", "vil ikke": a negated future describes the present state, not plans.
    if "future" in sentence.cues:
        sentence.cues["future"] = [
            f
            for f in sentence.cues["future"]
            if not any(abs(n.start - f.end) <= 1 or abs(f.start - n.end) <= 1 for n in sentence.negations)
        ]
    # "od 8:40 do 9:15", "between 9:20 and 10:05": a closed time range is past, not "since 8:40".
    if "ongoing" in sentence.cues and "past" in sentence.cues:
        sentence.cues["ongoing"] = [
            o
            for o in sentence.cues["ongoing"]
            if not any(
                len(p.indices) > len(o.indices) and set(o.indices) <= set(p.indices)
                for p in sentence.cues["past"]
            )
        ]
    sentence.clause_breaks = frozenset(i for m in sentence.cue("clause") for i in m.indices)
    starts = {m.start for m in sentence.cue("contrast")}
    segment = 0
    for i in range(len(tokens)):
        segment += i in starts
        sentence.segment.append(segment)
    stripped = text.rstrip(" \"'”»)]")
    sentence.is_question = stripped.endswith("?") or bool(sentence.cue("question"))
    return sentence


def _judge(
    signal: Match,
    s: _Sentence,
    previous: _Sentence | None,
    not_urgent: list[str],
    message: _Message,
    index: int,
) -> tuple[str, str]:
    """The effect of one signal in its sentence (number ``index`` of the body, -1 for the subject)
    and (a label of) the cue responsible for it."""
    effect, cue = _context(signal, s, previous)
    if effect in (RAISE, LOWERED):
        found = _message_context(signal, s, message, index)
        if found is not None:
            return found
    if effect in (RAISE, LOWERED) and not_urgent and "not_urgent" in signal.rule.suppressible_by:
        if signal.rule.level in ("urgent", "high"):
            return EFFECT_OF["not_urgent"], not_urgent[0]
    if cue is None:
        return effect, ""
    owner = previous if previous is not None and any(cue is m for m in previous.matches) else s
    return effect, _label(cue, owner)


def _kinds_in_segment(s: _Sentence, seg: int, kinds: tuple[str, ...]) -> list[str]:
    return [kind for kind in kinds if any(s.segment[c.start] == seg for c in s.cue(kind))]


def _message_context(signal: Match, s: _Sentence, message: _Message, index: int) -> tuple[str, str] | None:
    """Contexts from other sentences: a withdrawn report ends the signals before it (and those of
    its own clause group), a claim for a report or credit makes a past-time signal a past incident.
    'still', 'again', 'since' in the signal's clause group keep it."""
    allowed = signal.rule.suppressible_by
    seg = s.segment[signal.start]
    kinds = _kinds_in_segment(s, seg, ("ongoing", "past"))
    if "ongoing" in kinds:
        return None
    if "withdrawn" in allowed and message.withdrawn is not None:
        at, at_segment, label = message.withdrawn
        if index < at or (index == at and seg <= at_segment):
            return EFFECT_OF["withdrawn"], label
    if "claim" in allowed and message.claim and "past" in kinds:
        past = next(p for p in s.cue("past") if s.segment[p.start] == seg)
        return EFFECT_OF["claim"], f"{message.claim} + {_label(past, s)}"
    return None


def _context(signal: Match, s: _Sentence, previous: _Sentence | None) -> tuple[str, Match | None]:
    allowed = signal.rule.suppressible_by
    seg = s.segment[signal.start]
    same_segment = _kinds_in_segment(s, seg, ("ongoing", "thanks", "past"))

    if "negation" in allowed:
        for n in s.cue("negation"):
            # "Strona nie leży", "the database is not corrupted": a negation inside the signal's span
            if (
                _within_reach(n, signal, s) or signal.start < n.start <= n.end < signal.end
            ) and not _signal_between(n, signal, s):
                return EFFECT_OF["negation"], n
    if (
        "thanks" in allowed
        and "thanks" in same_segment
        and "ongoing" not in same_segment
        and not s.cue("in_advance")
    ):
        for t in s.cue("thanks"):
            if t.start < signal.start and s.segment[t.start] == seg:
                return EFFECT_OF["thanks"], t
    if "resolved" in allowed:
        for r in s.cue("resolved"):
            if s.segment[r.start] >= seg and not _cue_negated(r, s):
                return EFFECT_OF["resolved"], r
    if "retrospective" in allowed:
        for r in s.cue("retrospective"):
            if s.segment[r.start] == seg:
                return EFFECT_OF["retrospective"], r
    if "planned" in allowed:
        # "The maintenance should have ended at 6, but nothing works": only the signal's clause group.
        planned = [p for p in s.cue("planned") if s.segment[p.start] == seg] or (
            previous.cue("planned") if previous and s.is_question else []
        )
        if planned and s.is_question:
            return "suppressed: maintenance question", planned[0]
        if planned and s.cue("future"):
            return "suppressed: planned maintenance", planned[0]
    if "hypothetical" in allowed:
        for h in s.cue("hypothetical"):
            if h.end < signal.start and (s.is_question or not s.has_break(h.end, signal.start)):
                return EFFECT_OF["hypothetical"], h
    if "past" in allowed and "past" in same_segment and "ongoing" not in same_segment:
        return EFFECT_OF["past"], next(p for p in s.cue("past") if s.segment[p.start] == seg)
    if "degraded" in allowed and signal.rule.level == "urgent":
        for d in s.cue("degraded"):
            if _within_reach(d, signal, s):
                return LOWERED, d
    return RAISE, None


def _within_reach(n: Match, signal: Match, s: _Sentence) -> bool:
    """Is the signal within the cue's reach (words after / before it, not across punctuation)?"""
    if n.end < signal.start:
        return signal.start - n.end - 1 <= n.rule.reach_after and not s.has_break(n.end, signal.start)
    if n.start > signal.end:
        return n.start - signal.end - 1 <= n.rule.reach_before and not s.has_break(signal.end, n.start)
    return False


def _signal_between(cue: Match, signal: Match, s: _Sentence) -> bool:
    """'nic nefunguje kvůli výpadku': the negation belongs to the nearer signal."""
    left, right = (cue.end, signal.start) if cue.end < signal.start else (signal.end, cue.start)
    return any(left < other.start and other.end < right for other in s.signals if other is not signal)


def _cue_negated(cue: Match, s: _Sentence) -> bool:
    """'not working again' is no resolution: a negation right before a cue cancels it."""
    return any(n.end < cue.start and cue.start - n.end <= 2 for n in s.negations)


def _echo_body(
    signal: Match,
    signal_tokens: list[Token],
    body_reasons: list[Reason],
    body: list[_Sentence],
    ruleset: RuleSet,
) -> tuple[str, str]:
    """The subject names the topic of the body: when the body puts it in a context that suppresses
    it (thanks, a maintenance question, a resolved problem...), the subject follows the body."""
    allowed = signal.rule.suppressible_by
    for reason in body_reasons:
        context = SUPPRESSED_BY.get(reason.effect)
        if context in allowed and reason.level in ("urgent", "high"):
            return reason.effect, f"message body: {reason.cue}"
    # compared by lemma too: "Sähkökatko" in the subject, "sähkökatkon sattuessa" in the body
    masked = {
        form
        for s in body
        for m in s.matches
        if m.rule.kind == "mask"
        for i in m.indices
        for form in (s.tokens[i].folded, ruleset.lexicon(m.language).forms(s.tokens[i].text)[2])
    }
    lexicon = ruleset.lexicon(signal.language)
    words = {t.folded for t in signal_tokens}
    if words and (words <= masked or {lexicon.forms(t.text)[2] for t in signal_tokens} <= masked):
        return "suppressed: mask", "message body uses these words in a harmless phrase"
    for sentence in body:
        for kind in ("resolved", "retrospective"):
            if kind in allowed:
                for cue in sentence.cue(kind):
                    if not _cue_negated(cue, sentence):
                        return EFFECT_OF[kind], f"message body: {_label(cue, sentence)}"
    return RAISE, ""


def _words(m: Match, s: _Sentence) -> str:
    return " ".join(s.tokens[i].text for i in m.indices)


def _label(cue: Match, s: _Sentence) -> str:
    return f"{cue.rule.id} '{_words(cue, s)}'"


def _reason(
    signal: Match, s: _Sentence, effect: str, cue: str, detected: str | None, ruleset: RuleSet
) -> Reason:
    language = signal.rule.language if signal.rule.language in LANGUAGES else (detected or signal.language)
    lemmas = tuple(ruleset.shown_lemma(s.tokens[i].text, signal.language) for i in signal.indices)
    assert signal.rule.level is not None
    where = f"[subject] {s.text}" if s.is_subject else s.text
    return Reason(signal.rule.id, signal.rule.level, language, _words(signal, s), lemmas, where, effect, cue)
