"""Configuration mistakes stop with one clear line naming the variable; the CLI never shows a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ticketdesk.settings import SettingsError, load_settings, parse_support_addresses


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"TICKETDESK_INSTANCE_PATH": str(tmp_path), **extra}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INTAKE_PORT", "smtp"),
        ("REOPEN_DAYS", "-1"),
        ("DNS_TIMEOUT", "zero"),
        ("DATABASE_URL", "mysql://x"),
        ("PUBLIC_URL", "ftp://x"),
        ("SUPPORT_ADDRESSES", "support-without-queue"),
        ("DEFAULT_REGION", "Czechia"),
        ("EMBEDDED_WORKER", "maybe"),
        ("SMTP_URL", "carrier-pigeon://x"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"TICKETDESK_{name}"):
        load_settings(_env(tmp_path, **{f"TICKETDESK_{name}": value}))


def test_defaults_and_generated_secret(tmp_path: Path) -> None:
    first = load_settings(_env(tmp_path))
    assert first.database_url == f"sqlite:///{tmp_path / 'ticketdesk.sqlite3'}"
    assert first.reopen_days == 14 and first.is_sqlite
    assert load_settings(_env(tmp_path)).secret_key == first.secret_key  # kept under instance/
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_urls_use_psycopg3(tmp_path: Path) -> None:
    s = load_settings(_env(tmp_path, TICKETDESK_DATABASE_URL="postgres://u@127.0.0.1/db"))
    assert s.database_url == "postgresql+psycopg://u@127.0.0.1/db"


def test_support_addresses() -> None:
    assert parse_support_addresses("Support@X.test=support; datacenter@x.test=dc") == {
        "support@x.test": "support",
        "datacenter@x.test": "dc",
    }


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "TICKETDESK_INSTANCE_PATH": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "ticketdesk", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_serve_with_a_bad_variable_prints_one_line(tmp_path: Path) -> None:
    result = _cli(tmp_path, "serve", "--port", "5999", TICKETDESK_INTAKE_PORT="lots")
    assert result.returncode != 0
    assert "TICKETDESK_INTAKE_PORT" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    result = _cli(tmp_path, "serve", "--port", "notaport")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    result = _cli(tmp_path, "token", "create")
    assert result.returncode == 2 and "--email" in result.stderr


def test_help_lists_every_subcommand(tmp_path: Path) -> None:
    out = _cli(tmp_path, "--help").stdout
    for command in (
        "serve",
        "ingest",
        "smtpd",
        "imap-poll",
        "worker",
        "priority",
        "demo",
        "create-admin",
        "token",
    ):
        assert command in out


def test_create_admin_and_token(tmp_path: Path) -> None:
    result = _cli(tmp_path, "create-admin", "--email", "boss@support.test", "--password", "long-enough-pw")
    assert result.returncode == 0, result.stderr
    token = _cli(tmp_path, "token", "create", "--email", "boss@support.test")
    assert token.returncode == 0 and token.stdout.strip().startswith("td_")
    missing = _cli(tmp_path, "token", "create", "--email", "nobody@support.test")
    assert missing.returncode == 2 and "no agent" in missing.stderr
    short = _cli(tmp_path, "create-admin", "--email", "x@support.test", "--password", "short")
    assert short.returncode == 2 and "8 characters" in short.stderr and "Traceback" not in short.stderr
