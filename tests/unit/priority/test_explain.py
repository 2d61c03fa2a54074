"""Every decision can be explained: which rule matched which words, in which sentence, and why
a matched rule did or did not count."""

import json

from ticketdesk.priority import Decision, Reason, classify, explain_text


def test_reason_names_rule_words_lemmas_sentence_and_effect() -> None:
    decision = classify("Dotaz", "Dobrý den, od rána nám nechodí pošta. Díky za výpadky minulý týden nic.")
    raised = [r for r in decision.reasons if r.effect == "raise"]
    assert decision.priority == "urgent"
    reason = raised[0]
    assert reason.rule_id == "cs.not_working"
    assert (reason.level, reason.language) == ("urgent", "cs")
    assert reason.matched == "nechodí"
    assert reason.lemmas == ("nechodit",)
    assert reason.sentence == "Dobrý den, od rána nám nechodí pošta."
    assert reason.cue == ""


def test_suppressed_reason_names_the_cue() -> None:
    decision = classify("", "Es gibt keinen Ausfall, wir haben nur eine Frage.")
    (reason,) = decision.reasons
    assert reason.rule_id == "de.outage"
    assert reason.matched == "Ausfall"
    assert reason.effect == "suppressed: negation"
    assert reason.cue == "de.negation 'keinen'"
    assert not reason.raised and reason.effective_level is None


def test_subject_reasons_are_marked() -> None:
    decision = classify("Server down", "Please check.")
    (reason,) = decision.reasons
    assert reason.sentence == "[subject] Server down"
    assert reason.effect == "raise"


def test_raised_reasons_come_first_strongest_first() -> None:
    decision = classify(
        "", "Thanks for fixing the outage yesterday. The site is slow now. And the mail server is down!"
    )
    levels = [r.effective_level for r in decision.reasons]
    assert levels == ["urgent", "high", "low", None]


def test_decision_to_dict_is_json_ready() -> None:
    decision = classify("Výpadek", "Máme výpadek všech služeb, nic nefunguje.")
    data = json.loads(json.dumps(decision.to_dict()))
    assert data["priority"] == "urgent"
    assert data["language"] == "cs"
    assert data["languages_tried"] == ["cs"]
    first = data["reasons"][0]
    assert set(first) == {"rule_id", "level", "language", "matched", "lemmas", "sentence", "effect", "cue"}
    assert first["lemmas"] == ["výpadek"]


def test_explain_text_lists_every_reason() -> None:
    decision = classify("Kiitos", "Kiitos nopeasta avusta eilisessä katkoksessa.")
    text = explain_text(decision)
    lines = text.splitlines()
    assert lines[0] == "Priority: low (language: fi; rules tried: fi)"
    assert '- LOW by rule fi.thank_you: matched "Kiitos nopeasta" (lemmas: kiitos, nopea) [fi]' in lines
    assert any(line.startswith("- ignored urgent rule fi.outage: thanks-past") for line in lines)
    assert "    because of fi.thanks 'Kiitos'" in lines
    assert '    in: "Kiitos nopeasta avusta eilisessä katkoksessa."' in lines


def test_explain_text_for_lowered_and_empty_decisions() -> None:
    lowered = explain_text(classify("", "The contact form on our website doesn't work."))
    assert "- HIGH (rule en.not_working is urgent, lowered: intermittent or partial)" in lowered
    assert "because of en.minor_component 'form'" in lowered
    empty = explain_text(Decision("normal", "und", [], ("cs", "en")))
    assert empty.splitlines() == [
        "Priority: normal (language: undetermined; rules tried: cs, en)",
        "No rule matched; the default priority applies.",
    ]


def test_reason_is_plain_data() -> None:
    reason = Reason("x.y", "high", "en", "slow", ("slow",), "It is slow.", "raise")
    assert reason.to_dict()["lemmas"] == ["slow"]
    assert reason.effective_level == "high"
