"""``ticketdesk priority explain`` uses the rules admins edited in the database when it is configured and
reachable, the shipped rules otherwise (no database yet, unreachable, ``--defaults``); ``--json`` output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ticketdesk.admin.store import set_value
from ticketdesk.extensions import db
from ticketdesk.priority import default_rule_dicts

ROOT = Path(__file__).resolve().parents[2]
LINES = (
    "\n".join(
        json.dumps(x, ensure_ascii=False)
        for x in (
            {"subject": "Výpadek", "body": "Máme výpadek všech služeb."},
            {"subject": "Zombies", "body": "The zombies ate our rack."},
        )
    )
    + "\n"
)


def _explain(tmp_path: Path, *args: str, stdin: str = LINES, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("TICKETDESK_")}
    full.update({"TICKETDESK_INSTANCE_PATH": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-m", "ticketdesk", "priority", "explain", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        cwd=ROOT,
    )


def _zombie_rules() -> list[dict[str, Any]]:
    return [
        *default_rule_dicts(),
        {
            "id": "en.zombies",
            "language": "en",
            "kind": "signal",
            "level": "urgent",
            "terms": ["zombie*"],
            "description": "made up for the test",
        },
    ]


def test_without_a_database_the_shipped_rules_apply(tmp_path: Path) -> None:
    result = _explain(tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["priority"] == "urgent" and first["rules"] == "default"
    assert second["priority"] == "normal"
    assert not (tmp_path / "ticketdesk.sqlite3").exists(), "explain never creates a database"


def test_rules_edited_in_the_database_are_used(app: Any, settings: Any, tmp_path: Path) -> None:
    set_value(db.session, "priority.rules", _zombie_rules(), by="admin@support.test")
    db.session.commit()
    url = settings.database_url
    result = _explain(tmp_path, "--json", TICKETDESK_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert second["priority"] == "urgent" and second["rules"] == "database"
    assert second["reasons"][0]["rule_id"] == "en.zombies"
    text = _explain(tmp_path, TICKETDESK_DATABASE_URL=url)
    assert "URGENT by rule en.zombies" in text.stdout and "(rules: database)" in text.stderr
    forced = _explain(tmp_path, "--json", "--defaults", TICKETDESK_DATABASE_URL=url)
    assert json.loads(forced.stdout.splitlines()[1])["priority"] == "normal"


def test_unreachable_database_falls_back_to_the_shipped_rules(tmp_path: Path) -> None:
    result = _explain(tmp_path, TICKETDESK_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Priority: urgent") and "database not readable" in result.stderr


def test_a_raw_message_and_usage_errors(tmp_path: Path) -> None:
    raw = "From: jana@example.com\nTo: support@example.com\nSubject: Server down\n\nOur server is down since 8:00.\n"
    result = _explain(tmp_path, "--json", stdin=raw)
    assert result.returncode == 0 and json.loads(result.stdout)["priority"] == "urgent"
    empty = _explain(tmp_path, stdin="")
    assert empty.returncode == 2 and "nothing on stdin" in empty.stderr and "Traceback" not in empty.stderr
    bad = _explain(tmp_path, stdin='{"subject": "x"\n')
    assert bad.returncode == 2 and "line 1 is not JSON" in bad.stderr
