"""Automatic ticket priority from the words and sentences of a message (DESIGN rule 12).

    >>> from ticketdesk.priority import classify, explain_text
    >>> decision = classify("Výpadek", "Máme výpadek všech služeb, nic nefunguje.")
    >>> decision.priority
    'urgent'

Pure code: no Flask, no database.  Rules are data (``default_rules()``, ``Rule.to_dict``).
"""

from .classifier import classify, compile_rules
from .explain import explain_text
from .lexicon import warm_up
from .matcher import RuleSet
from .model import CONTEXTS, KINDS, LANGUAGES, LEVELS, Decision, Reason, Rule
from .rulesets import default_rule_dicts, default_rules

__all__ = [
    "CONTEXTS",
    "KINDS",
    "LANGUAGES",
    "LEVELS",
    "Decision",
    "Reason",
    "Rule",
    "RuleSet",
    "classify",
    "compile_rules",
    "default_rule_dicts",
    "default_rules",
    "explain_text",
    "warm_up",
]
