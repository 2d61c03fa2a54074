"""Helpers that build rule dictionaries (the stored, editable form of a rule)."""

from __future__ import annotations

from typing import Any

from ..model import CONTEXTS

RuleDict = dict[str, Any]

# Which contexts may suppress a signal (see model.CONTEXTS):
ALL = list(CONTEXTS)
# Negative forms ("nefunguje", "svarer ikke", "won't boot") already contain their negation, and
# they describe the present state, so a past-time word elsewhere in the clause does not end them.
STATE = [c for c in CONTEXTS if c not in ("negation", "past")]
# Data loss and security incidents stay urgent even when they happened in the past (also when
# the sender asks for a report or a credit about them).
INCIDENT = [c for c in CONTEXTS if c not in ("past", "claim")]
# Low-level signals (billing, prices, thanks) only disappear when negated.
LOW = ["negation"]

# How far (in words before, after) a cue reaches when its kind works on nearby words only.
DEFAULT_REACH = {"negation": (0, 3), "degraded": (4, 4)}

# Any digit: "od 9:00", "since 10".
DIGITS = "0*|1*|2*|3*|4*|5*|6*|7*|8*|9*"


def signal(
    language: str,
    name: str,
    level: str,
    *,
    terms: list[str] | None = None,
    phrases: list[str] | None = None,
    gap: int = 2,
    contexts: list[str] | None = None,
    description: str = "",
) -> RuleDict:
    return {
        "id": f"{language if language != '*' else 'any'}.{name}",
        "language": language,
        "kind": "signal",
        "level": level,
        "terms": list(terms or []),
        "phrases": list(phrases or []),
        "gap": gap,
        "suppressible_by": list(ALL if contexts is None else contexts),
        "description": description,
    }


def cue(
    language: str,
    kind: str,
    *,
    name: str | None = None,
    terms: list[str] | None = None,
    phrases: list[str] | None = None,
    gap: int = 2,
    reach_before: int | None = None,
    reach_after: int | None = None,
    description: str = "",
) -> RuleDict:
    default_before, default_after = DEFAULT_REACH.get(kind, (0, 3))
    return {
        "id": f"{language if language != '*' else 'any'}.{name or kind}",
        "language": language,
        "kind": kind,
        "level": None,
        "terms": list(terms or []),
        "phrases": list(phrases or []),
        "gap": gap,
        "reach_before": default_before if reach_before is None else reach_before,
        "reach_after": default_after if reach_after is None else reach_after,
        "description": description,
    }
