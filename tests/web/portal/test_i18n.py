"""Czech and English: chosen by the contact's preference, else the browser (or the login page's switch);
the portal's Czech catalogue covers every portal string and its compiled form is up to date."""

from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.web.portal.helpers import body_of, mails, post, sign_in

ROOT = Path(__file__).resolve().parents[3]
CATALOG = ROOT / "ticketdesk/portal/translations/cs/LC_MESSAGES"
_PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_the_contacts_language_wins(app: Any, client: Any, make_contact: Any, make_ticket: Any) -> None:
    jana = make_contact(name="Jana", language="cs")
    ticket = make_ticket(jana, subject="Pomalý server")
    sign_in(client, jana)
    html = client.get("/portal/tickets", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="cs">' in html and "Tikety organizace" in html and "Nový tiket" in html
    page = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "Jak to vypadá" in page and "Přijato, čeká na technika" in page and "První odpověď" in page


def test_account_language_switch(app: Any, client: Any, make_contact: Any) -> None:
    petr = make_contact(name="Petr")
    sign_in(client, petr)
    assert "Tickets of" in client.get("/portal/tickets").get_data(as_text=True)
    assert (
        post(
            client, "/portal/account", {"language": "cs", "notify_sms": "y"}, page="/portal/account"
        ).status_code
        == 302
    )
    assert "Tikety organizace" in client.get("/portal/tickets").get_data(as_text=True)


def test_the_browser_or_the_switch_decides_before_sign_in(app: Any, client: Any, make_contact: Any) -> None:
    czech = client.get("/portal/login", headers={"Accept-Language": "cs-CZ,cs;q=0.9,en;q=0.5"})
    assert "Poslat přihlašovací odkaz e-mailem" in czech.get_data(as_text=True)
    other = app.test_client()
    assert "E-mail me a sign-in link" in other.get("/portal/login").get_data(as_text=True)
    assert other.get("/portal/login?lang=cs").status_code == 302
    assert "Poslat přihlašovací odkaz e-mailem" in other.get("/portal/login").get_data(as_text=True)


def test_the_login_mail_is_in_the_contacts_language(
    app: Any, client: Any, make_org: Any, make_contact: Any
) -> None:
    org = make_org(language="cs")
    make_contact(org, email="vera@alpha.test")  # no own preference: the organisation's language
    make_contact(email="john@beta.test", language="en")
    post(client, "/portal/login", {"email": "vera@alpha.test"})
    post(client, "/portal/login", {"email": "john@beta.test"})
    assert "Platí jen jednou" in body_of(mails("portal_login", "vera@alpha.test")[0])
    assert "It works once" in body_of(mails("portal_login", "john@beta.test")[0])


def _portal_msgids() -> set[str]:
    method_map = [("ticketdesk/portal/**.py", "python"), ("templates/portal/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords={"_": None, "gettext": None, "_l": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_portal_string_has_a_czech_translation_and_the_mo_is_current() -> None:
    with open(CATALOG / "portal.po", "rb") as f:
        catalog = read_po(f, locale="cs")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_portal_msgids() - set(translated))
    assert missing == [], f"translate these in {CATALOG}/portal.po: {missing}"
    for msgid, msgstr in translated.items():
        assert sorted(_PLACEHOLDER.findall(str(msgid))) == sorted(_PLACEHOLDER.findall(str(msgstr))), msgid
    with open(CATALOG / "portal.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = [msgid for msgid, msgstr in translated.items() if compiled.gettext(str(msgid)) != msgstr]
    assert stale == [], "run: pybabel compile -D portal -d ticketdesk/portal/translations"


def test_the_portal_catalogue_is_its_own_domain(app: Any) -> None:
    """Customer wording never replaces the workspace's (and the page frame still gets its Czech)."""
    from flask import g
    from flask_babel import gettext as app_gettext
    from flask_babel import refresh

    from ticketdesk.portal.i18n import TRANSLATIONS, gettext

    with app.test_request_context("/portal/tickets"):
        g.locale = "cs"
        refresh()
        assert gettext("Waiting for your reply") == "Čeká na Vaši odpověď"
        assert gettext("Tickets of %(org)s", org="ACME") == "Tikety organizace ACME"
        assert app_gettext("Skip to content") == gettext(
            "Skip to content"
        )  # falls back to the app's catalogue
        for word, czech in {"resolved": "vyřešeno", "failed": "nedoručeno"}.items():
            assert gettext(word) == czech  # the customer's meaning of the word
        assert (
            str(TRANSLATIONS) not in app.extensions["babel"].translation_directories
        )  # never the workspace's
        g.locale = "en"
        refresh()
        assert gettext("Waiting for your reply") == "Waiting for your reply"
