"""Real-world input: arbitrary text never breaks the classifier, and it stays fast."""

import json
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ticketdesk.priority import LEVELS, classify, explain_text, warm_up
from ticketdesk.priority.evaluate import load_jsonl

LABELLED = Path(__file__).resolve().parents[2] / "data" / "priority" / "labelled.jsonl"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.text(max_size=2000))
def test_any_text_gives_a_valid_explained_decision(subject: str, body: str) -> None:
    decision = classify(subject, body)
    assert decision.priority in LEVELS
    json.dumps(decision.to_dict())
    assert explain_text(decision).startswith("Priority: ")


def test_huge_and_odd_bodies() -> None:
    body = ("Server je nedostupný!!! " * 5000) + "\x00\ufeff" + "\n> quoted" * 100
    assert classify("", body).priority == "urgent"
    assert classify("\r\n", "\r\n\r\n   \t").priority == "normal"
    assert classify("Výpadek", "<p>Máme výpadek&nbsp;všech služeb</p>").priority == "urgent"


def test_classification_is_fast() -> None:
    warm_up()
    rows = load_jsonl(LABELLED)
    for row in rows:  # fill the lemma caches once, as a running server would have them
        classify(str(row["subject"]), str(row["body"]))
    started = time.perf_counter()
    for i, row in enumerate(rows):
        # unseen texts: the language-detection cache must not help
        classify(f"{row['subject']} #{i}", f"{row['body']}\nTicket {i * 7919}")
    per_message_ms = (time.perf_counter() - started) / len(rows) * 1000
    assert per_message_ms < 2.0, f"{per_message_ms:.2f} ms per message"
