"""Rules are data: serialisable, validated, editable (an admin's rule changes the outcome)."""

import json

import pytest

from ticketdesk.priority import (
    CONTEXTS,
    KINDS,
    LANGUAGES,
    Rule,
    RuleSet,
    classify,
    compile_rules,
    default_rule_dicts,
    default_rules,
)


def test_default_rules_cover_all_languages_and_kinds() -> None:
    rules = default_rules()
    assert {r.language for r in rules} == {*LANGUAGES, "*"}
    for language in LANGUAGES:
        kinds = {r.kind for r in rules if r.language == language}
        assert {"signal", "negation", "thanks", "resolved", "planned", "not_urgent", "contrast"} <= kinds
        levels = {r.level for r in rules if r.language == language and r.kind == "signal"}
        assert levels == {"urgent", "high", "low"}
    assert len({r.id for r in rules}) == len(rules)


def test_round_trip_through_dict_and_json() -> None:
    for rule in default_rules():
        data = rule.to_dict()
        assert set(data) == {
            "id", "language", "kind", "level", "terms", "phrases", "gap", "suppressible_by",
            "reach_before", "reach_after", "enabled", "description",
        }  # fmt: skip
        assert Rule.from_dict(json.loads(json.dumps(data))) == rule


def test_default_rule_dicts_are_copies() -> None:
    dicts = default_rule_dicts()
    dicts[0]["terms"].append("changed")
    assert "changed" not in default_rule_dicts()[0]["terms"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "alarm"}, "unknown kind"),
        ({"level": None}, "needs a level"),
        ({"language": "sv"}, "unknown language"),
        ({"terms": [], "phrases": []}, "no terms and no phrases"),
        ({"terms": ["two words"]}, "has several words"),
        ({"phrases": ["lost * data"]}, "lone '*'"),
        ({"suppressible_by": ["weather"]}, "unknown contexts"),
        ({"gap": -1}, "must not be negative"),
        ({"colour": "red"}, "unknown fields"),
    ],
)
def test_invalid_rules_are_rejected_with_a_reason(change: dict[str, object], message: str) -> None:
    data = {"id": "x.test", "language": "en", "kind": "signal", "level": "urgent", "terms": ["meltdown"]}
    data.update(change)
    with pytest.raises(ValueError, match=message):
        Rule.from_dict(data)


def test_cue_rules_have_no_level() -> None:
    with pytest.raises(ValueError, match="only signal rules"):
        Rule(id="x.neg", language="en", kind="negation", level="high", terms=("nope",))


def test_duplicate_ids_are_rejected() -> None:
    rule = Rule(id="x.a", language="en", kind="signal", level="high", terms=("meltdown",))
    with pytest.raises(ValueError, match="duplicate rule ids"):
        RuleSet([rule, rule])


def test_admin_added_rule_changes_the_decision() -> None:
    body = "Our reactor has a meltdown."
    assert classify("", body).priority == "normal"
    extra = Rule.from_dict(
        {"id": "en.meltdown", "language": "en", "kind": "signal", "level": "urgent", "terms": ["meltdown*"]}
    )
    decision = classify("", body, [*default_rules(), extra])
    assert decision.priority == "urgent"
    assert decision.reasons[0].rule_id == "en.meltdown"


def test_disabled_rule_is_ignored() -> None:
    rules = [
        Rule.from_dict({**r.to_dict(), "enabled": False}) if r.id == "cs.outage" else r
        for r in default_rules()
    ]
    assert classify("", "Hlásíme výpadek.", rules).priority == "normal"
    assert classify("", "Hlásíme výpadek.").priority == "urgent"


def test_compiled_ruleset_can_be_reused() -> None:
    ruleset = compile_rules()
    assert compile_rules() is ruleset
    assert classify("", "Serveren svarer ikke.", ruleset).priority == "urgent"


def test_pattern_syntax() -> None:
    rules = [
        Rule(id="x.exact", language="en", kind="signal", level="low", terms=("widget",)),
        Rule(id="x.prefix", language="en", kind="signal", level="low", terms=("gizm*",)),
        Rule(id="x.suffix", language="de", kind="signal", level="low", terms=("*zeug",)),
        Rule(id="x.surface", language="en", kind="signal", level="low", terms=("=was",)),
        Rule(id="x.phrase", language="en", kind="signal", level="high", phrases=("blue|red box",), gap=1),
    ]
    ruleset = RuleSet(rules)
    found = {
        r.rule_id: r.matched for r in classify("", "Widgets and gizmos, a red big box.", ruleset).reasons
    }
    assert found == {"x.exact": "Widgets", "x.prefix": "gizmos", "x.phrase": "red box"}
    found = {r.rule_id for r in classify("", "It was fine, it is fine.", ruleset).reasons}
    assert found == {"x.surface"}  # "is" has the lemma "be" as well, but "=was" compares the word only
    found = {
        r.rule_id for r in classify("", "Das ist Werkzeug für den Server, bitte prüfen.", ruleset).reasons
    }
    assert found == {"x.suffix"}


def test_constants_are_consistent() -> None:
    assert "signal" in KINDS and "mask" in KINDS
    assert set(CONTEXTS) <= set(KINDS) | {"not_urgent", "degraded"}
