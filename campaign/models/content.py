"""Campaign content: case studies, quotes and the images they show."""

from __future__ import annotations

import base64
import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.extensions import db
from campaign.models.common import PublicContent, UTCDateTime, utcnow


class StoredImage(PublicContent, db.Model):
    """An uploaded image, verified and re-encoded, kept in the database so every instance can serve it."""

    __tablename__ = "stored_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The image's address (/images/<token>): random, so images that are not public cannot be found by counting.
    token: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: secrets.token_urlsafe(16))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("mime_type IN ('image/png', 'image/jpeg', 'image/webp')", name="mime_type"),
    )

    @property
    def data_uri(self) -> str:
        """The image inline, for showing someone their own upload before it is public."""
        return f"data:{self.mime_type};base64,{base64.b64encode(self.data).decode('ascii')}"


class CaseStudy(PublicContent, db.Model):
    """A story of social value delivered through a contract, written in Markdown."""

    __tablename__ = "case_study"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(600))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    key_figure: Mapped[str | None] = mapped_column(String(40))
    key_figure_label: Mapped[str | None] = mapped_column(String(200))
    source_text: Mapped[str] = mapped_column(String(300), default="")
    source_url: Mapped[str | None] = mapped_column(String(500))
    source_date: Mapped[date | None]
    image_id: Mapped[int | None] = mapped_column(ForeignKey("stored_image.id", ondelete="SET NULL"))
    image_alt: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    image: Mapped[StoredImage | None] = relationship(lazy="joined")
    quotes: Mapped[list[Quote]] = relationship(
        back_populates="case_study", order_by="Quote.position", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        CheckConstraint("image_id IS NULL OR image_alt IS NOT NULL", name="image_has_alt"),
    )

    @property
    def is_published(self) -> bool:
        """Whether the public can read it."""
        return self.status == "published"


class Quote(PublicContent, db.Model):
    """Words someone said about the campaign, shown exactly as the source gives them."""

    __tablename__ = "quote"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    text: Mapped[str] = mapped_column(Text)
    # Only a person the source names is named; otherwise a description ("A supplier").
    attribution: Mapped[str] = mapped_column(String(200))
    attribution_role: Mapped[str | None] = mapped_column(String(200))
    is_supplier: Mapped[bool] = mapped_column(default=False)
    source_text: Mapped[str] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(String(500))
    source_date: Mapped[date | None]
    case_study_id: Mapped[int | None] = mapped_column(ForeignKey("case_study.id", ondelete="SET NULL"))
    published: Mapped[bool] = mapped_column(default=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    case_study: Mapped[CaseStudy | None] = relationship(back_populates="quotes")
