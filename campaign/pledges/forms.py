"""Forms for signing, confirming, managing and withdrawing a pledge, and for searching the wall."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.fields import EmailField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from campaign.forms_csrf import VisitorForm
from campaign.forms_fields import MultiCheckboxField, RadioField, SelectField
from campaign.models import StoredImage
from campaign.models.pledges import COMMITMENTS, ORG_SIZES, ORG_TYPES, SECTORS
from campaign.services import images, text
from campaign.services.pledges import areas, common
from campaign.services.pledges import signing as pledges
from campaign.services.pledges.wall import SORTS, WallQuery

STATEMENT_LENGTH = 500
LOGO_MAX_SIDE = 800  # pixels: plenty for a logo on the wall and the organisation's page


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _one_line(value):
    return text.clean_text(value) if isinstance(value, str) else value


def _statement(value):
    return text.clean_text(value, multiline=True) if isinstance(value, str) else value


def _read_logo(field) -> StoredImage | None:
    """Verify and re-encode an uploaded logo, or raise the message to show beside the field."""
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data = upload.read()
    try:
        return images.verify_and_store(data, max_side=LOGO_MAX_SIDE)
    except images.ImageError as error:
        raise ValidationError(str(error)) from None


def _commitments_field() -> MultiCheckboxField:
    """What the organisation will do: the same question when signing and when managing a pledge."""
    return MultiCheckboxField(
        "What will your organisation do?",
        choices=list(COMMITMENTS.items()),
        validators=[InputRequired("Select at least one thing your organisation will do")],
    )


def _statement_field() -> TextAreaField:
    """The organisation's optional public statement, trimmed and capped."""
    return TextAreaField(
        "Your public statement (optional)",
        filters=[_statement],
        validators=[Length(max=STATEMENT_LENGTH, message=f"Enter a statement of {STATEMENT_LENGTH} characters or fewer")],
    )


class PledgeVisitorForm(VisitorForm):
    """A form visitors send on the pledge's own pages: its CSRF token needs no session (campaign/forms_csrf.py)."""

    class Meta:
        csrf_cookie_path = "/pledge"  # every form here posts under /pledge (never /pledges, the public wall)


class LogoFormMixin:
    """The checked logo, kept on the form once validation has re-encoded it."""

    logo_image: StoredImage | None = None

    def validate_logo(self, field) -> None:
        """Refuse anything that is not a real PNG, JPG or WebP image (SVG included)."""
        self.logo_image = _read_logo(field)


class PledgeForm(LogoFormMixin, PledgeVisitorForm):
    """Everything the pledge needs, and nothing more."""

    # Fields are declared in the order the page shows them: the error summary lists errors in this order.

    organisation_name = StringField(
        "Organisation name",
        filters=[_one_line],
        validators=[
            InputRequired("Enter your organisation's name"),
            Length(max=200, message="Enter an organisation name of 200 characters or fewer"),
        ],
    )
    org_type = RadioField(
        "What type of organisation is it?",
        choices=list(ORG_TYPES.items()),
        validators=[InputRequired("Select the type of organisation")],
    )
    size = RadioField(
        "How many people does it employ?",
        choices=list(ORG_SIZES.items()),
        validators=[InputRequired("Select how many people your organisation employs")],
    )
    sector = SelectField(
        "Sector",
        choices=[("", "Choose a sector")] + list(SECTORS.items()),
        validators=[InputRequired("Choose your organisation's sector")],
    )
    postcode = StringField(
        "Postcode (optional)",
        filters=[_strip],
        validators=[Length(max=10, message="Enter a postcode of 10 characters or fewer, like PR1 2AB")],
    )
    area = SelectField(
        "Where is it based?",
        choices=[("", "Choose where it is based")] + list(areas.AREAS.items()),
        validators=[Optional()],
    )
    website = StringField(
        "Website (optional)",
        filters=[_strip],
        validators=[Length(max=300, message="Enter a website address of 300 characters or fewer")],
    )
    commitments = _commitments_field()
    statement = _statement_field()
    logo = FileField("Your logo (optional)")
    contact_name = StringField(
        "Your full name",
        filters=[_one_line],
        validators=[InputRequired("Enter your full name"), Length(max=120, message="Enter a name of 120 characters or fewer")],
    )
    contact_role = StringField(
        "Your role in the organisation",
        filters=[_one_line],
        validators=[
            InputRequired("Enter your role in the organisation"),
            Length(max=120, message="Enter a role of 120 characters or fewer"),
        ],
    )
    contact_email = EmailField(
        "Your work email address",
        filters=[_strip],
        validators=[
            InputRequired("Enter your email address"),
            Length(max=254, message="Enter an email address of 254 characters or fewer"),
            Email("Enter an email address in the correct format, like name@example.co.uk", check_deliverability=False),
        ],
    )
    consent_listed = BooleanField(
        "We agree to our organisation's pledge and the details listed below being published",
        validators=[InputRequired("Confirm that your organisation's pledge can be listed publicly")],
    )
    welcome_on_x = BooleanField("Yes, welcome us on X (formerly Twitter)")
    privacy = BooleanField(
        "I have read the privacy notice",
        validators=[InputRequired("Confirm that you have read the privacy notice")],
    )
    # A trap for bots: hidden from people (and screen readers), so anything typed here is a bot's.
    homepage = StringField("Leave this field empty")

    resolved_area: str | None = None
    resolved_postcode: str | None = None
    clean_website: str | None = None

    def is_bot(self) -> bool:
        """Whether the hidden field was filled in, as only bots do."""
        return bool((self.homepage.data or "").strip())

    def validate_website(self, field) -> None:
        """Accept "example.co.uk" as https://example.co.uk; refuse anything that is not a web address."""
        try:
            self.clean_website = pledges.clean_website(field.data)
        except common.PledgeError as error:
            raise ValidationError(str(error)) from None

    def validate(self, extra_validators=None) -> bool:
        """Check every field, then work out the area from the postcode when none was chosen."""
        valid = super().validate(extra_validators)
        if self.postcode.errors or self.area.errors:
            return False
        # Optional() lets whitespace through unchecked; it means "not chosen", like an empty value.
        area = self.area.data if self.area.data in areas.AREAS else ""
        answer = areas.resolve_area(area, self.postcode.data)
        if answer.error:
            getattr(self, answer.error_field).errors.append(answer.error)
            return False
        self.resolved_area, self.resolved_postcode = answer.area, answer.postcode
        return valid

    def submission(self) -> pledges.Submission:
        """The checked answers, ready for the pledge service."""
        return pledges.Submission(
            organisation_name=self.organisation_name.data,
            org_type=self.org_type.data,
            size=self.size.data,
            sector=self.sector.data,
            area=self.resolved_area,
            postcode=self.resolved_postcode,
            website=self.clean_website,
            contact_name=self.contact_name.data,
            contact_role=self.contact_role.data,
            contact_email=self.contact_email.data,
            commitments=list(self.commitments.data or []),
            statement=self.statement.data or None,
            consent_listed=bool(self.consent_listed.data),
            welcome_on_x=bool(self.welcome_on_x.data),
            logo=self.logo_image,
        )


class ConfirmForm(PledgeVisitorForm):
    """The one button that confirms a pledge: only this POST confirms, never opening the link."""


class ResendForm(PledgeVisitorForm):
    """Ask for a fresh link by email address."""

    email = EmailField(
        "Email address",
        filters=[_strip],
        validators=[
            InputRequired("Enter the email address you signed the pledge with"),
            Length(max=254, message="Enter an email address of 254 characters or fewer"),
            Email("Enter an email address in the correct format, like name@example.co.uk", check_deliverability=False),
        ],
    )


class ResendLinkForm(PledgeVisitorForm):
    """Ask for a fresh link from an expired or used one."""

    token = HiddenField(validators=[InputRequired(), Length(max=200)])


class ManageForm(LogoFormMixin, PledgeVisitorForm):
    """The organisation's own changes: its statement, logo and commitments."""

    commitments = _commitments_field()
    statement = _statement_field()
    logo = FileField("Upload a new logo (optional)")
    remove_logo = BooleanField("Remove our logo")


class WithdrawForm(PledgeVisitorForm):
    """Withdrawing is final, so it needs a clear yes."""

    confirm = BooleanField(
        "Yes, withdraw our pledge and delete our details",
        validators=[InputRequired("Confirm that you want to withdraw your pledge")],
    )


class WallForm(FlaskForm):
    """Search and filters for the wall, read from the query string."""

    class Meta:
        csrf = False

    q = StringField(
        "Search by organisation name",
        filters=[_one_line],
        validators=[Length(max=100, message="Enter a search of 100 characters or fewer")],
    )
    area = SelectField("Area", choices=[("", "All areas")] + list(areas.AREAS.items()), validators=[Optional()])
    sector = SelectField("Sector", choices=[("", "All sectors")] + list(SECTORS.items()), validators=[Optional()])
    size = SelectField("Size", choices=[("", "All sizes")] + list(ORG_SIZES.items()), validators=[Optional()])
    commitment = SelectField(
        "Commitment", choices=[("", "Any commitment")] + list(COMMITMENTS.items()), validators=[Optional()]
    )
    # The yearly check-in (issue 15): pledges whose organisation reported recently.
    reported = SelectField(
        "Check-in", choices=[("", "Reported or not"), ("12m", "Reported in the last 12 months")], validators=[Optional()]
    )
    sort = SelectField("Sort by", choices=list(SORTS.items()), default="newest", validators=[Optional()])

    def query(self, page: int) -> WallQuery:
        """The checked search, for the wall service."""
        def chosen(field) -> str:
            # Optional() lets whitespace through unchecked; anything not offered means "all".
            return field.data if field.data in {value for value, _ in field.choices} else ""

        return WallQuery(
            q=self.q.data or "",
            area=chosen(self.area),
            sector=chosen(self.sector),
            size=chosen(self.size),
            commitment=chosen(self.commitment),
            reported=chosen(self.reported) == "12m",
            sort=self.sort.data if self.sort.data in SORTS else "newest",
            page=page,
        )
