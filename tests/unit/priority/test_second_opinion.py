"""The statistical second opinion: it catches urgent mail no rule describes, doubts rule alarms in
mail that reads calm, leaves short messages to the rules, explains itself, and is never stale."""

import json
import lzma

from ticketdesk.priority import classify, explain_text
from ticketdesk.priority.build_second_opinion import MEASURE_ONLY, sources_digest, training_sets
from ticketdesk.priority.model import DOUBTED, RAISE
from ticketdesk.priority.second_opinion import MIN_WORDS, MODEL_PATH, RULE_ID, words

PAYMENTS = (
    "Hi team, since about nine this morning every card payment in our web shop ends with 'Transaction "
    "declined' and customers are leaving with full baskets. We lose sales every minute, please have "
    "someone look at the payment gateway right away. Thanks, Mark"
)
OUTAGE_NOTICE = (
    "Hi, we got your e-mail about the outage of the mail cluster. Does it affect our domains too, and do "
    "we need to change anything on our side? Thanks, Ben from Acme"
)


def test_urgent_mail_without_a_rule_is_raised_and_explained() -> None:
    decision = classify("Card payments", PAYMENTS)
    assert decision.priority == "urgent"
    reason = decision.reasons[0]
    assert (reason.rule_id, reason.effect, reason.level) == (RULE_ID, RAISE, "urgent")
    assert reason.lemmas and reason.matched == ", ".join(reason.lemmas)
    assert "log-odds" in reason.cue and reason.sentence == "[whole message] Card payments"
    stems = [w.removesuffix("…") for w in reason.lemmas if w.endswith("…")]
    assert not any(w.startswith(stem) for stem in stems for w in reason.lemmas if not w.endswith("…"))
    assert f"URGENT by rule {RULE_ID}" in explain_text(decision)


def test_rule_alarm_in_calm_mail_is_lowered_to_high() -> None:
    decision = classify("Question about the outage notice", OUTAGE_NOTICE)
    assert decision.priority == "high"
    (reason,) = [r for r in decision.reasons if r.rule_id == "en.outage"]
    assert reason.effect == DOUBTED and reason.effective_level == "high"
    assert reason.cue.startswith("second opinion: reads like the messages that were not urgent")
    assert "lowered: second opinion" in explain_text(decision)
    assert json.loads(json.dumps(decision.to_dict()))["reasons"][0]["effect"] == DOUBTED


def test_short_messages_are_left_to_the_rules() -> None:
    for subject, body, priority in [
        ("", "Wir haben einen Ausfall des Mailservers.", "urgent"),
        ("", "Bruddet har vart i to timer nå.", "urgent"),
        ("", "Díky předem za rychlé vyřešení výpadku, nic nám nejde.", "urgent"),
    ]:
        assert len(words(subject, body)) < MIN_WORDS
        decision = classify(subject, body)
        assert decision.priority == priority
        assert all(r.rule_id != RULE_ID and r.effect != DOUBTED for r in decision.reasons)


def test_undetermined_language_gets_no_second_opinion() -> None:
    decision = classify("", "12345 67890 " * 10)
    assert all(r.rule_id != RULE_ID for r in decision.reasons)


def test_shipped_model_is_trained_on_the_current_sets() -> None:
    """Fails when a labelled set changed: run python -m ticketdesk.priority.build_second_opinion."""
    shipped = json.loads(lzma.decompress(MODEL_PATH.read_bytes()))
    assert shipped["trained_on"] == sources_digest(training_sets())
    assert not MEASURE_ONLY & set(shipped["trained_on"])
    assert set(shipped["languages"]) == {"cs", "en", "de", "fi", "pl", "nb"}
