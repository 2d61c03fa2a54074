"""The shipped rules, one module per language plus rules for every language ('*').

Rules are plain dictionaries here (the form an admin edits and a database stores);
:func:`default_rules` turns them into validated :class:`Rule` objects.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from ..model import Rule
from . import common, cs, de, en, fi, nb, pl

_MODULES = (common, cs, en, de, fi, pl, nb)


def default_rule_dicts() -> list[dict[str, Any]]:
    """A fresh copy of the shipped rules as dictionaries (safe to modify)."""
    return [copy.deepcopy(rule) for module in _MODULES for rule in module.RULES]


@lru_cache(maxsize=1)
def _default_rules() -> tuple[Rule, ...]:
    return tuple(Rule.from_dict(d) for d in default_rule_dicts())


def default_rules() -> list[Rule]:
    """The shipped rules for cs, en, de, fi, pl and nb (plus language-independent ones)."""
    return list(_default_rules())
