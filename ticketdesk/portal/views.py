"""The client portal's pages (blueprint ``portal``, url prefix ``/portal``): sign-in, the contact's own
account, and the shared page plumbing. Ticket pages are in ``ticket_views.py``, organisation
administration in ``org_views.py`` (both add their routes to this blueprint).

Every page except sign-in and the mailed links needs a signed-in contact; every read and write is scoped
to that contact's organisation, and anything outside it is answered 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale, refresh
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response

from ticketdesk.admin.store import app_settings
from ticketdesk.contacts.models import Contact
from ticketdesk.contacts.service import update_contact
from ticketdesk.errors import DomainError, ValidationFailed
from ticketdesk.extensions import db, limiter
from ticketdesk.portal import labels
from ticketdesk.portal.auth import current_contact, sign_in, sign_out
from ticketdesk.portal.forms import AccountForm, ButtonForm, LinkRequestForm, PasswordForm, PasswordLoginForm
from ticketdesk.portal.i18n import _
from ticketdesk.portal.messages import explain
from ticketdesk.portal.service import (
    password_sign_in,
    peek_link,
    redeem_link,
    request_login_link,
    safe_next,
    set_portal_password,
)
from ticketdesk.ports.clock import utcnow
from ticketdesk.tickets.states import LifecycleError

bp = Blueprint("portal", __name__, url_prefix="/portal")

LANGUAGES = ("en", "cs")
PUBLIC_ENDPOINTS = {
    "portal.index",
    "portal.login",
    "portal.password_login",
    "portal.link",
    "portal.claim",
    "portal.logout",
}
# Flask-Limiter rules per client IP (and per address for passwords); only failed password attempts count.
LINK_REQUEST_LIMIT = "10 per minute; 40 per hour"
LINK_USE_LIMIT = "30 per 10 minutes"
PASSWORD_LIMIT_PER_IP = "30 per 10 minutes"
PASSWORD_LIMIT_PER_EMAIL = "5 per minute; 20 per hour"
FAILED_STATUS = 401


def _ip(prefix: str) -> Any:
    return lambda: f"{prefix}:{request.remote_addr or 'unknown'}"


def _password_email_key() -> str:
    return f"portal-pw-email:{(request.form.get('pw-email') or '').strip().lower()[:320]}"


def _failed(response: Any) -> bool:
    return bool(getattr(response, "status_code", 0) == FAILED_STATUS)


def _too_many() -> str:
    return _("Too many attempts. Please wait a few minutes and try again.")


def me() -> Contact:
    contact = g.get("portal_contact")
    if contact is None:  # pragma: no cover - before_request redirects first
        abort(401)
    return contact


@bp.before_request
def _load_contact() -> Any:
    contact = current_contact(utcnow())
    g.portal_contact = contact
    if contact is not None and contact.language in LANGUAGES:
        g.locale = contact.language
    refresh()  # Flask-Babel caches the locale on ``g``; choose it afresh for every request
    if contact is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.method == "GET":
            return redirect(url_for("portal.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("portal.login"), 303)
    return None


@bp.after_request
def _private(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@bp.errorhandler(DomainError)
@bp.errorhandler(LifecycleError)
def _domain_error(err: Exception) -> Any:
    status = getattr(err, "status", 409)
    return render_template("portal/error.html", status=status, message=explain(err)), status


@bp.errorhandler(429)
def _rate_limited(err: Any) -> Any:
    return render_template("portal/error.html", status=429, message=_too_many()), 429


def _format_dt(value: datetime | str | None, form: str = "short") -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    contact = g.get("portal_contact")
    try:
        zone = ZoneInfo(contact.organization.timezone if contact else "Europe/Prague")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return format_datetime(value, form, tzinfo=zone, locale=str(get_locale() or "en"))


def _token(form: Any) -> Markup:
    """The CSRF field of ``form`` (its prefixed name, without an id: pages have several forms)."""
    field = getattr(form, "csrf_token", None)
    name = field.name if field is not None else "csrf_token"
    return Markup('<input type="hidden" name="%s" value="%s">') % (name, generate_csrf())


@bp.context_processor
def _helpers() -> dict[str, Any]:
    contact = g.get("portal_contact")
    return {
        "me": contact,
        "pdt": _format_dt,
        "labels": labels,
        "now": utcnow(),
        "csrf_field": _token,
        "_": _,
        "gettext": _,
        "portal_tz": contact.organization.timezone if contact else None,
    }


# --- sign-in -------------------------------------------------------------------------------------------


@bp.get("/")
def index() -> Any:
    return redirect(url_for("portal.tickets" if g.portal_contact else "portal.login"))


def _login_page(*, sent: bool = False, form: Any = None, pw_form: Any = None, status: int = 200) -> Any:
    return render_template(
        "portal/login.html",
        form=form or LinkRequestForm(formdata=None),
        pw_form=pw_form or PasswordLoginForm(prefix="pw", formdata=None),
        sent=sent,
        next_path=safe_next(request.args.get("next")),
    ), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    LINK_REQUEST_LIMIT, key_func=_ip("portal-link-request"), methods=["POST"], error_message=_too_many
)
def login() -> Any:
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        return redirect(url_for("portal.login", next=safe_next(request.args.get("next"))))
    if g.portal_contact is not None and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("portal.tickets"))
    form = LinkRequestForm()
    if form.validate_on_submit():
        request_login_link(
            db.session,
            form.email.data or "",
            now=utcnow(),
            public_url=app_settings().public_url,
            next_path=safe_next(request.args.get("next")),
        )
        db.session.commit()
        return _login_page(sent=True)  # the same page whether or not the address is registered
    return _login_page(form=form, status=400 if request.method == "POST" else 200)


@bp.post("/login/password")
@limiter.limit(
    PASSWORD_LIMIT_PER_IP, key_func=_ip("portal-pw-ip"), deduct_when=_failed, error_message=_too_many
)
@limiter.limit(
    PASSWORD_LIMIT_PER_EMAIL, key_func=_password_email_key, deduct_when=_failed, error_message=_too_many
)
def password_login() -> Any:
    pw_form = PasswordLoginForm(prefix="pw")
    if not pw_form.validate_on_submit():
        return _login_page(pw_form=pw_form, status=400)
    contact = password_sign_in(db.session, pw_form.email.data or "", pw_form.password.data or "")
    if contact is None:
        flash(_("Wrong e-mail address or password."), "error")
        return _login_page(pw_form=pw_form, status=FAILED_STATUS)
    sign_in(contact, utcnow())
    return redirect(safe_next(request.args.get("next")) or url_for("portal.tickets"))


@bp.route("/link/<token>", methods=["GET", "POST"])
@limiter.limit(LINK_USE_LIMIT, key_func=_ip("portal-link-use"), error_message=_too_many)
def link(token: str) -> Any:
    """The mailed link: GET shows a Sign-in button (mail scanners that open links do not use it up),
    the POST signs in once."""
    now = utcnow()
    form = ButtonForm()
    target = safe_next(request.args.get("next")) or url_for("portal.tickets")
    if request.method == "POST" and form.validate_on_submit():
        contact = redeem_link(db.session, token, now=now)
        db.session.commit()
        if contact is not None:
            sign_in(contact, now)
            flash(_("Welcome, %(name)s.", name=contact.name), "info")
            return redirect(target)
    else:
        contact = peek_link(db.session, token, now=now)
    status = 200 if contact is not None else 410
    return render_template(
        "portal/link.html",
        contact=contact,
        form=form,
        token=token,
        request_form=LinkRequestForm(formdata=None),
    ), status


@bp.post("/logout")
def logout() -> Any:
    sign_out()
    flash(_("You have signed out."), "info")
    return redirect(url_for("portal.login"))


# --- the contact's own account ------------------------------------------------------------------------


def _account_page(
    *, form: Any = None, pw_form: Any = None, status: int = 200, error: str | None = None
) -> Any:
    contact = me()
    if form is None:
        form = AccountForm(
            formdata=None,
            data={
                "language": contact.language or str(get_locale() or "en"),
                "notify_sms": contact.notify_sms,
            },
        )
    return render_template(
        "portal/account.html",
        form=form,
        pw_form=pw_form or PasswordForm(prefix="pw"),
        remove_form=ButtonForm(),
        error=error,
    ), status


@bp.get("/account")
def account() -> Any:
    return _account_page()


@bp.post("/account")
def save_account() -> Any:
    contact = me()
    form = AccountForm()
    if not form.validate_on_submit():
        return _account_page(form=form, status=422)
    update_contact(
        db.session,
        contact,
        {"language": form.language.data, "notify_sms": bool(form.notify_sms.data)},
        now=utcnow(),
    )
    db.session.commit()
    g.locale = contact.language
    refresh()
    flash(_("Your settings are saved."), "info")
    return redirect(url_for("portal.account"))


@bp.post("/account/password")
def set_password() -> Any:
    contact = me()
    pw_form = PasswordForm(prefix="pw")
    if not pw_form.validate_on_submit():
        return _account_page(pw_form=pw_form, status=422)
    try:
        if pw_form.password.data != pw_form.repeat.data:
            raise ValidationFailed("the two passwords differ")
        set_portal_password(contact, pw_form.password.data)
    except ValidationFailed as err:
        message = _("The two passwords differ.") if "differ" in err.message else explain(err)
        return _account_page(pw_form=pw_form, status=422, error=message)
    db.session.commit()
    flash(_("Your password is set. You can now also sign in with it."), "info")
    return redirect(url_for("portal.account"))


@bp.post("/account/password/remove")
def remove_password() -> Any:
    contact = me()
    if not ButtonForm().validate_on_submit():
        abort(400)
    set_portal_password(contact, None)
    db.session.commit()
    flash(_("Your password is removed; sign in with an e-mailed link."), "info")
    return redirect(url_for("portal.account"))


def register(app: Flask) -> None:
    """Serve the portal (its Czech catalogue is its own gettext domain, see ``portal/i18n.py``)."""
    app.register_blueprint(bp)


from ticketdesk.portal import org_views, ticket_views  # noqa: E402,F401  (routes on ``bp``)
