"""Forms of the admin pages (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ticketdesk.i18n import LANGUAGES, choices

ROLES = [("agent", _l("Agent")), ("admin", _l("Admin"))]
ROUTING = [
    ("affinity", _l("Affinity (recent agent first)")),
    ("least_loaded", _l("Least loaded agent")),
    ("none", _l("Shared queue only")),
]


class AgentForm(FlaskForm):
    email = StringField(
        _l("E-mail"), validators=[DataRequired(), Length(max=320)], render_kw={"type": "email"}
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=choices(ROLES))
    language = SelectField(_l("Language"), choices=choices(LANGUAGES.items()))
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(min=8, max=500)],
        render_kw={"autocomplete": "new-password"},
    )
    queues = SelectMultipleField(_l("Queues"), coerce=int)


class AgentEditForm(FlaskForm):
    role = SelectField(_l("Role"), choices=choices(ROLES))
    active = BooleanField(_l("Active"))
    available = BooleanField(_l("Available"))
    on_call = BooleanField(_l("On call"))
    password = PasswordField(
        _l("New password"),
        validators=[Optional(), Length(min=8, max=500)],
        render_kw={"autocomplete": "new-password"},
    )
    queues = SelectMultipleField(_l("Queues"), coerce=int)


class QueueForm(FlaskForm):
    slug = StringField(_l("Short name"), validators=[DataRequired(), Length(max=80)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    routing_mode = SelectField(_l("Routing"), choices=choices(ROUTING))
    load_cap = IntegerField(_l("Load cap"), default=10, validators=[NumberRange(min=1, max=1000)])


class AddressForm(FlaskForm):
    address = StringField(
        _l("Support address"), validators=[DataRequired(), Length(max=320)], render_kw={"type": "email"}
    )


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    client_number = StringField(_l("Client number"), validators=[Optional(), Length(max=40)])
    language = SelectField(_l("Language"), choices=choices(LANGUAGES.items()))
    pin = StringField(
        _l("Phone PIN"),
        validators=[Optional(), Length(min=4, max=12)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    services = StringField(_l("Services (comma separated)"), validators=[Optional(), Length(max=1000)])


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    emails = TextAreaField(
        _l("E-mail addresses (one per line)"), validators=[DataRequired(), Length(max=5000)]
    )
    phones = TextAreaField(_l("Phones (one per line)"), validators=[Optional(), Length(max=2000)])
    technical = BooleanField(_l("Technical contact (may open tickets)"), default=True)
    is_admin = BooleanField(_l("Portal admin of the organisation"))
    active = BooleanField(_l("Active"), default=True)


class SettingsForm(FlaskForm):
    reopen_days = IntegerField(
        _l("Reopen window (days)"), validators=[DataRequired(), NumberRange(min=0, max=365)]
    )


def lines(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").replace(",", "\n").splitlines() if v.strip()]
