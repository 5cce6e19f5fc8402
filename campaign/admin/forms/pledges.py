"""Pledge moderation forms: hiding a pledge with a reason, and staff corrections to its public details."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from campaign.forms_fields import MultiCheckboxField, RadioField, SelectField
from campaign.models.pledges import COMMITMENTS, ORG_SIZES, ORG_TYPES, SECTORS
from campaign.pledges.forms import STATEMENT_LENGTH
from campaign.services import text
from campaign.services.geography import INVALID_POSTCODE_MESSAGE, normalise_postcode
from campaign.services.pledges import areas, common
from campaign.services.pledges import signing as pledges


class HideForm(FlaskForm):
    """Hiding a pledge needs a reason, which the organisation sees on its manage page."""

    reason = TextAreaField(
        "Why are you hiding this pledge?",
        validators=[InputRequired("Enter why you are hiding this pledge"),
                    Length(max=300, message="Enter a reason of 300 characters or fewer")],
    )


class PledgeEditForm(FlaskForm):
    """Staff corrections to a pledge's public details."""

    organisation_name = StringField(
        "Organisation name",
        filters=[lambda value: text.clean_text(value) if isinstance(value, str) else value],
        validators=[InputRequired("Enter the organisation's name"),
                    Length(max=200, message="Enter an organisation name of 200 characters or fewer")],
    )
    org_type = RadioField("Type of organisation", choices=list(ORG_TYPES.items()),
                          validators=[InputRequired("Select the type of organisation")])
    size = RadioField("Size", choices=list(ORG_SIZES.items()),
                      validators=[InputRequired("Select the organisation's size")])
    # The empty first choice keeps a required select valid HTML; InputRequired still refuses it.
    sector = SelectField("Sector", choices=[("", "Choose a sector")] + list(SECTORS.items()),
                         validators=[InputRequired("Choose the organisation's sector")])
    area = SelectField("Where it is based", choices=[("", "Choose where it is based")] + list(areas.AREAS.items()),
                       validators=[InputRequired("Choose where the organisation is based")])
    postcode = StringField("Postcode (optional)",
                           validators=[Length(max=10, message="Enter a postcode of 10 characters or fewer")])
    website = StringField("Website (optional)",
                          validators=[Length(max=300, message="Enter a website address of 300 characters or fewer")])
    commitments = MultiCheckboxField(
        "Commitments", choices=list(COMMITMENTS.items()), validators=[InputRequired("Select at least one commitment")]
    )
    statement = TextAreaField(
        "Public statement (optional)",
        filters=[lambda value: text.clean_text(value, multiline=True) if isinstance(value, str) else value],
        validators=[Length(max=STATEMENT_LENGTH,
                           message=f"Enter a statement of {STATEMENT_LENGTH} characters or fewer")],
    )

    clean_postcode: str | None = None
    clean_website: str | None = None

    def changes(self) -> dict:
        """The checked values, with the website and postcode in their stored form."""
        return {
            "organisation_name": self.organisation_name.data,
            "org_type": self.org_type.data,
            "size": self.size.data,
            "sector": self.sector.data,
            "area": self.area.data,
            "postcode": self.clean_postcode,
            "website": self.clean_website,
            "commitments": list(self.commitments.data or []),
            "statement": self.statement.data or None,
        }

    def validate_postcode(self, field) -> None:
        """A postcode, if given, must be a real one."""
        text = (field.data or "").strip()
        self.clean_postcode = normalise_postcode(text) if text else None
        if text and self.clean_postcode is None:
            raise ValidationError(INVALID_POSTCODE_MESSAGE)

    def validate_website(self, field) -> None:
        """A website, if given, must be a web address."""
        try:
            self.clean_website = pledges.clean_website(field.data)
        except common.PledgeError as error:
            raise ValidationError(str(error)) from None
