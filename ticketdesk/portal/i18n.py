"""The portal's own gettext domain (``portal``, catalogue in ``ticketdesk/portal/translations``).

Customer wording stays apart from the agent workspace's catalogue: the same short English word can mean
different things to a customer and to an agent ("resolved", "failed", "scheduled"), so the portal never
overrides the workspace's translations nor the other way round. A string the portal catalogue does not
know (the shared page frame of ``base.html``) falls back to the application's catalogue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_babel import Domain
from flask_babel import gettext as app_gettext
from flask_babel.speaklater import LazyString

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = Domain(translation_directories=[str(TRANSLATIONS)], domain="portal")


def gettext(string: str, **variables: Any) -> str:
    catalog = getattr(DOMAIN.get_translations(), "_catalog", None) or {}
    if string in catalog:
        translated = catalog[string]
    elif catalog:  # a portal language, but not a portal string: the page frame's own catalogue
        return str(app_gettext(string, **variables))
    else:  # no portal catalogue for this language: English is the source language
        translated = string
    return translated % variables if variables else translated


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    return LazyString(gettext, string, **variables)


_ = gettext
_l = lazy_gettext
