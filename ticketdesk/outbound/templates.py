"""Mail texts in Czech and English, rendered from templates/mail/<lang>/<kind>.txt.

The first line of a template is the subject; the rest is the body.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ticketdesk.paths import templates_dir

LANGUAGES = ("en", "cs")


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir() / "mail")),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )


def pick_language(*candidates: str | None) -> str:
    for lang in candidates:
        if lang and lang[:2].lower() in LANGUAGES:
            return lang[:2].lower()
    return "en"


def render(kind: str, language: str, **context: Any) -> tuple[str, str]:
    """Return (subject, body) of the mail ``kind`` in ``language``."""
    lang = pick_language(language)
    text = _env().get_template(f"{lang}/{kind}.txt").render(**context)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"
