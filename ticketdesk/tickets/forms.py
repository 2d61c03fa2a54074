"""Forms of the ticket pages (Flask-WTF, CSRF on every one)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ticketdesk.i18n import choices
from ticketdesk.tickets.models import PRIORITY_RANK


class MessageForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=choices([("reply", _l("Reply to the client")), ("note", _l("Internal note"))]),
        default="reply",
    )
    text = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=100_000)])
    requires_action = BooleanField(_l("Needs the client's action (also sends an SMS)"))
    version = IntegerField(validators=[InputRequired()])
    confirm_stale = HiddenField(default="")


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


class ScheduleForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    at = TimeField(_l("Time"), validators=[Optional()], default=time(8, 0))

    def moment(self, timezone: str) -> datetime:
        """The chosen date and time in the organisation's time zone, as UTC."""
        try:
            zone = ZoneInfo(timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        day: date = self.day.data  # type: ignore[assignment]
        return datetime.combine(day, self.at.data or time(8, 0), tzinfo=zone).astimezone(UTC)


class PriorityForm(FlaskForm):
    priority = SelectField(
        _l("Priority"), choices=choices((p, p) for p in PRIORITY_RANK), validators=[DataRequired()]
    )


class CcForm(FlaskForm):
    email = StringField(
        _l("Add to copy"),
        validators=[DataRequired(), Length(max=320)],
        render_kw={"type": "email", "placeholder": "name@example.com"},
    )


class CcRemoveForm(FlaskForm):
    email = HiddenField(validators=[DataRequired()])
