"""Spend import forms: the file, which column holds what, and confirming the import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField

from campaign.admin.forms.fields import OptionalIdField


class UploadForm(FlaskForm):
    """A spend file to import."""

    file = FileField("Spend file (CSV or Excel workbook)")


class MappingForm(FlaskForm):
    """Which column of the file holds each field."""

    date = OptionalIdField("Payment date", choices=[], message="Select the column that holds the payment date")
    supplier = OptionalIdField("Supplier name", choices=[], message="Select the column that holds the supplier name")
    amount = OptionalIdField("Amount", choices=[], message="Select the column that holds the amount")
    reference = OptionalIdField(
        "Transaction reference (optional)", choices=[], message="Select the column that holds the reference"
    )
    category = OptionalIdField(
        "Expenditure category (optional)", choices=[], message="Select the column that holds the expenditure category"
    )
    first_row_is_data = BooleanField("The first row is a payment, not column headings")

    def set_columns(self, headers: list[str]) -> None:
        """Offer each column of the file, by number and header."""
        options = [(index, f"Column {index + 1}: {header or '(no header)'}") for index, header in enumerate(headers)]
        for name in ("date", "supplier", "amount"):
            getattr(self, name).choices = [("", "Select a column")] + options
        self.reference.choices = [("", "Not in this file")] + options
        self.category.choices = [("", "Not in this file")] + options

    def validate(self, extra_validators=None) -> bool:
        """Date, supplier and amount are required."""
        valid = super().validate(extra_validators)
        for name, words in (("date", "payment date"), ("supplier", "supplier name"), ("amount", "amount")):
            field = getattr(self, name)
            if field.data is None and not field.errors:
                field.errors.append(f"Select the column that holds the {words}")
                valid = False
        return valid

    def mapping(self) -> dict:
        """The chosen columns, by field, and whether the file has a header row."""
        chosen = {name: getattr(self, name).data for name in ("date", "supplier", "amount", "reference", "category")}
        return chosen | ({"first_row_is_data": True} if self.first_row_is_data.data else {})


class ImportConfirmForm(FlaskForm):
    """Confirm an import, acknowledging any rows that will be left out."""

    accept_errors = BooleanField("I have read the errors and want to import the rows without errors")
