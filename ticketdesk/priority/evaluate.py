"""Measure urgent recall and false alarms per language on labelled JSON-lines files.

Each line: ``{"lang": "cs", "subject": "...", "body": "...", "urgent": true}``.
Run ``python -m ticketdesk.priority.evaluate FILE...`` for a table and the misclassified texts.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .classifier import classify, compile_rules
from .matcher import RuleSet
from .model import Rule


@dataclass
class LanguageScore:
    language: str
    urgent: int = 0
    urgent_found: int = 0
    calm: int = 0  # labelled not urgent
    false_alarms: int = 0
    misses: list[dict[str, object]] = field(default_factory=list)
    alarms: list[dict[str, object]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.urgent_found / self.urgent if self.urgent else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.calm if self.calm else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "language": self.language,
            "texts": self.urgent + self.calm,
            "urgent": self.urgent,
            "recall": round(self.recall, 4),
            "not_urgent": self.calm,
            "false_alarm_rate": round(self.false_alarm_rate, 4),
        }


def load_jsonl(path: str | Path) -> list[dict[str, object]]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                row = json.loads(line)
                missing = {"lang", "subject", "body", "urgent"} - set(row)
                if missing:
                    raise ValueError(f"{path}:{number}: missing {sorted(missing)}")
                rows.append(row)
    return rows


def evaluate_rows(
    rows: Iterable[dict[str, object]], rules: Sequence[Rule] | RuleSet | None = None
) -> dict[str, LanguageScore]:
    ruleset = rules if isinstance(rules, RuleSet) else compile_rules(rules)
    scores: dict[str, LanguageScore] = {}
    for row in rows:
        language = str(row["lang"])
        score = scores.setdefault(language, LanguageScore(language))
        predicted = classify(str(row["subject"]), str(row["body"]), ruleset).priority == "urgent"
        if row["urgent"]:
            score.urgent += 1
            score.urgent_found += predicted
            if not predicted:
                score.misses.append(row)
        else:
            score.calm += 1
            score.false_alarms += predicted
            if predicted:
                score.alarms.append(row)
    return dict(sorted(scores.items()))


def evaluate_file(
    path: str | Path, rules: Sequence[Rule] | RuleSet | None = None
) -> dict[str, LanguageScore]:
    """Per-language urgent recall and false-alarm rate (not urgent predicted urgent) of one file."""
    return evaluate_rows(load_jsonl(path), rules)


def format_table(scores: dict[str, LanguageScore]) -> str:
    lines = ["lang  texts  urgent  recall  not-urgent  false-alarms"]
    for s in scores.values():
        lines.append(
            f"{s.language:<5} {s.urgent + s.calm:>5}  {s.urgent:>6}  {s.recall:>6.3f}  {s.calm:>10}  {s.false_alarm_rate:>12.3f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m ticketdesk.priority.evaluate FILE.jsonl [FILE.jsonl ...]", file=sys.stderr)
        return 2
    for path in paths:
        scores = evaluate_file(path)
        print(f"== {path}\n{format_table(scores)}")
        for s in scores.values():
            for row in s.misses:
                print(f"  missed [{s.language}] {row['subject']!r}: {row['body']!r}")
            for row in s.alarms:
                print(f"  false alarm [{s.language}] {row['subject']!r}: {row['body']!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
