"""Headline figures and the yearly spend they can be computed from."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import db
from campaign.formatting import year_label
from campaign.models.common import PublicContent, UTCDateTime, utcnow

UNITS = ("pounds", "percent", "count")


class HeadlineFigure(PublicContent, db.Model):
    """A number the campaign shows, with where it comes from and when it was true.

    `value` is a whole number in the unit's smallest step: pence for pounds,
    hundredths of a per cent for percent, and plain counts for count.
    """

    __tablename__ = "headline_figure"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="manual")
    unit: Mapped[str] = mapped_column(String(16))
    value: Mapped[int | None] = mapped_column(BigInteger)
    qualifier: Mapped[str] = mapped_column(String(20), default="")
    computation: Mapped[str | None] = mapped_column(String(40))
    computation_param: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(120))
    source_text: Mapped[str] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(String(500))
    # The day the source published the figure, which is not always the day it was true (as_of).
    published_on: Mapped[date | None]
    as_of: Mapped[date | None]
    position: Mapped[int] = mapped_column(Integer, default=0, index=True)
    published: Mapped[bool] = mapped_column(default=False, index=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("unit IN ('pounds', 'percent', 'count')", name="unit"),
        CheckConstraint("kind IN ('manual', 'computed')", name="kind"),
        CheckConstraint(
            "(kind = 'manual' AND value IS NOT NULL) OR (kind = 'computed' AND computation IS NOT NULL)",
            name="value_or_computation",
        ),
        CheckConstraint("qualifier IN ('', 'about', 'around', 'approximately', 'over', 'more than')", name="qualifier"),
    )


class FinancialYear(PublicContent, db.Model):
    """Supplier spend for one financial year (April to March), in whole pence.

    Any amount the sources do not give stays empty rather than being guessed.
    """

    __tablename__ = "financial_year"

    id: Mapped[int] = mapped_column(primary_key=True)
    start_year: Mapped[int] = mapped_column(Integer, unique=True)
    total_spend_pence: Mapped[int | None] = mapped_column(BigInteger)
    lancashire_spend_pence: Mapped[int | None] = mapped_column(BigInteger)
    north_west_spend_pence: Mapped[int | None] = mapped_column(BigInteger)
    sme_spend_pence: Mapped[int | None] = mapped_column(BigInteger)
    vcse_spend_pence: Mapped[int | None] = mapped_column(BigInteger)
    is_approximate: Mapped[bool] = mapped_column(default=False)
    source_text: Mapped[str] = mapped_column(String(300), default="")
    source_url: Mapped[str | None] = mapped_column(String(500))
    published_on: Mapped[date | None]  # the day the source published these amounts, if it says
    notes: Mapped[str] = mapped_column(Text, default="")
    # True when the amounts were worked out from imported transactions, so a later import may update them;
    # amounts staff typed in from a document are never overwritten by imports.
    computed_from_spend: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("start_year BETWEEN 2000 AND 2100", name="start_year"),
        CheckConstraint("total_spend_pence IS NULL OR total_spend_pence >= 0", name="total_positive"),
        CheckConstraint(
            "lancashire_spend_pence IS NULL OR total_spend_pence IS NULL"
            " OR lancashire_spend_pence <= total_spend_pence",
            name="lancashire_within_total",
        ),
    )

    @property
    def label(self) -> str:
        """The year as people write it, for example 2017/18."""
        return year_label(self.start_year)
