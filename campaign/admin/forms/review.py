"""Forms for the honest share: scope rules, the minimum coverage, and whose payments an import holds."""

from __future__ import annotations

from flask_wtf import FlaskForm

from campaign.admin.forms.fields import Optional, PercentField, Required, text_field
from campaign.forms_fields import RadioField, SelectField
from campaign.models.spend import SCOPE_REASONS
from campaign.services.spend.scope import KINDS


class ScopeRuleForm(FlaskForm):
    """Leave a category or a payee out of scope, with a reason."""

    kind = RadioField("What to leave out", choices=list(KINDS.items()), default="supplier",
                      message="Select whether the rule is for a category or a payee")
    value = text_field("Category or payee name", "Enter the category or payee name, as the spend files spell it",
                       300, "The category or payee name")
    reason = SelectField("Why it is out of scope", choices=[("", "Select a reason"), *SCOPE_REASONS.items()],
                         validators=[Required("Select why this spend is out of scope")],
                         message="Select why this spend is out of scope")
    note = text_field("Note (optional)", None, 300, "The note")


class MinimumCoverageForm(FlaskForm):
    """The coverage a computed share needs before it can be published."""

    minimum = PercentField(
        "Minimum coverage", validators=[Required("Enter the minimum coverage, like 80")],
        message="Enter a minimum coverage between 0% and 100%, like 80",
    )


class BodyForm(FlaskForm):
    """Whose payments an import holds."""

    body = SelectField("Whose payments are these?", choices=[], validators=[Optional()],
                       message="Select whose payments the file holds")
    new_body = text_field("Or another public body, for comparison (optional)", None, 200, "The body's name")

    def chosen(self) -> str | None:
        """The new body's name when one was typed, else the chosen body's slug."""
        return self.new_body.data or self.body.data
