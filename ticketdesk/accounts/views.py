"""Agent sign-in, sign-out and profile pages (blueprint ``accounts``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ticketdesk.accounts.forms import LoginForm, ProfileForm
from ticketdesk.accounts.login import (
    FAILED_STATUS,
    LIMIT_PER_EMAIL,
    LIMIT_PER_IP,
    email_key,
    failed,
    ip_key,
    sign_in,
    sign_out,
)
from ticketdesk.accounts.service import find_agent, hash_secret, set_password, verify_secret
from ticketdesk.extensions import db, limiter
from ticketdesk.i18n import LANGUAGES

bp = Blueprint("accounts", __name__)

# Compared against when the address is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = hash_secret("ticketdesk-dummy-password")


def _too_many() -> str:
    return _("Too many failed sign-in attempts. Please wait a few minutes and try again.")


def safe_next(target: str | None) -> str:
    """Only a local path may follow the login (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("tickets.queue")


@bp.get("/")
def home() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("tickets.queue"))
    return redirect(url_for("accounts.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LIMIT_PER_IP, key_func=ip_key, methods=["POST"], deduct_when=failed, error_message=_too_many)
@limiter.limit(
    LIMIT_PER_EMAIL, key_func=email_key, methods=["POST"], deduct_when=failed, error_message=_too_many
)
def login() -> Any:
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        return redirect(url_for("accounts.login", next=request.args.get("next")))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        agent = find_agent(db.session, form.email.data or "")
        password = form.password.data or ""
        ok = verify_secret(agent.password_hash if agent else _DUMMY_HASH, password)
        if agent is not None and ok and agent.active:
            sign_in(agent)
            return redirect(safe_next(request.args.get("next")))
        flash(_("Wrong e-mail address or password."), "error")
        return render_template("accounts/login.html", form=form), FAILED_STATUS
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout() -> Any:
    sign_out()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Any:
    agent = current_user._get_current_object()
    form = ProfileForm(obj=agent)
    if form.validate_on_submit():
        agent.name = (form.name.data or agent.name).strip()
        if form.language.data not in LANGUAGES:
            abort(400)
        agent.language = form.language.data
        agent.available = bool(form.available.data)
        if form.new_password.data:
            set_password(agent, form.new_password.data)
        db.session.commit()
        flash(_("Your profile is saved."), "info")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form), 400 if request.method == "POST" else 200
