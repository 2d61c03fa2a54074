"""SMS texts and SMS alert mails, rendered from ``templates/sms/<lang>/<kind>.txt`` and
``templates/sms/mail/<lang>/<kind>.txt`` (first line = subject) in the recipient's language."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ticketdesk.paths import templates_dir

SMS_LANGUAGES = ("en", "cs", "de", "fi", "pl", "nb")
MAIL_LANGUAGES = ("en", "cs")
SUBJECT_CHARS = 40


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir() / "sms")),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )


def pick_language(*candidates: str | None, available: tuple[str, ...] = SMS_LANGUAGES) -> str:
    """The first candidate we have texts for (``no``/``nn`` count as ``nb``), else English."""
    for lang in candidates:
        code = (lang or "")[:2].lower()
        code = "nb" if code in ("no", "nn") else code
        if code in available:
            return code
    return "en"


def short(text: str, limit: int = SUBJECT_CHARS) -> str:
    """A subject shortened at a word for an SMS."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space >= limit // 2 else cut).rstrip(" ,.;:-") + "…"


def render_sms(kind: str, language: str, **context: Any) -> str:
    lang = pick_language(language)
    return " ".join(_env().get_template(f"{lang}/{kind}.txt").render(**context).split())


def render_mail(kind: str, language: str, **context: Any) -> tuple[str, str]:
    lang = pick_language(language, available=MAIL_LANGUAGES)
    text = _env().get_template(f"mail/{lang}/{kind}.txt").render(**context)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"
