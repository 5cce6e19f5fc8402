"""Choice fields shared by the public and staff forms, defined once.

Each one answers a tampered or stale choice with an instruction instead of WTForms' "Not a valid choice".
"""

from __future__ import annotations

import wtforms
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

BAD_CHOICE_MESSAGE = "Select one of the options shown"


class _InstructionOnBadChoice:
    """Replace the invalid-choice error with `message`, an instruction that says what to do."""

    def __init__(self, label=None, validators=None, message: str = BAD_CHOICE_MESSAGE, **kwargs) -> None:
        super().__init__(label, validators, **kwargs)  # type: ignore[call-arg]
        self.message = message

    def pre_validate(self, form) -> None:
        """Check the choice is one offered, with a message that says what to do."""
        try:
            super().pre_validate(form)  # type: ignore[misc]
        except ValueError:
            raise ValidationError(self.message) from None


# The class names matter: the error summary links radios and checkboxes to their first option by type.
class RadioField(_InstructionOnBadChoice, wtforms.RadioField):
    """Radios whose invalid-choice message is an instruction."""


class SelectField(_InstructionOnBadChoice, wtforms.SelectField):
    """A select whose invalid-choice message is an instruction."""


class MultiCheckboxField(_InstructionOnBadChoice, wtforms.SelectMultipleField):
    """A set of checkboxes; the form macros render each choice with its own label."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
