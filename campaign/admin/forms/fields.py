"""Field classes and checks the staff area's forms share, and the button-only form.

Every error message is an instruction, as the GOV.UK Design System asks. The choice fields
shared with the public forms live in `campaign.forms_fields`.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.fields import DateTimeLocalField
from wtforms.utils import unset_value
from wtforms.validators import Length, StopValidation, ValidationError

from campaign.formatting import year_label
from campaign.forms_fields import SelectField
from campaign.services import money

WHEN_EXAMPLE = "for example 2026-03-27 09:30"


def strip(value):
    """Trim spaces people leave around what they type, and drop NUL characters no database text can hold."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class Required:
    """Stop with an instruction when a field is empty (spaces count as empty)."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        raw = field.raw_data[0] if field.raw_data else ""
        if not isinstance(raw, str) or not raw.strip():
            field.errors[:] = []
            raise StopValidation(self.message)


class Optional:
    """Skip the other checks when a field is empty."""

    field_flags = {"optional": True}

    def __call__(self, form, field) -> None:
        raw = field.raw_data[0] if field.raw_data else ""
        if not isinstance(raw, str) or not raw.strip():
            field.errors[:] = []
            raise StopValidation()


def max_length(limit: int, what: str) -> Length:
    """A length limit that says what is too long."""
    return Length(max=limit, message=f"{what} must be {limit:,} characters or fewer")


def text_field(
    label: str, required: str | None = None, limit: int = 300, what: str | None = None, **kwargs
) -> StringField:
    """A trimmed text field with a length limit and, if given, a required message."""
    checks = [Required(required)] if required else [Optional()]
    return StringField(label, validators=[*checks, max_length(limit, what or label)], filters=[strip], **kwargs)


def url(label: str, limit: int = 500, https_only: bool = False) -> StringField:
    """An optional web address: https:// (or, unless https_only, http://) followed by a host name."""
    schemes = ("https",) if https_only else ("https", "http")

    def check(form, field):
        if not field.data:
            return
        parts = urlsplit(field.data)
        # A host needs a dot ("www.example.org"); spaces mean something other than an address was pasted.
        if parts.scheme.lower() not in schemes or "." not in parts.netloc or any(c.isspace() for c in field.data):
            what = label.replace(" (optional)", "").lower()
            raise ValidationError(f"Enter the {what} as a web address starting with https://, like https://www.example.org/page")

    return StringField(label, validators=[Optional(), max_length(limit, label), check], filters=[strip])


class _ParsedField(StringField):
    """A text box whose value is parsed into a number; what was typed is shown back on error."""

    parse = staticmethod(lambda text: text)
    show = staticmethod(str)

    def __init__(self, label=None, validators=None, message: str = "", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and isinstance(valuelist[0], str) and valuelist[0].strip():
            if len(valuelist[0]) > 40:
                raise ValueError(self.message)
            try:
                self.data = self.parse(valuelist[0])
            except ValueError:
                raise ValueError(self.message) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else self.show(self.data)


class PoundsField(_ParsedField):
    """Pounds and pence as typed ("£1,234.56"), held as whole pence."""

    parse = staticmethod(money.parse_pounds)
    show = staticmethod(money.pence_to_text)


class PercentField(_ParsedField):
    """A percentage as typed ("54" or "2.5"), held as hundredths of a per cent."""

    parse = staticmethod(money.parse_percent)
    show = staticmethod(money.basis_points_to_text)


class CountField(_ParsedField):
    """A whole number as typed ("1,234"), never negative."""

    parse = staticmethod(money.parse_count)
    show = staticmethod(lambda value: f"{value}")


def count_field(label: str, words: str) -> CountField:
    """An optional whole number whose error names what it counts."""
    return CountField(label, validators=[Optional()], message=f"Enter {words} as a whole number, like 12")


class YearField(_ParsedField):
    """A financial year's start, typed as 2017 or 2017/18."""

    @staticmethod
    def parse(text: str) -> int:
        first = text.strip().split("/")[0].split("-")[0].strip()
        if len(first) != 4 or not first.isdigit() or not 2000 <= int(first) <= 2100:
            raise ValueError(text)
        return int(first)

    show = staticmethod(year_label)


class DateInputField(Field):
    """The GOV.UK date input: separate day, month and year boxes, read as one date."""

    def __init__(self, label=None, validators=None, what: str = "The date", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.what = what
        self.parts = {"day": "", "month": "", "year": ""}

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = self.data = data
        if isinstance(data, date):
            self.parts = {"day": str(data.day), "month": str(data.month), "year": str(data.year)}
        self.raw_data = None
        if formdata is None or not any(f"{self.name}-{part}" in formdata for part in self.parts):
            return
        self.parts = {part: str(formdata.get(f"{self.name}-{part}", ""))[:10].strip() for part in self.parts}
        self.raw_data = [" ".join(self.parts.values()).strip()]
        self.data = None
        if not self.raw_data[0]:
            return
        missing = [part for part, value in self.parts.items() if not value]
        if missing:
            self.process_errors.append(f"{self.what} must include a {' and '.join(missing)}")
            return
        try:
            day, month, year = (int(self.parts[part]) for part in ("day", "month", "year"))
            if not 1990 <= year <= 2100:
                raise ValueError
            self.data = date(year, month, day)
        except (ValueError, OverflowError):
            self.process_errors.append(f"{self.what} must be a real date, like 27 3 2024")

    def _value(self):
        return self.raw_data[0] if self.raw_data else ""


class DateTimeField(DateTimeLocalField):
    """A date and time box whose message for something unreadable is an instruction."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(f"Enter the date and time to post as a real date and time, {WHEN_EXAMPLE}") from None


class OptionalIdField(SelectField):
    """A select of rows by id, where the first option ("") means none."""

    def process_data(self, value):
        try:
            self.data = int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            self.data = None

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0] not in ("", None):
            try:
                self.data = int(valuelist[0])
            except (TypeError, ValueError):
                self.data = -1  # not a choice: pre_validate gives the instruction

    def pre_validate(self, form):
        if self.data is not None and self.data not in {value for value, *_ in self.choices if value != ""}:
            raise ValidationError(self.message)

    def iter_choices(self):
        for value, label, *_ in self.choices:
            yield (value, label, value == self.data or (value == "" and self.data is None), {})


class ConfirmForm(FlaskForm):
    """A button-only form: its CSRF token is all it carries."""
