"""Suppliers, their payments from transparency files, and the contracts register."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.extensions import db
from campaign.formatting import year_label
from campaign.models.common import PublicContent, UTCDateTime, utcnow

LOCATIONS = ("lancashire", "north_west", "elsewhere", "unknown")
IMPORT_STATUSES = ("draft", "approved", "replaced")
# Why spend is left out of scope: what procurement cannot influence (the CLES method).
SCOPE_REASONS = {
    "public_body": "Payments to another public body",
    "precept_levy": "Precepts and levies",
    "pension": "Pensions",
    "tax": "Tax",
    "grant": "Grants",
    "rates": "Business rates",
    "private_individual": "Payments to private individuals",
}


class PublishingBody(db.Model):
    """Whose payments a spend file holds; only the campaign's own body counts toward its figures."""

    __tablename__ = "publishing_body"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_own: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Supplier(PublicContent, db.Model):
    """An organisation the force or the OPCC pays, with where it is based."""

    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), unique=True)
    postcode: Mapped[str | None] = mapped_column(String(10))
    companies_house_number: Mapped[str | None] = mapped_column(String(8), index=True)
    is_sme: Mapped[bool] = mapped_column(default=False)
    is_vcse: Mapped[bool] = mapped_column(default=False)
    # Councils, the NHS and other public bodies: spend with them is not private-sector supply.
    is_public_body: Mapped[bool] = mapped_column(default=False, server_default=false())
    location: Mapped[str] = mapped_column(String(16), default="unknown", index=True)
    council_area: Mapped[str | None] = mapped_column(String(40))
    needs_confirmation: Mapped[bool] = mapped_column(default=False, index=True)
    location_overridden: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("location IN ('lancashire', 'north_west', 'elsewhere', 'unknown')", name="location"),
    )


class SupplierAlias(db.Model):
    """Another name a supplier appears under in spend files, matched to the register by staff."""

    __tablename__ = "supplier_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    supplier: Mapped[Supplier] = relationship()


class ImportMapping(db.Model):
    """Which column holds which field, remembered for files with the same headers."""

    __tablename__ = "import_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    header_signature: Mapped[str] = mapped_column(String(64), unique=True)
    headers: Mapped[list] = mapped_column(JSON)
    mapping: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SpendImport(db.Model):
    """One transparency file imported, identified by its hash so it is never added twice."""

    __tablename__ = "spend_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    header_signature: Mapped[str] = mapped_column(String(64))
    mapping: Mapped[dict] = mapped_column(JSON)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    # Rows new to the database; the rest of row_count were already there from an overlapping file.
    added_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    total_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body_id: Mapped[int] = mapped_column(ForeignKey("publishing_body.id"), index=True)
    # A draft counts toward nothing until a publisher approves it; "replaced" is an earlier file a correction took over.
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    # The approved import this file corrects, and what it changes there (counts and the rows it takes out).
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("spend_import.id", ondelete="SET NULL"))
    changes: Mapped[dict | None] = mapped_column(JSON)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(default=False)

    body: Mapped[PublishingBody] = relationship()

    __table_args__ = (CheckConstraint("status IN ('draft', 'approved', 'replaced')", name="status"),)


class StagedUpload(db.Model):
    """A spend file between upload and import, kept in the database so any app instance can finish it."""

    __tablename__ = "staged_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    mapping: Mapped[dict | None] = mapped_column(JSON)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SpendTransaction(PublicContent, db.Model):
    """One payment to a supplier, in whole pence (credit notes are negative)."""

    __tablename__ = "spend_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("spend_import.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id", ondelete="SET NULL"))
    supplier_name: Mapped[str] = mapped_column(String(300))
    supplier_key: Mapped[str] = mapped_column(String(300), index=True)
    paid_on: Mapped[date]
    financial_year: Mapped[int] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(100))
    # The reference, or a fingerprint of the row when there is none: unique, so re-imports add nothing.
    row_key: Mapped[str] = mapped_column(String(200), unique=True)
    redacted: Mapped[bool] = mapped_column(default=False)
    # The body's own expenditure category, as published ("Vehicle Purchase"), when the file has one.
    category: Mapped[str | None] = mapped_column(String(200))

    supplier: Mapped[Supplier | None] = relationship()

    __table_args__ = (
        Index("ix_spend_transaction_year_supplier", "financial_year", "supplier_id"),
        Index("ix_spend_transaction_supplier_id", "supplier_id"),
        # Covers the yearly breakdowns (by month, region, supplier, SME and year on year), so they read
        # the index alone rather than every payment's row. import_id is in it because every breakdown
        # keeps only counted imports: without it each payment's row had to be read to check its import.
        Index("ix_spend_transaction_year_covering", "financial_year", "supplier_id", "redacted", "paid_on",
              "amount_pence", "import_id"),
    )


class ScopeRule(db.Model):
    """Staff's decision that a category of spend, or a payee, is outside what procurement can influence."""

    __tablename__ = "scope_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "category" or "supplier"
    value: Mapped[str] = mapped_column(String(300))
    # Lower-cased category, or the normalised payee name: what the payments are matched on.
    value_key: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("kind", "value_key", name="uq_scope_rule_kind_value"),
        CheckConstraint("kind IN ('category', 'supplier')", name="kind"),
        CheckConstraint(
            "reason IN ('public_body', 'precept_levy', 'pension', 'tax', 'grant', 'rates', 'private_individual')",
            name="reason",
        ),
    )


class LocalShares:
    """Coverage and the local shares, worked out from a year's in-scope, classified and local pence.

    Shared by the stored figures (ComputedYear) and the figures as the payments give them now
    (services/spend/coverage.YearFigures), so both say the same thing the same way. The class using it
    has `in_scope_pence`, `classified_pence`, `lancashire_pence` and `north_west_pence`.
    """

    @property
    def coverage_bp(self) -> int | None:
        """In-scope spend with a classified supplier, as hundredths of a per cent of in-scope spend."""
        return share_bp(self.classified_pence, self.in_scope_pence)

    @property
    def lancashire_share_bp(self) -> int | None:
        """Lancashire's share of in-scope spend with classified suppliers."""
        return share_bp(self.lancashire_pence, self.classified_pence)

    @property
    def north_west_share_bp(self) -> int | None:
        """The North West's share (Lancashire included) of in-scope spend with classified suppliers."""
        return share_bp(self.north_west_pence, self.classified_pence)


class ComputedYear(LocalShares, PublicContent, db.Model):
    """One financial year's figures worked out by the CLES method, as a draft or as a publisher approved them.

    Money in whole pence. The amounts by location, SME and VCSE are in-scope spend with classified suppliers.
    """

    __tablename__ = "computed_year"

    id: Mapped[int] = mapped_column(primary_key=True)
    start_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    payments: Mapped[int] = mapped_column(Integer, default=0)
    first_paid_on: Mapped[date | None]
    last_paid_on: Mapped[date | None]
    last_imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    out_of_scope: Mapped[dict] = mapped_column(JSON, default=dict)  # reason -> pence
    in_scope_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    classified_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    lancashire_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    north_west_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    sme_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    vcse_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    # The minimum coverage in force when approved, in hundredths of a per cent.
    minimum_coverage_bp: Mapped[int] = mapped_column(Integer, default=8000)
    # On a draft: the staff changes that moved it since the year was last approved, oldest first
    # ({"at", "by", "what"}), so the review page says why the figures differ. Cleared on approval.
    changes: Mapped[list | None] = mapped_column(JSON)
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_demo: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        UniqueConstraint("start_year", "status", name="uq_computed_year_status"),
        CheckConstraint("status IN ('draft', 'approved')", name="status"),
    )

    def makes_public_stale(self) -> bool:
        """Only approved figures show on public pages."""
        return self.status == "approved"

    @property
    def label(self) -> str:
        """The year as people write it, for example 2023/24."""
        return year_label(self.start_year)

    @property
    def shares_shown(self) -> bool:
        """Whether coverage reaches the minimum these figures were approved under, so the shares show."""
        return shares_publishable(self.coverage_bp, self.minimum_coverage_bp)


def shares_publishable(coverage_bp: int | None, minimum_bp: int) -> bool:
    """The one rule for publishing a local share: its coverage reaches the minimum coverage.

    The public page (under the minimum a year was approved with), the review page and approval (under
    the minimum set now) all ask this, so they cannot disagree.
    """
    return coverage_bp is not None and coverage_bp >= minimum_bp


def share_bp(part: int, whole: int) -> int | None:
    """`part` as hundredths of a per cent of `whole`, rounded half up in integers; None without a whole."""
    if whole <= 0:
        return None
    return (part * 10_000 * 2 + whole) // (whole * 2)


class Contract(PublicContent, db.Model):
    """A contract in the register, with the social value it committed to and delivered."""

    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id", ondelete="SET NULL"), index=True)
    category: Mapped[str] = mapped_column(String(100), default="")
    awarded_on: Mapped[date | None]
    value_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    term_months: Mapped[int | None] = mapped_column(Integer)
    # Share of the quality score given to social value, in hundredths of a per cent (250 = 2.5%).
    social_value_weighting_bp: Mapped[int | None] = mapped_column(Integer)
    living_wage_committed: Mapped[bool] = mapped_column(default=False)
    living_wage_delivered: Mapped[bool] = mapped_column(default=False)
    local_jobs_committed: Mapped[int] = mapped_column(Integer, default=0)
    local_jobs_delivered: Mapped[int] = mapped_column(Integer, default=0)
    apprenticeships_committed: Mapped[int] = mapped_column(Integer, default=0)
    apprenticeships_delivered: Mapped[int] = mapped_column(Integer, default=0)
    local_spend_committed_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    local_spend_delivered_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    environment_committed: Mapped[str] = mapped_column(Text, default="")
    environment_delivered: Mapped[str] = mapped_column(Text, default="")
    volunteering_hours_committed: Mapped[int] = mapped_column(Integer, default=0)
    volunteering_hours_delivered: Mapped[int] = mapped_column(Integer, default=0)
    case_study_id: Mapped[int | None] = mapped_column(ForeignKey("case_study.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    supplier: Mapped[Supplier | None] = relationship()

    __table_args__ = (
        CheckConstraint("value_pence >= 0", name="value_positive"),
        CheckConstraint(
            "social_value_weighting_bp IS NULL OR social_value_weighting_bp BETWEEN 0 AND 10000",
            name="weighting_range",
        ),
    )

    @property
    def below_policy_minimum(self) -> bool:
        """Whether social value weighed less than the policy's 2.5% minimum."""
        return self.social_value_weighting_bp is not None and self.social_value_weighting_bp < 250
