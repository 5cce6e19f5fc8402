"""Organisations' pledges to back Lancashire, and the one-time links that confirm them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, inspect, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.extensions import db
from campaign.models.common import PublicContent, UTCDateTime, utcnow
from campaign.models.content import StoredImage

ORG_TYPES = {
    "business": "Business",
    "charity": "Charity or VCSE",
    "public": "Public body",
    "other": "Other",
}
ORG_SIZES = {
    "micro": "Micro (fewer than 10 people)",
    "small": "Small (10 to 49 people)",
    "medium": "Medium (50 to 249 people)",
    "large": "Large (250 people or more)",
}
COMMITMENTS = {
    "local_suppliers": "Buy from Lancashire suppliers where we can",
    "living_wage": "Pay the real Living Wage",
    "local_jobs": "Create local jobs and apprenticeships",
    "environment": "Reduce our environmental impact",
    "vcse": "Support the voluntary and community sector",
}
SECTORS = {
    "agriculture": "Agriculture, forestry and fishing",
    "manufacturing": "Manufacturing and engineering",
    "construction": "Construction",
    "energy": "Energy, water and waste",
    "retail": "Retail and wholesale",
    "transport": "Transport and logistics",
    "hospitality": "Hospitality, food and tourism",
    "digital": "Digital, media and communications",
    "finance": "Finance and insurance",
    "property": "Property",
    "professional": "Professional and business services",
    "facilities": "Facilities, cleaning and security",
    "education": "Education and training",
    "health": "Health and social care",
    "arts": "Arts, culture, sport and leisure",
    "community": "Community and voluntary services",
    "public": "Public administration and emergency services",
    "other": "Another sector",
}
STATUSES = ("pending", "confirmed", "live", "hidden", "withdrawn")


class Pledge(PublicContent, db.Model):
    """One organisation's pledge. Contact details are private and erased on withdrawal."""

    __tablename__ = "pledge"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(140), unique=True)
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    name_key: Mapped[str | None] = mapped_column(String(200))
    org_type: Mapped[str] = mapped_column(String(16))
    size: Mapped[str] = mapped_column(String(16))
    sector: Mapped[str] = mapped_column(String(40), index=True)
    area: Mapped[str] = mapped_column(String(40), index=True)
    postcode: Mapped[str | None] = mapped_column(String(10))
    website: Mapped[str | None] = mapped_column(String(300))

    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_role: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(String(254), unique=True)

    commit_local_suppliers: Mapped[bool] = mapped_column(default=False)
    commit_living_wage: Mapped[bool] = mapped_column(default=False)
    commit_local_jobs: Mapped[bool] = mapped_column(default=False)
    commit_environment: Mapped[bool] = mapped_column(default=False)
    commit_vcse: Mapped[bool] = mapped_column(default=False)

    statement: Mapped[str | None] = mapped_column(Text)
    logo_id: Mapped[int | None] = mapped_column(ForeignKey("stored_image.id", ondelete="SET NULL"))
    consent_listed: Mapped[bool] = mapped_column(default=False)
    welcome_on_x: Mapped[bool] = mapped_column(default=False)

    status: Mapped[str] = mapped_column(String(16), default="pending")
    needs_review: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(300))
    # Bumped to invalidate every manage link sent before.
    manage_version: Mapped[int] = mapped_column(Integer, default=1)
    is_demo: Mapped[bool] = mapped_column(default=False)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    logo: Mapped[StoredImage | None] = relationship(lazy="joined")

    __table_args__ = (
        # One signed pledge per organisation name and postcode. Unconfirmed ones do not count, so a
        # stranger's unconfirmed pledge cannot block the real organisation: the first to confirm wins.
        Index(
            "uq_pledge_signed_name_postcode", "name_key", "postcode", unique=True,
            postgresql_where=text("status <> 'pending'"), sqlite_where=text("status <> 'pending'"),
        ),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint("statement IS NULL OR length(statement) <= 500", name="statement_length"),
        # The wall: live pledges newest first, and filtered by area or sector.
        Index("ix_pledge_status_live_at", "status", "live_at"),
        Index("ix_pledge_status_name_key", "status", "name_key"),
        Index("ix_pledge_created_at", "created_at"),
        # Numbering a new page name ("acme-ltd-2") looks up slug LIKE 'acme-ltd-%': PostgreSQL needs
        # pattern ops for an index to serve that under any collation (elsewhere it is a plain index).
        Index("ix_pledge_slug_prefix", "slug", postgresql_ops={"slug": "varchar_pattern_ops"}),
    )

    @property
    def commitments(self) -> list[str]:
        """The keys of the commitments this organisation made, in the pledge's order."""
        return [key for key in COMMITMENTS if getattr(self, f"commit_{key}")]

    @property
    def logo_token(self) -> str | None:
        """The token in the logo's address, if the pledge has a logo."""
        return self.logo.token if self.logo is not None else None

    @property
    def is_live(self) -> bool:
        """Whether the pledge shows on the public wall."""
        return self.status == "live"

    def makes_public_stale(self) -> bool:
        """Only a pledge that is or was live in this transaction changes public pages; pending sign-ups do not."""
        added, unchanged, deleted = inspect(self).attrs.status.history
        return self.status == "live" or "live" in {*(added or ()), *(unchanged or ()), *(deleted or ())}


class PledgeToken(db.Model):
    """A single-use emailed link, stored only as a hash of its secret."""

    __tablename__ = "pledge_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16), default="confirm")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pledge: Mapped[Pledge] = relationship()
