"""Contracts register forms: a contract with its social value, and the filters for the list."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField

from campaign.admin.forms.fields import (
    DateInputField,
    Optional,
    OptionalIdField,
    PercentField,
    PoundsField,
    Required,
    count_field,
    max_length,
    strip,
    text_field,
)
from campaign.forms_fields import SelectField


class ContractForm(FlaskForm):
    """A contract in the register, with its social value committed and delivered."""

    title = text_field("Contract title", "Enter the contract's title", 300)
    supplier_name = text_field("Supplier (optional)", None, 300, "The supplier name")
    category = text_field("Category (optional)", None, 100, "The category")
    awarded_on = DateInputField("Award date (optional)", what="The award date")
    value_pence = PoundsField(
        "Contract value", validators=[Required("Enter the contract value in pounds and pence, like £125,000")],
        message="Enter the contract value in pounds and pence, like £125,000",
    )
    term_months = count_field("Term in months (optional)", "the term in months")
    social_value_weighting_bp = PercentField(
        "Social value weighting in the evaluation (optional)", validators=[Optional()],
        message="Enter the weighting as a percentage between 0 and 100, like 10 or 2.5",
    )
    living_wage_committed = BooleanField("Committed to pay the real Living Wage")
    living_wage_delivered = BooleanField("Pays the real Living Wage")
    local_jobs_committed = count_field("Local jobs committed", "local jobs committed")
    local_jobs_delivered = count_field("Local jobs delivered", "local jobs delivered")
    apprenticeships_committed = count_field("Apprenticeships committed", "apprenticeships committed")
    apprenticeships_delivered = count_field("Apprenticeships delivered", "apprenticeships delivered")
    local_spend_committed_pence = PoundsField(
        "Local supply-chain spend committed", validators=[Optional()],
        message="Enter local supply-chain spend committed in pounds and pence, like £50,000",
    )
    local_spend_delivered_pence = PoundsField(
        "Local supply-chain spend delivered", validators=[Optional()],
        message="Enter local supply-chain spend delivered in pounds and pence, like £45,000",
    )
    environment_committed = TextAreaField(
        "Environmental measures committed", validators=[Optional(), max_length(2000, "Environmental measures")],
        filters=[strip],
    )
    environment_delivered = TextAreaField(
        "Environmental measures delivered", validators=[Optional(), max_length(2000, "Environmental measures")],
        filters=[strip],
    )
    volunteering_hours_committed = count_field("Volunteering hours committed", "volunteering hours committed")
    volunteering_hours_delivered = count_field("Volunteering hours delivered", "volunteering hours delivered")
    case_study_id = OptionalIdField("Case study (optional)", choices=[], message="Select a case study from the list")
    notes = TextAreaField("Notes (optional)", validators=[Optional(), max_length(2000, "Notes")], filters=[strip])

    def values(self) -> dict:
        """The form's values in the shape the contracts service takes."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class ContractFilterForm(FlaskForm):
    """Narrow the contracts list (a GET form, so no CSRF token)."""

    class Meta:
        csrf = False

    category = SelectField("Category", choices=[], message="Select a category from the list")
    supplier = text_field("Supplier name contains", None, 300, "The supplier name")
    year = OptionalIdField("Financial year awarded", choices=[], message="Select a year from the list")
    below_minimum = BooleanField("Only contracts below the 2.5% social value minimum")
