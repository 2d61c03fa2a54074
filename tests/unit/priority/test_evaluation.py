"""Quality on labelled texts: per language urgent recall >= 0.95, false alarms <= 0.05."""

from collections import Counter
from pathlib import Path

import pytest

from ticketdesk.priority import LANGUAGES
from ticketdesk.priority.evaluate import evaluate_file, evaluate_rows, format_table, load_jsonl, main

DATA = Path(__file__).resolve().parents[2] / "data" / "priority"
LABELLED = DATA / "labelled.jsonl"
HOLDOUT = DATA / "holdout.jsonl"
BLIND = DATA / "blind.jsonl"
DEV = DATA / "priority-dev.jsonl"  # copy of the shared examples (/work/shared/examples)
# Written by colleagues without seeing the rules, measured, THEN tuned on (figures of the first
# measurement: README "How well it works"); regression tests now, not measures of unseen text.
BLIND_SETS = [
    BLIND,
    DATA / "final.jsonl",
    DATA / "devstyle.jsonl",
    DATA / "unseen.jsonl",
    DATA / "fresh_a.jsonl",
    DATA / "fresh_b.jsonl",
    DATA / "fresh_f.jsonl",
    DATA / "fresh_g.jsonl",
]
SOURCES = [LABELLED, DEV, *BLIND_SETS]


def assert_goal(scores: dict) -> None:
    """Urgent recall >= 0.95 and false alarms <= 5 % in every language."""
    assert set(scores) == set(LANGUAGES)
    report = format_table(scores)
    for score in scores.values():
        missed = [row["subject"] for row in score.misses]
        alarms = [row["subject"] for row in score.alarms]
        assert score.recall >= 0.95, f"{score.language}: missed {missed}\n{report}"
        assert score.false_alarm_rate <= 0.05, f"{score.language}: false alarms {alarms}\n{report}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_recall_and_false_alarms_per_language(path: Path) -> None:
    assert_goal(evaluate_file(path))


def test_labelled_data_shape() -> None:
    rows = load_jsonl(LABELLED)
    per_language = Counter(str(row["lang"]) for row in rows)
    assert set(per_language) == set(LANGUAGES)
    assert min(per_language.values()) >= 40
    urgent_share = sum(bool(row["urgent"]) for row in rows) / len(rows)
    assert 0.35 <= urgent_share <= 0.45
    holdout = load_jsonl(HOLDOUT)
    assert min(Counter(str(row["lang"]) for row in holdout).values()) >= 15
    texts = {(row["subject"], row["body"]) for row in rows}
    assert not texts & {(row["subject"], row["body"]) for row in holdout}


@pytest.mark.parametrize(
    "path",
    [HOLDOUT, *(DATA / f"fresh_{x}.jsonl" for x in "dehi")],
    ids=lambda p: p.name,
)
def test_measure_sets_are_evaluated_the_same_way(path: Path) -> None:
    # Held-out texts (holdout, fresh_e, fresh_i) were never tuned on; fresh_d and fresh_h are in the second
    # opinion's training data but no rule was tuned on them.  No threshold here, the figures are reported
    # (python -m ticketdesk.priority.evaluate tests/data/priority/fresh_e.jsonl; README).
    scores = evaluate_file(path)
    assert set(scores) == set(LANGUAGES)
    assert min(Counter(str(row["lang"]) for row in load_jsonl(path)).values()) >= 15
    assert all(0.0 <= s.recall <= 1.0 and 0.0 <= s.false_alarm_rate <= 1.0 for s in scores.values())


@pytest.mark.parametrize("path", BLIND_SETS, ids=lambda p: p.name)
def test_blind_sets_are_sizeable_and_apart_from_the_labelled_texts(path: Path) -> None:
    """The blind set first showed whole categories missing (expired certificates, disk failures that
    stop the database, hijacked accounts, vanished mailboxes, bouncing mail; past incidents with a
    claim, withdrawn and self-resolved reports, 'outage notifications'); the later ones more
    (data loss, failing calls, planned downtime in e-mail style…). Rules were extended by category."""
    rows = load_jsonl(path)
    assert min(Counter(str(row["lang"]) for row in rows).values()) >= 30
    texts = {(row["subject"], row["body"]) for row in rows}
    assert not texts & {(row["subject"], row["body"]) for row in load_jsonl(LABELLED)}


def test_scores_count_misses_and_false_alarms() -> None:
    rows = [
        {"lang": "en", "subject": "Outage", "body": "Total outage of all services.", "urgent": True},
        {"lang": "en", "subject": "Hello", "body": "Please send the invoice.", "urgent": True},
        {"lang": "en", "subject": "Down", "body": "The site is down.", "urgent": False},
        {
            "lang": "en",
            "subject": "Thanks",
            "body": "Thanks for fixing the outage yesterday.",
            "urgent": False,
        },
    ]
    (score,) = evaluate_rows(rows).values()
    assert (score.urgent, score.urgent_found, score.calm, score.false_alarms) == (2, 1, 2, 1)
    assert score.recall == 0.5 and score.false_alarm_rate == 0.5
    assert score.to_dict() == {
        "language": "en", "texts": 4, "urgent": 2, "recall": 0.5, "not_urgent": 2, "false_alarm_rate": 0.5,
    }  # fmt: skip


def test_missing_fields_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"lang": "en", "subject": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1: missing"):
        load_jsonl(path)


def test_command_line_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(LABELLED)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"== {LABELLED}\nlang  texts  urgent  recall")
    assert main([]) == 2
