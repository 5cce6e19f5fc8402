"""The check-in report form: every question optional, each answer checked with a message that says what to do."""

from __future__ import annotations

from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional, ValidationError

from campaign.forms_csrf import VisitorForm
from campaign.forms_fields import RadioField
from campaign.models.checkins import SUMMARY_LENGTH
from campaign.services import money, text

YES_NO = [("yes", "Yes"), ("no", "No")]
MINUS = ("-", "\u2212")


def _one_line(value):
    return text.clean_text(value) if isinstance(value, str) else value


def _negative(field) -> bool:
    return (field.data or "").strip().startswith(MINUS)


def _count_field(label: str, noun: str) -> StringField:
    """An optional whole number of 0 or more."""

    def check(form, field):
        if not (field.data or "").strip():
            return
        if _negative(field):
            raise ValidationError(f"Enter a number of {noun} of 0 or more")
        try:
            money.parse_count(field.data)
        except ValueError:
            raise ValidationError(f"Enter the number of {noun} as a whole number, like 3") from None

    return StringField(label, filters=[_one_line], validators=[check])


class CheckInVisitorForm(VisitorForm):
    """A form a pledge's contact sends from a check-in email: its CSRF token needs no session (campaign/forms_csrf.py)."""

    class Meta:
        csrf_cookie_path = "/check-in"


class ReportForm(CheckInVisitorForm):
    """What the organisation did this year. Fields are declared in the order the page asks them."""

    local_share = StringField("Share of your supplier spend that went to Lancashire suppliers (optional)", filters=[_one_line])
    local_spend = StringField("Amount you spent with Lancashire suppliers (optional)", filters=[_one_line])
    pays_real_living_wage = RadioField("Do you pay all your staff the real Living Wage? (optional)", choices=YES_NO,
                                       validators=[Optional()])
    living_wage_accredited = RadioField("Are you accredited by the Living Wage Foundation? (optional)", choices=YES_NO,
                                        validators=[Optional()])
    jobs_created = _count_field("Jobs you created in Lancashire (optional)", "jobs")
    apprenticeships_created = _count_field("Apprenticeships you created in Lancashire (optional)", "apprenticeships")
    volunteering_hours = _count_field("Hours your staff volunteered (optional)", "volunteering hours")
    summary = StringField(
        "In one sentence, what did you do this year? (optional)",
        filters=[_one_line],
        validators=[Length(max=SUMMARY_LENGTH, message=f"Enter a sentence of {SUMMARY_LENGTH} characters or fewer")],
    )

    def validate_local_share(self, field) -> None:
        """A percentage from 0 to 100, to two decimal places."""
        if not (field.data or "").strip():
            return
        if _negative(field):
            raise ValidationError("Enter a percentage of 0 or more")
        try:
            money.parse_percent(field.data)
        except ValueError:
            raise ValidationError("Enter a percentage between 0 and 100, like 35 or 35.5") from None

    def validate_local_spend(self, field) -> None:
        """An amount in pounds, not negative."""
        if not (field.data or "").strip():
            return
        if _negative(field):
            raise ValidationError("Enter an amount of £0 or more")
        try:
            money.parse_pounds(field.data)
        except ValueError:
            raise ValidationError("Enter the amount in pounds, like 12,500 or 12,500.50") from None

    def values(self) -> dict:
        """The answers in their stored form: None for every question left blank."""

        def parsed(field, parse):
            return parse(field.data) if (field.data or "").strip() else None

        def yes_no(field):
            return {"yes": True, "no": False}.get(field.data)

        return {
            "local_share_bp": parsed(self.local_share, money.parse_percent),
            "local_spend_pence": parsed(self.local_spend, money.parse_pounds),
            "pays_real_living_wage": yes_no(self.pays_real_living_wage),
            "living_wage_accredited": yes_no(self.living_wage_accredited),
            "jobs_created": parsed(self.jobs_created, money.parse_count),
            "apprenticeships_created": parsed(self.apprenticeships_created, money.parse_count),
            "volunteering_hours": parsed(self.volunteering_hours, money.parse_count),
            "summary": self.summary.data or None,
        }


class NewLinkForm(CheckInVisitorForm):
    """Ask for a fresh check-in link, from an expired or used one."""

    token = HiddenField()


class StopForm(CheckInVisitorForm):
    """Stop check-in emails: a button, so a mail scanner opening the link stops nothing."""
