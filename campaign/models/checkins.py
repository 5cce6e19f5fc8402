"""The yearly check-in: each live pledge's invitation, and what the organisation reports back."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.extensions import db
from campaign.models.common import PublicContent, UTCDateTime, utcnow
from campaign.models.pledges import Pledge

REPORT_STATUSES = ("draft", "submitted", "approved", "hidden")
SUMMARY_LENGTH = 200
COUNT_FIELDS = ("jobs_created", "apprenticeships_created", "volunteering_hours")


class CheckIn(db.Model):
    """One year's invitation to a pledge: sent once on the anniversary, reminded at most once."""

    __tablename__ = "check_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)  # the anniversary's year
    due_on: Mapped[date] = mapped_column(Date)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pledge: Mapped[Pledge] = relationship()

    # The unique pair is what makes a second invitation for the same year impossible, however the job runs.
    __table_args__ = (UniqueConstraint("pledge_id", "year", name="uq_check_in_pledge_year"),)


class PledgeReport(PublicContent, db.Model):
    """What an organisation says it did in a year; public only once staff approve it."""

    __tablename__ = "pledge_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(300))

    local_share_bp: Mapped[int | None] = mapped_column(Integer)  # hundredths of a per cent: 10000 is 100%
    local_spend_pence: Mapped[int | None] = mapped_column(BigInteger)
    pays_real_living_wage: Mapped[bool | None] = mapped_column()
    living_wage_accredited: Mapped[bool | None] = mapped_column()
    jobs_created: Mapped[int | None] = mapped_column(Integer)
    apprenticeships_created: Mapped[int | None] = mapped_column(Integer)
    volunteering_hours: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(String(SUMMARY_LENGTH))

    pledge: Mapped[Pledge] = relationship()

    __table_args__ = (
        UniqueConstraint("pledge_id", "year", name="uq_pledge_report_pledge_year"),
        CheckConstraint(f"status IN {REPORT_STATUSES!r}", name="report_status"),
        CheckConstraint("local_share_bp IS NULL OR (local_share_bp >= 0 AND local_share_bp <= 10000)", name="local_share"),
        CheckConstraint("local_spend_pence IS NULL OR local_spend_pence >= 0", name="local_spend"),
        *[CheckConstraint(f"{name} IS NULL OR {name} >= 0", name=name) for name in COUNT_FIELDS],
        CheckConstraint(f"summary IS NULL OR length(summary) <= {SUMMARY_LENGTH}", name="summary_length"),
        Index("ix_pledge_report_status", "status", "pledge_id"),
    )

    def makes_public_stale(self) -> bool:
        """Only approved reports (or ones that were) show on public pages; a new submission does not."""
        added, unchanged, deleted = inspect(self).attrs.status.history
        return "approved" in {self.status, *(added or ()), *(unchanged or ()), *(deleted or ())}
