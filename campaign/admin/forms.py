"""Staff area forms. Every error message is an instruction, as the GOV.UK Design System asks."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, Field, PasswordField, SelectField, StringField, TextAreaField
from wtforms import RadioField as _RadioField
from wtforms.utils import unset_value
from wtforms.validators import Length, StopValidation, ValidationError

from campaign.services import money
from campaign.services.figures.editing import COMPUTATIONS
from campaign.services.geography import COUNCIL_AREAS
from campaign.services.spend.suppliers import LOCATION_CHOICES, LOCATION_LABELS


def _strip(value):
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
    return StringField(label, validators=[*checks, max_length(limit, what or label)], filters=[_strip], **kwargs)


def url(label: str, limit: int = 500) -> StringField:
    """An optional web address that must start with http:// or https://."""

    def check(form, field):
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(f"Enter {label.lower()} starting with https://")

    return StringField(label, validators=[Optional(), max_length(limit, label), check], filters=[_strip])


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


class YearField(_ParsedField):
    """A financial year's start, typed as 2017 or 2017/18."""

    @staticmethod
    def parse(text: str) -> int:
        first = text.strip().split("/")[0].split("-")[0].strip()
        if len(first) != 4 or not first.isdigit() or not 2000 <= int(first) <= 2100:
            raise ValueError(text)
        return int(first)

    show = staticmethod(lambda value: f"{value}/{(value + 1) % 100:02d}")


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


class ChoiceField(SelectField):
    """A select whose "not a valid choice" error is an instruction."""

    def __init__(self, label=None, validators=None, message: str = "Select an option from the list", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def pre_validate(self, form):
        if self.data not in {str(value) for value, *_ in self.choices}:
            raise ValidationError(self.message)


class OptionalIdField(ChoiceField):
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


class RadioField(_RadioField):
    """Radios whose "not a valid choice" error is an instruction (the name the error summary expects)."""

    def __init__(self, label=None, validators=None, message: str = "Select an option", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def pre_validate(self, form):
        if self.data not in {value for value, *_ in self.choices}:
            raise ValidationError(self.message)


# ---------------------------------------------------------------------------
# Figures and years
# ---------------------------------------------------------------------------

QUALIFIERS = [("", "No qualifier"), ("about", "about"), ("around", "around"), ("approximately", "approximately"),
              ("over", "over"), ("more than", "more than")]


class FigureForm(FlaskForm):
    """A headline figure: what it says, its value (typed or worked out), and its source."""

    label = text_field("What the figure counts", "Enter what the figure counts", 200, "What the figure counts")
    description = TextAreaField(
        "More detail (optional)", validators=[Optional(), max_length(2000, "More detail")], filters=[_strip]
    )
    kind = RadioField(
        "Where the value comes from",
        choices=[("manual", "I will enter the value from a source"),
                 ("computed", "Work it out from the data on this site")],
        default="manual",
        message="Select where the value comes from",
    )
    unit = RadioField(
        "What kind of number it is",
        choices=[("pounds", "Money (pounds and pence)"), ("percent", "A percentage"), ("count", "A count")],
        default="pounds",
        message="Select what kind of number it is",
    )
    value = StringField("Value", filters=[_strip], validators=[max_length(40, "The value")])
    qualifier = ChoiceField("Qualifier", choices=QUALIFIERS, default="", message="Select a qualifier from the list")
    computation = ChoiceField(
        "Work it out from",
        choices=[("", "Select what to work it out from")] + [(key, words) for key, (_, words) in COMPUTATIONS.items()],
        default="",
        message="Select what to work the figure out from",
    )
    param_year = YearField(
        "Financial year", validators=[Optional()], message="Enter a financial year between 2000 and 2100, like 2017"
    )
    param_contract = OptionalIdField("Contract", choices=[], message="Select a contract from the list")
    period = text_field("Period it covers", "Enter the period the figure covers, like 2017 to August 2019", 120)
    source_text = text_field("Source", "Enter where the figure comes from", 300)
    source_url = url("Link to the source (optional)")
    as_of = DateInputField("Date the figure was true (optional)", what="The date the figure was true")

    def validate_value(self, field):
        """The value is read according to the kind of number chosen."""
        if self.kind.data != "manual":
            return
        if not field.data:
            raise ValidationError("Enter the figure's value")
        parsers = {
            "pounds": (money.parse_pounds, "Enter an amount in pounds and pence, like £1,234.56"),
            "percent": (money.parse_percent, "Enter a percentage between 0 and 100, like 54 or 2.5"),
            "count": (money.parse_count, "Enter a whole number, like 1,250"),
        }
        parse, message = parsers.get(self.unit.data, parsers["count"])
        try:
            self.parsed_value = parse(field.data)
        except ValueError:
            raise ValidationError(message) from None

    def values(self) -> dict:
        """The form's values in the shape the figures service takes."""
        computed = self.kind.data == "computed"
        computation = self.computation.data or None
        param = None
        if computed and computation == "contract_local_spend":
            param = self.param_contract.data
        elif computed:
            param = self.param_year.data
        return {
            "label": self.label.data,
            "description": self.description.data or "",
            "kind": self.kind.data,
            "unit": self.unit.data,
            "value": getattr(self, "parsed_value", None) if not computed else None,
            "qualifier": self.qualifier.data or "",
            "computation": computation if computed else None,
            "computation_param": param,
            "period": self.period.data,
            "source_text": self.source_text.data,
            "source_url": self.source_url.data or None,
            "as_of": self.as_of.data,
        }

    def fill(self, values: dict) -> None:
        """Put a stored figure's values into the form."""
        self.value.data = {
            "pounds": money.pence_to_text, "percent": money.basis_points_to_text, "count": lambda v: f"{v:,}",
        }[values["unit"]](values["value"]) if values["value"] is not None else ""
        if values["computation"] == "contract_local_spend":
            self.param_contract.data = values["computation_param"]
        else:
            self.param_year.data = values["computation_param"]


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
    source_url = url("Link to the source (optional)")
    notes = TextAreaField("Notes (optional)", validators=[Optional(), max_length(2000, "Notes")], filters=[_strip])

    def values(self) -> dict:
        """The form's values in the shape the figures service takes."""
        return {name: getattr(self, name).data for name in (
            "start_year", "total_spend_pence", "lancashire_spend_pence", "north_west_spend_pence",
            "sme_spend_pence", "vcse_spend_pence", "source_text", "source_url",
        )} | {"is_approximate": bool(self.is_approximate.data), "notes": self.notes.data or "",
              "source_url": self.source_url.data or None}


class ConfirmForm(FlaskForm):
    """A button-only form: its CSRF token is all it carries."""


# ---------------------------------------------------------------------------
# Suppliers and spend import
# ---------------------------------------------------------------------------


class SupplierForm(FlaskForm):
    """A supplier in the register."""

    name = text_field("Supplier name", "Enter the supplier's name", 300)
    postcode = text_field("Postcode (optional)", None, 20, "The postcode")
    companies_house_number = text_field("Companies House number (optional)", None, 12, "The Companies House number")
    is_sme = BooleanField("Small or medium-sized enterprise (SME)")
    is_vcse = BooleanField("Voluntary, community or social enterprise (VCSE)")
    location_choice = RadioField(
        "Where the supplier is based",
        choices=[(key, "Work it out from the postcode" if key == "auto" else LOCATION_LABELS[key])
                 for key in LOCATION_CHOICES],
        default="auto",
        message="Select where the supplier is based",
    )
    council_area = ChoiceField(
        "Lancashire council area (optional)",
        choices=[("", "Not chosen")] + COUNCIL_AREAS,
        default="",
        message="Select a Lancashire council area from the list",
    )

    def values(self) -> dict:
        """The form's values in the shape the suppliers service takes."""
        return {name: getattr(self, name).data for name in (
            "name", "postcode", "companies_house_number", "is_sme", "is_vcse", "location_choice", "council_area",
        )}


class MatchSupplierForm(FlaskForm):
    """Match a name from the payments to a supplier already in the register."""

    supplier_name = text_field(
        "Name of the supplier in the register", "Enter the name of a supplier in the register", 300,
        "The supplier name",
    )


class UploadForm(FlaskForm):
    """A spend file to import."""

    file = FileField("Spend file (CSV)")


class MappingForm(FlaskForm):
    """Which column of the file holds each field."""

    date = OptionalIdField("Payment date", choices=[], message="Select the column that holds the payment date")
    supplier = OptionalIdField("Supplier name", choices=[], message="Select the column that holds the supplier name")
    amount = OptionalIdField("Amount", choices=[], message="Select the column that holds the amount")
    reference = OptionalIdField(
        "Transaction reference (optional)", choices=[], message="Select the column that holds the reference"
    )

    def set_columns(self, headers: list[str]) -> None:
        """Offer each column of the file, by number and header."""
        options = [(index, f"Column {index + 1}: {header or '(no header)'}") for index, header in enumerate(headers)]
        for name in ("date", "supplier", "amount"):
            getattr(self, name).choices = [("", "Select a column")] + options
        self.reference.choices = [("", "Not in this file")] + options

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
        """The chosen columns, by field."""
        return {name: getattr(self, name).data for name in ("date", "supplier", "amount", "reference")}


class ImportConfirmForm(FlaskForm):
    """Confirm an import, acknowledging any rows that will be left out."""

    accept_errors = BooleanField("I have read the errors and want to import the rows without errors")


# ---------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------


def _count(label: str, words: str) -> CountField:
    return CountField(label, validators=[Optional()], message=f"Enter {words} as a whole number, like 12")


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
    term_months = _count("Term in months (optional)", "the term in months")
    social_value_weighting_bp = PercentField(
        "Social value weighting in the evaluation (optional)", validators=[Optional()],
        message="Enter the weighting as a percentage between 0 and 100, like 10 or 2.5",
    )
    living_wage_committed = BooleanField("Committed to pay the real Living Wage")
    living_wage_delivered = BooleanField("Pays the real Living Wage")
    local_jobs_committed = _count("Local jobs committed", "local jobs committed")
    local_jobs_delivered = _count("Local jobs delivered", "local jobs delivered")
    apprenticeships_committed = _count("Apprenticeships committed", "apprenticeships committed")
    apprenticeships_delivered = _count("Apprenticeships delivered", "apprenticeships delivered")
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
        filters=[_strip],
    )
    environment_delivered = TextAreaField(
        "Environmental measures delivered", validators=[Optional(), max_length(2000, "Environmental measures")],
        filters=[_strip],
    )
    volunteering_hours_committed = _count("Volunteering hours committed", "volunteering hours committed")
    volunteering_hours_delivered = _count("Volunteering hours delivered", "volunteering hours delivered")
    case_study_id = OptionalIdField("Case study (optional)", choices=[], message="Select a case study from the list")
    notes = TextAreaField("Notes (optional)", validators=[Optional(), max_length(2000, "Notes")], filters=[_strip])

    def values(self) -> dict:
        """The form's values in the shape the contracts service takes."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class ContractFilterForm(FlaskForm):
    """Narrow the contracts list (a GET form, so no CSRF token)."""

    class Meta:
        csrf = False

    category = ChoiceField("Category", choices=[], message="Select a category from the list")
    supplier = text_field("Supplier name contains", None, 300, "The supplier name")
    year = OptionalIdField("Financial year awarded", choices=[], message="Select a year from the list")
    below_minimum = BooleanField("Only contracts below the 2.5% social value minimum")


# ---------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------


class CaseStudyForm(FlaskForm):
    """A case study, written in Markdown, with an optional image."""

    title = text_field("Title", "Enter the case study's title", 200)
    summary = TextAreaField(
        "Summary", validators=[Required("Enter a short summary"), max_length(600, "The summary")], filters=[_strip]
    )
    body_markdown = TextAreaField(
        "Story", validators=[Optional(), max_length(50_000, "The story")], filters=[_strip]
    )
    key_figure = text_field("Key figure (optional)", None, 40, "The key figure")
    key_figure_label = text_field("What the key figure counts (optional)", None, 200, "What the key figure counts")
    source_text = text_field("Source", "Enter where the facts in the story come from", 300)
    source_url = url("Link to the source (optional)")
    source_date = DateInputField("Date of the source (optional)", what="The date of the source")
    image = FileField("Image (optional)")
    image_alt = text_field("Image description (alt text)", None, 300, "The alt text")
    remove_image = BooleanField("Remove the current image")
    position = _count("Position in the list (optional)", "the position")

    def values(self) -> dict:
        """The form's values in the shape the content service takes."""
        return {name: getattr(self, name).data for name in (
            "title", "summary", "body_markdown", "key_figure", "key_figure_label", "source_text", "source_url",
            "source_date", "image_alt", "position",
        )}


class QuoteForm(FlaskForm):
    """A quote, shown exactly as its source gives it."""

    text = TextAreaField(
        "Quote", validators=[Required("Enter the words of the quote"), max_length(2000, "The quote")], filters=[_strip]
    )
    attribution = text_field(
        "Who said it", "Enter who said it, or a description such as 'A supplier'", 200, "Who said it"
    )
    attribution_role = text_field("Their role (optional)", None, 200, "Their role")
    is_supplier = BooleanField("This is a supplier speaking (it can show on the home page)")
    source_text = text_field("Source", "Enter where the quote comes from", 300)
    source_url = url("Link to the source (optional)")
    source_date = DateInputField("Date of the source (optional)", what="The date of the source")
    case_study_id = OptionalIdField("Case study (optional)", choices=[], message="Select a case study from the list")
    position = _count("Position in the list (optional)", "the position")

    def values(self) -> dict:
        """The form's values in the shape the content service takes."""
        return {name: getattr(self, name).data for name in (
            "text", "attribution", "attribution_role", "is_supplier", "source_text", "source_url", "source_date",
            "case_study_id", "position",
        )}


# ---------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------

ROLE_CHOICES = [("editor", "Editor: content, figures, contracts, spend and pledges"),
                ("admin", "Admin: everything an editor does, plus staff accounts and the audit log")]


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


class AuditFilterForm(FlaskForm):
    """Narrow the audit log (a GET form, so no CSRF token)."""

    class Meta:
        csrf = False

    person = OptionalIdField("Person", choices=[], message="Select a person from the list")
    type = ChoiceField("Type of change", choices=[], message="Select a type from the list")
