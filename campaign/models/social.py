"""Posts for the campaign's X account, and #BackingLancashire posts staff approve for the wall."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import db
from campaign.models.common import PublicContent, UTCDateTime, utcnow


class SocialPost(db.Model):
    """A post the campaign account may make, drafted for staff to edit, approve, skip or schedule."""

    __tablename__ = "social_post"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledge.id", ondelete="SET NULL"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id", ondelete="SET NULL"))
    x_post_id: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'approved', 'scheduled', 'skipped', 'sent', 'failed')", name="status"
        ),
    )


class HashtagPost(PublicContent, db.Model):
    """A public #BackingLancashire post fetched from X, shown only once staff approve it."""

    __tablename__ = "hashtag_post"

    id: Mapped[int] = mapped_column(primary_key=True)
    x_id: Mapped[str] = mapped_column(String(40), unique=True)
    author_username: Mapped[str] = mapped_column(String(50))
    author_name: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    url: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),)


class SiteState(db.Model):
    """Small named values the site remembers between runs, such as where a fetch stopped."""

    __tablename__ = "site_state"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
