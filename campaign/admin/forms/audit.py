"""The audit log's filter form."""

from __future__ import annotations

from flask_wtf import FlaskForm

from campaign.admin.forms.fields import OptionalIdField
from campaign.forms_fields import SelectField


class AuditFilterForm(FlaskForm):
    """Narrow the audit log (a GET form, so no CSRF token)."""

    class Meta:
        csrf = False

    person = OptionalIdField("Person", choices=[], message="Select a person from the list")
    type = SelectField("Type of change", choices=[], message="Select a type from the list")
