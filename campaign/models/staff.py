"""Staff accounts for the admin area."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from campaign.extensions import db
from campaign.models.common import UTCDateTime, utcnow

# Editors prepare; publishers also approve imports and figures for the public; admins also manage staff.
ROLES = ("admin", "publisher", "editor")
DEFAULT_HASH_METHOD = "scrypt"


class StaffUser(UserMixin, db.Model):
    """A member of OPCC staff who can sign in to the admin area."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default="editor")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Failures from every address together: past a threshold, new addresses are slowed (never a lock).
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the session's identity, so changing a password signs out every other session.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("role IN ('admin', 'publisher', 'editor')", name="role"),)

    def set_password(self, password: str) -> None:
        """Hash and store a new password (scrypt unless PASSWORD_HASH_METHOD says otherwise), ending other sessions."""
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else DEFAULT_HASH_METHOD
        self.password_hash = generate_password_hash(password, method=method)
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        """Whether the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """The session identity: id and version, so old sessions stop working after a reset."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Disabled accounts cannot sign in."""
        return self.active

    @property
    def is_admin(self) -> bool:
        """Admins also manage staff and read the audit log."""
        return self.role == "admin"

    @property
    def can_publish(self) -> bool:
        """Publishers and admins approve imports and figures and put them on public pages."""
        return self.role in ("admin", "publisher")

class StaffSignInSource(db.Model):
    """Sign-in attempts on one account from one address: its failures, its pause, and whether it has signed in."""

    __tablename__ = "staff_sign_in_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    # An IPv4 address, or the /64 network of an IPv6 one (one household or office).
    source: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("staff_user_id", "source", name="uq_staff_sign_in_source"),)
