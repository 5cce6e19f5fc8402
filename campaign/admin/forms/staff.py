"""Staff account forms: adding an account, changing a name or role, and passwords."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import Length, ValidationError

from campaign.admin.forms.fields import Required, text_field
from campaign.forms_fields import RadioField

ROLE_CHOICES = [("editor", "Editor: content, figures, contracts, spend and pledges, as drafts"),
                ("publisher", "Publisher: everything an editor does, plus approving imports and figures for the public"),
                ("admin", "Admin: everything a publisher does, plus staff accounts and the audit log")]


def _password(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[Required("Enter a password"),
                    Length(min=12, max=200, message="Enter a password of between 12 and 200 characters")],
    )


class StaffCreateForm(FlaskForm):
    """A new staff account."""

    name = text_field("Full name", "Enter the person's name", 120, "The name")
    email = text_field("Email address", "Enter an email address", 254, "The email address")
    role = RadioField("Role", choices=ROLE_CHOICES, default="editor", message="Select a role")
    password = _password("Password to give them")


class StaffEditForm(FlaskForm):
    """A staff member's name and role."""

    name = text_field("Full name", "Enter the person's name", 120, "The name")
    role = RadioField("Role", choices=ROLE_CHOICES, message="Select a role")


class SetPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = _password("New password")
    confirm = PasswordField("Confirm the new password", validators=[Required("Confirm the new password")])

    def validate_confirm(self, field):
        """Both boxes must match."""
        if field.data != self.password.data:
            raise ValidationError("Enter the same password in both boxes")


class ChangeOwnPasswordForm(SetPasswordForm):
    """Your own password: the current one first."""

    current_password = PasswordField(
        "Current password",
        validators=[Required("Enter your current password"), Length(max=200, message="Enter your current password")],
    )
