"""Forms staff use for the campaign's X account: editing a post and choosing when it goes out."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired

from campaign.admin.forms.fields import WHEN_EXAMPLE, DateTimeField
from campaign.formatting import UK


class PostTextForm(FlaskForm):
    """The words of a post for X."""

    text = TextAreaField("Text of the post", validators=[InputRequired("Enter the text of the post")])


class ScheduleForm(FlaskForm):
    """When to send a post, in UK time."""

    when = DateTimeField(
        "Date and time to post",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        validators=[InputRequired(f"Enter the date and time to post, {WHEN_EXAMPLE}")],
    )

    def when_utc(self) -> datetime:
        """The chosen time, read as UK time, in UTC."""
        return self.when.data.replace(tzinfo=UK).astimezone(UTC)
