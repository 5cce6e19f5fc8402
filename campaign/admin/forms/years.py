"""The spend-by-year form: one financial year's supplier spend, typed in from a document."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField

from campaign.admin.forms.fields import (
    DateInputField,
    Optional,
    PoundsField,
    Required,
    YearField,
    max_length,
    strip,
    text_field,
    url,
)


class YearForm(FlaskForm):
    """One financial year's supplier spend, typed in from a document."""

    start_year = YearField(
        "Financial year",
        validators=[Required("Enter the financial year, like 2023/24")],
        message="Enter a financial year between 2000 and 2100, like 2023/24",
    )
    total_spend_pence = PoundsField(
        "All supplier spend (optional)", validators=[Optional()],
        message="Enter all supplier spend in pounds and pence, like £46,000,000",
    )
    lancashire_spend_pence = PoundsField(
        "Spend with Lancashire suppliers (optional)", validators=[Optional()],
        message="Enter spend with Lancashire suppliers in pounds and pence, like £36,000,000",
    )
    north_west_spend_pence = PoundsField(
        "Spend with North West suppliers, including Lancashire (optional)", validators=[Optional()],
        message="Enter spend with North West suppliers in pounds and pence, like £40,000,000",
    )
    sme_spend_pence = PoundsField(
        "Spend with small and medium-sized enterprises (SMEs) (optional)", validators=[Optional()],
        message="Enter spend with SMEs in pounds and pence, like £12,500,000.50",
    )
    vcse_spend_pence = PoundsField(
        "Spend with voluntary, community and social enterprises (VCSEs) (optional)", validators=[Optional()],
        message="Enter spend with VCSEs in pounds and pence, like £1,250,000",
    )
    is_approximate = BooleanField("The source gives these amounts as approximate")
    source_text = text_field("Source", "Enter where these amounts come from", 300)
    source_url = url("Link to the source (optional)", https_only=True)
    published_on = DateInputField(
        "Date the source published these amounts (optional)", what="The date the source published these amounts"
    )
    notes = TextAreaField("Notes (optional)", validators=[Optional(), max_length(2000, "Notes")], filters=[strip])

    def values(self) -> dict:
        """The form's values in the shape the figures service takes."""
        return {name: getattr(self, name).data for name in (
            "start_year", "total_spend_pence", "lancashire_spend_pence", "north_west_spend_pence",
            "sme_spend_pence", "vcse_spend_pence", "source_text", "source_url", "published_on",
        )} | {"is_approximate": bool(self.is_approximate.data), "notes": self.notes.data or "",
              "source_url": self.source_url.data or None}
