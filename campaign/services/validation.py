"""The error services raise when staff input breaks a rule that only the data can check."""

from __future__ import annotations


class FieldError(ValueError):
    """A rule broken by one field (or by the form as a whole when `field` is None).

    The message is written as an instruction, ready to show beside the field.
    """

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
