"""Human-readable explanation of a priority decision."""

from __future__ import annotations

from .model import DOUBTED, LOWERED, RAISE, UNDETERMINED, Decision


def explain_text(decision: Decision) -> str:
    """Several lines: the priority, then every rule that matched, what it matched and its effect."""
    language = decision.language if decision.language != UNDETERMINED else "undetermined"
    tried = ", ".join(decision.languages_tried)
    lines = [f"Priority: {decision.priority} (language: {language}; rules tried: {tried})"]
    if not decision.reasons:
        lines.append("No rule matched; the default priority applies.")
        return "\n".join(lines)
    for r in decision.reasons:
        lemmas = ", ".join(r.lemmas)
        if r.effect == RAISE:
            head = f"- {r.level.upper()} by rule {r.rule_id}"
        elif r.effect in (LOWERED, DOUBTED):
            head = f"- HIGH (rule {r.rule_id} is {r.level}, {r.effect})"
        else:
            head = f"- ignored {r.level} rule {r.rule_id}: {r.effect.removeprefix('suppressed: ')}"
        lines.append(f'{head}: matched "{r.matched}" (lemmas: {lemmas}) [{r.language}]')
        if r.cue:
            lines.append(f"    because of {r.cue}")
        lines.append(f'    in: "{_shorten(r.sentence)}"')
    return "\n".join(lines)


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
