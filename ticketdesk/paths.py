"""Where the root-level templates/, static/ and migrations/ are, in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE.parent / name, _PACKAGE / "bundled" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"ticketdesk cannot find its {name}/ directory")


def templates_dir() -> Path:
    return _find("templates")


def static_dir() -> Path:
    return _find("static")


def migrations_dir() -> Path:
    return _find("migrations")
