"""Data types of the priority detector: rules (editable data), reasons and decisions.

A :class:`Rule` is plain data so that the application can keep rules in a database table and
let admins edit them; ``Rule.from_dict(rule.to_dict()) == rule`` always holds.

Pattern syntax used in ``terms`` and ``phrases`` (matching is case- and diacritics-insensitive):

* ``word``      the word form or its lemma equals ``word``
* ``stem*``     the word form or its lemma starts with ``stem``
* ``*tail``     ... ends with ``tail`` (compounds: ``*ausfall`` matches ``Totalausfall``)
* ``*part*``    ... contains ``part``
* ``=form``     only the word as written (not the lemma) is compared
* ``a|b``       alternatives for one word position

A phrase is several such positions separated by spaces; at most ``gap`` other words may stand
between two positions, and a phrase never spans punctuation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

LANGUAGES: tuple[str, ...] = ("cs", "en", "de", "fi", "pl", "nb")
ANY_LANGUAGE = "*"
UNDETERMINED = "und"

LEVELS: tuple[str, ...] = ("low", "normal", "high", "urgent")
DEFAULT_LEVEL = "normal"

# Reason.effect is RAISE, LOWERED, DOUBTED or "suppressed: <why>".
RAISE = "raise"
LOWERED = "lowered: intermittent or partial"
DOUBTED = "lowered: second opinion"  # the statistical second opinion doubts an urgent signal

# Rule kinds.  "signal" rules raise a priority level; every other kind is a context cue that
# changes how signals in the same sentence are read.
SIGNAL = "signal"
CUE_KINDS: dict[str, str] = {
    "negation": "negates a signal that follows within `reach_after` (or precedes within `reach_before`) words",
    "thanks": "a thank-you: a signal after it in the same clause group is about something that is over",
    "in_advance": "'thanks in advance': cancels the thanks cues of its sentence",
    "resolved": "the problem is over (works again, back online)",
    "past": "explicit past time (yesterday, last week)",
    "ongoing": "the problem still lasts (still, since): cancels past and thanks cues of its clause group",
    "planned": "planned work (maintenance, upgrade, migration)",
    "future": "future tense marker (will, bude, wird)",
    "question": "question word: the sentence is a question even without '?'",
    "hypothetical": "condition (if, in case): signals after it describe no real event",
    "retrospective": "report, overview or policy about outages in general (SLA report, uptime guarantee)",
    "claim": "request for a root-cause report, a credit or a corrected invoice: a signal with an explicit past time in any sentence of the message describes a past incident",
    "withdrawn": "the sender withdraws a report or asks to close the ticket (false alarm, our own mistake): signals up to it in the message are over",
    "not_urgent": "the sender says it is not urgent: no signal of the message raises above normal",
    "degraded": "intermittent or partial problem: urgent signals count as high",
    "contrast": "'but': starts a new clause group inside a sentence",
    "clause": "'and', 'or': ends the reach of negation, condition and intermittent/partial cues",
    "mask": "words that must never count as signals (e.g. 'shut down', 'huoltokatko')",
}
KINDS: tuple[str, ...] = (SIGNAL, *CUE_KINDS)

# Contexts that can suppress (or lower) a signal; a signal rule lists those that apply to it.
CONTEXTS: tuple[str, ...] = (
    "negation",
    "not_urgent",
    "thanks",
    "resolved",
    "retrospective",
    "claim",
    "withdrawn",
    "planned",
    "hypothetical",
    "past",
    "degraded",
)


@dataclass(frozen=True)
class Rule:
    """One detection rule (a signal with a level, or a context cue)."""

    id: str
    language: str
    kind: str
    level: str | None = None
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    gap: int = 2
    suppressible_by: tuple[str, ...] = CONTEXTS
    reach_before: int = 0
    reach_after: int = 3
    enabled: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.id:
            problems.append("id is empty")
        if self.language not in (*LANGUAGES, ANY_LANGUAGE):
            problems.append(f"unknown language {self.language!r}")
        if self.kind not in KINDS:
            problems.append(f"unknown kind {self.kind!r}")
        if self.kind == SIGNAL and self.level not in LEVELS:
            problems.append(f"a signal needs a level out of {LEVELS}, got {self.level!r}")
        if self.kind != SIGNAL and self.level is not None:
            problems.append("only signal rules have a level")
        if not self.terms and not self.phrases:
            problems.append("no terms and no phrases")
        for pattern in (*self.terms, *self.phrases):
            alternatives = [alt for word in pattern.split() for alt in word.split("|")]
            if not pattern.strip() or any(not alt.strip("*=") for alt in alternatives):
                problems.append(f"malformed pattern {pattern!r} (a lone '*' is no word; use `gap`)")
        for term in self.terms:
            if len(term.split()) != 1:
                problems.append(f"term {term!r} has several words; put it in phrases")
        unknown = [c for c in self.suppressible_by if c not in CONTEXTS]
        if unknown:
            problems.append(f"unknown contexts in suppressible_by: {unknown}")
        if min(self.gap, self.reach_before, self.reach_after) < 0:
            problems.append("gap and reach must not be negative")
        if problems:
            raise ValueError(f"rule {self.id!r}: " + "; ".join(problems))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        known = {f for f in cls.__dataclass_fields__}
        extra = set(data) - known
        if extra:
            raise ValueError(f"rule {data.get('id')!r}: unknown fields {sorted(extra)}")
        values = dict(data)
        for name in ("terms", "phrases", "suppressible_by"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("terms", "phrases", "suppressible_by"):
            data[name] = list(data[name])
        return data


@dataclass(frozen=True)
class Reason:
    """Why a rule mattered: which words matched in which sentence, and what it did."""

    rule_id: str
    level: str
    language: str
    matched: str
    lemmas: tuple[str, ...]
    sentence: str
    effect: str
    cue: str = ""

    @property
    def raised(self) -> bool:
        return self.effect in (RAISE, LOWERED, DOUBTED)

    @property
    def effective_level(self) -> str | None:
        if self.effect == RAISE:
            return self.level
        if self.effect in (LOWERED, DOUBTED):
            return "high"
        return None

    def to_dict(self) -> dict[str, Any]:
        # flat fields: a plain dict is far cheaper than dataclasses.asdict's deep copy (every new ticket)
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["lemmas"] = list(self.lemmas)
        return data


@dataclass(frozen=True)
class Decision:
    """The priority of one message and every reason behind it."""

    priority: str
    language: str
    reasons: list[Reason] = field(default_factory=list)
    languages_tried: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "priority": self.priority,
            "language": self.language,
            "languages_tried": list(self.languages_tried),
            "reasons": [r.to_dict() for r in self.reasons],
        }


def level_rank(level: str) -> int:
    return LEVELS.index(level)


def highest(reasons: list[Reason]) -> str:
    """The highest level the reasons raise to (the default level when none raises)."""
    raised = [lvl for r in reasons if (lvl := r.effective_level) is not None]
    return max(raised, key=level_rank) if raised else DEFAULT_LEVEL
