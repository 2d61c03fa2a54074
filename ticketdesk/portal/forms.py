"""Portal forms (Flask-WTF: every form carries a CSRF token, also the one-button ones)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    MultipleFileField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ticketdesk.contacts.service import SENDER_POLICIES
from ticketdesk.portal.i18n import _l

LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("cs", "Čeština")]


class LinkRequestForm(FlaskForm):
    email = StringField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=320)],
        render_kw={"autocomplete": "email", "type": "email", "autofocus": True},
    )


class PasswordLoginForm(FlaskForm):
    email = StringField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=320)],
        render_kw={"autocomplete": "username", "type": "email"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=500)],
        render_kw={"autocomplete": "current-password"},
    )


class ButtonForm(FlaskForm):
    """A form that is only a button (sign in with a link, confirm, refuse, remove…)."""


class NewTicketForm(FlaskForm):
    queue = SelectField(_l("Topic"), choices=[], validate_choice=True)
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=500)])
    text = TextAreaField(
        _l("Describe the problem or question"), validators=[DataRequired(), Length(max=100_000)]
    )
    cc = StringField(
        _l("Copy to (optional)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"placeholder": "colleague@example.com, boss@example.com"},
    )
    attachments = MultipleFileField(_l("Attachments (optional)"))


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Your message"), validators=[DataRequired(), Length(max=100_000)])
    attachments = MultipleFileField(_l("Attachments (optional)"))


class CcForm(FlaskForm):
    email = StringField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=2000)],
        render_kw={"type": "text", "inputmode": "email", "autocomplete": "email"},
    )


class CcRemoveForm(FlaskForm):
    email = StringField(validators=[DataRequired(), Length(max=320)])


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    emails = TextAreaField(
        _l("E-mail addresses (one per line; the first is the main one)"),
        validators=[DataRequired(), Length(max=4000)],
        render_kw={"rows": 3},
    )
    phones = TextAreaField(
        _l("Phone numbers (one per line, e.g. +420 777 123 456)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 3},
    )
    language = SelectField(
        _l("Language"), choices=[SelectChoice("", "—"), *LANGUAGE_CHOICES], validate_choice=False
    )
    technical = BooleanField(_l("Technical contact (may open tickets and use the portal)"), default=True)
    is_admin = BooleanField(_l("Organisation admin (manages contacts, PIN and settings)"))


class PinForm(FlaskForm):
    pin = PasswordField(
        _l("New PIN (4–12 digits)"),
        validators=[DataRequired(), Length(min=4, max=12)],
        render_kw={"inputmode": "numeric", "autocomplete": "new-password", "pattern": "[0-9]{4,12}"},
    )
    repeat = PasswordField(
        _l("The new PIN again"),
        validators=[DataRequired(), Length(min=4, max=12)],
        render_kw={"inputmode": "numeric", "autocomplete": "new-password", "pattern": "[0-9]{4,12}"},
    )


class SenderPolicyForm(FlaskForm):
    policy = RadioField(
        _l("Checking the sender of e-mail"),
        choices=[SelectChoice(p) for p in SENDER_POLICIES],
        validate_choice=True,
    )


class AccountForm(FlaskForm):
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, validate_choice=True)
    notify_sms = BooleanField(_l("Send me an SMS when a ticket needs my action"))


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password (at least 10 characters)"),
        validators=[DataRequired(), Length(min=10, max=500)],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        _l("The new password again"),
        validators=[DataRequired(), Length(max=500)],
        render_kw={"autocomplete": "new-password"},
    )
