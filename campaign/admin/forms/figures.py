"""The headline figure form: what a figure says, its value (typed or worked out), and its source."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from campaign.admin.forms.fields import (
    DateInputField,
    Optional,
    OptionalIdField,
    YearField,
    max_length,
    strip,
    text_field,
    url,
)
from campaign.forms_fields import RadioField, SelectField
from campaign.services import money
from campaign.services.figures.editing import COMPUTATIONS

QUALIFIERS = [("", "No qualifier"), ("about", "about"), ("around", "around"), ("approximately", "approximately"),
              ("over", "over"), ("more than", "more than")]


class FigureForm(FlaskForm):
    """A headline figure: what it says, its value (typed or worked out), and its source."""

    label = text_field("What the figure counts", "Enter what the figure counts", 200, "What the figure counts")
    description = TextAreaField(
        "More detail (optional)", validators=[Optional(), max_length(2000, "More detail")], filters=[strip]
    )
    kind = RadioField(
        "Where the value comes from",
        choices=[("manual", "I will enter the value from a source"),
                 ("computed", "Work it out from the data on this site")],
        default="manual",
        message="Select where the value comes from",
    )
    unit = RadioField(
        "What kind of number it is",
        choices=[("pounds", "Money (pounds and pence)"), ("percent", "A percentage"), ("count", "A count")],
        default="pounds",
        message="Select what kind of number it is",
    )
    value = StringField("Value", filters=[strip], validators=[max_length(40, "The value")])
    qualifier = SelectField("Qualifier", choices=QUALIFIERS, default="", message="Select a qualifier from the list")
    computation = SelectField(
        "Work it out from",
        choices=[("", "Select what to work it out from")] + [(key, words) for key, (_, words) in COMPUTATIONS.items()],
        default="",
        message="Select what to work the figure out from",
    )
    param_year = YearField(
        "Financial year", validators=[Optional()], message="Enter a financial year between 2000 and 2100, like 2017"
    )
    param_contract = OptionalIdField("Contract", choices=[], message="Select a contract from the list")
    period = text_field("Period it covers", "Enter the period the figure covers, like 2017 to August 2019", 120)
    source_text = text_field("Source", "Enter where the figure comes from", 300)
    source_url = url("Link to the source (optional)", https_only=True)
    published_on = DateInputField(
        "Date the source published the figure (optional)", what="The date the source published the figure"
    )
    as_of = DateInputField("Date the figure was true (optional)", what="The date the figure was true")

    def validate_value(self, field):
        """The value is read according to the kind of number chosen."""
        if self.kind.data != "manual":
            return
        if not field.data:
            raise ValidationError("Enter the figure's value")
        parsers = {
            "pounds": (money.parse_pounds, "Enter an amount in pounds and pence, like £1,234.56"),
            "percent": (money.parse_percent, "Enter a percentage between 0 and 100, like 54 or 2.5"),
            "count": (money.parse_count, "Enter a whole number, like 1,250"),
        }
        parse, message = parsers.get(self.unit.data, parsers["count"])
        try:
            self.parsed_value = parse(field.data)
        except ValueError:
            raise ValidationError(message) from None

    def values(self) -> dict:
        """The form's values in the shape the figures service takes."""
        computed = self.kind.data == "computed"
        computation = self.computation.data or None
        param = None
        if computed and computation == "contract_local_spend":
            param = self.param_contract.data
        elif computed:
            param = self.param_year.data
        return {
            "label": self.label.data,
            "description": self.description.data or "",
            "kind": self.kind.data,
            "unit": self.unit.data,
            "value": getattr(self, "parsed_value", None) if not computed else None,
            "qualifier": self.qualifier.data or "",
            "computation": computation if computed else None,
            "computation_param": param,
            "period": self.period.data,
            "source_text": self.source_text.data,
            "source_url": self.source_url.data or None,
            "published_on": self.published_on.data,
            "as_of": self.as_of.data,
        }

    def fill(self, values: dict) -> None:
        """Put a stored figure's values into the form."""
        self.value.data = {
            "pounds": money.pence_to_text, "percent": money.basis_points_to_text, "count": lambda v: f"{v:,}",
        }[values["unit"]](values["value"]) if values["value"] is not None else ""
        if values["computation"] == "contract_local_spend":
            self.param_contract.data = values["computation_param"]
        else:
            self.param_year.data = values["computation_param"]
