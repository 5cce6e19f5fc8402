"""Supplier register forms: a supplier, matching a name from the payments to one, and uploading many."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField

from campaign.admin.forms.fields import text_field
from campaign.forms_fields import RadioField, SelectField
from campaign.services.geography import COUNCIL_AREAS
from campaign.services.spend.suppliers import LOCATION_CHOICES, LOCATION_LABELS


class SupplierForm(FlaskForm):
    """A supplier in the register."""

    name = text_field("Supplier name", "Enter the supplier's name", 300)
    postcode = text_field("Postcode (optional)", None, 20, "The postcode")
    companies_house_number = text_field("Companies House number (optional)", None, 12, "The Companies House number")
    is_sme = BooleanField("Small or medium-sized enterprise (SME)")
    is_vcse = BooleanField("Voluntary, community or social enterprise (VCSE)")
    is_public_body = BooleanField("A public body (a council, the NHS, another police force or similar)")
    location_choice = RadioField(
        "Where the supplier is based",
        choices=[(key, "Work it out from the postcode" if key == "auto" else LOCATION_LABELS[key])
                 for key in LOCATION_CHOICES],
        default="auto",
        message="Select where the supplier is based",
    )
    council_area = SelectField(
        "Lancashire council area (optional)",
        choices=[("", "Not chosen")] + COUNCIL_AREAS,
        default="",
        message="Select a Lancashire council area from the list",
    )

    def values(self) -> dict:
        """The form's values in the shape the suppliers service takes."""
        return {name: getattr(self, name).data for name in (
            "name", "postcode", "companies_house_number", "is_sme", "is_vcse", "is_public_body", "location_choice", "council_area",
        )}


class MatchSupplierForm(FlaskForm):
    """Match a name from the payments to a supplier already in the register."""

    supplier_name = text_field(
        "Name of the supplier in the register", "Enter the name of a supplier in the register", 300,
        "The supplier name",
    )


class AcceptSuggestionForm(FlaskForm):
    """One click: this name from the payments is that suggested supplier."""

    key = HiddenField()
    supplier_id = IntegerField()
    page = IntegerField(default=1)


class SupplierUploadForm(FlaskForm):
    """A CSV file of suppliers to add to the register or change."""

    file = FileField("Supplier list (CSV)")


class ConfirmSupplierUploadForm(FlaskForm):
    """Save a previewed upload: the file travels back in the form, so nothing is stored before this."""

    payload = HiddenField()
    filename = HiddenField()
