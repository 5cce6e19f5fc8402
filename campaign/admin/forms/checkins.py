"""Check-in review forms: hiding a report needs a reason."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from campaign.services import text


class HideReportForm(FlaskForm):
    """The reason a report stays off public pages, kept in the audit log."""

    reason = TextAreaField(
        "Why are you hiding this report?",
        filters=[lambda value: text.clean_text(value) if isinstance(value, str) else value],
        validators=[InputRequired("Enter why you are hiding this report"),
                    Length(max=300, message="Enter a reason of 300 characters or fewer")],
    )
