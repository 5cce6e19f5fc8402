"""Staff accounts: creating them, and signing in with lockout after repeated failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import StaffUser
from campaign.models.common import utcnow
from campaign.models.staff import ROLES

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12

# A real hash to check against when no account matches, so a missing account takes as long as a wrong password.
_DUMMY_USER = StaffUser(password_hash="", session_version=0)
_DUMMY_USER.set_password("not-a-real-password-for-timing")


class StaffError(ValueError):
    """A staff account could not be created or changed; the message says why."""


@dataclass(frozen=True)
class SignInResult:
    """The outcome of a sign-in attempt. `user` is set only on success."""

    user: StaffUser | None
    locked: bool = False


def normalise_email(email: str) -> str:
    """Emails compare without case or surrounding spaces."""
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> StaffUser | None:
    """The account with this email, if any."""
    return session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == normalise_email(email)))


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short to be safe."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"Enter a password of at least {MIN_PASSWORD_LENGTH} characters")


def create(session: Session, email: str, name: str, role: str, password: str) -> StaffUser:
    """Add a staff account with a hashed password."""
    email = normalise_email(email)
    if "@" not in email:
        raise StaffError("Enter an email address in the correct format, like name@example.org")
    if role not in ROLES:
        raise StaffError(f"Choose a role: {' or '.join(ROLES)}")
    if not name.strip():
        raise StaffError("Enter the person's name")
    check_password_strength(password)
    if find_by_email(session, email) is not None:
        raise StaffError(f"There is already an account for {email}")
    user = StaffUser(email=email, name=name.strip(), role=role, password_hash="", session_version=0)
    user.set_password(password)
    session.add(user)
    session.commit()
    return user


def set_password(session: Session, user: StaffUser, password: str) -> None:
    """Change a password, lift any lockout and end the account's other sessions."""
    check_password_strength(password)
    user.set_password(password)
    user.failed_sign_ins = 0
    user.first_failed_at = None
    user.locked_until = None
    session.commit()


def is_locked(user: StaffUser, now: datetime) -> bool:
    """Whether the account is paused after too many failed sign-ins."""
    return user.locked_until is not None and user.locked_until > now


def authenticate(session: Session, email: str, password: str, now: datetime | None = None) -> SignInResult:
    """Check a sign-in. Five failures within 15 minutes pause the account for 15 minutes.

    The caller shows the same message for an unknown account, a wrong password and a
    paused account, so the form never reveals which accounts exist.
    """
    now = now or utcnow()
    user = find_by_email(session, email)
    if user is None or not user.active:
        _DUMMY_USER.check_password(password)
        return SignInResult(user=None)
    if is_locked(user, now):
        return SignInResult(user=None, locked=True)
    if user.check_password(password):
        user.failed_sign_ins = 0
        user.first_failed_at = None
        user.locked_until = None
        user.last_sign_in_at = now
        session.commit()
        return SignInResult(user=user)
    if user.first_failed_at is None or now - user.first_failed_at > FAILURE_WINDOW:
        user.first_failed_at = now
        user.failed_sign_ins = 0
    user.failed_sign_ins += 1
    locked = user.failed_sign_ins >= MAX_FAILURES
    if locked:
        user.locked_until = now + LOCKOUT
        user.failed_sign_ins = 0
        user.first_failed_at = None
    session.commit()
    return SignInResult(user=None, locked=locked)


def load_session_user(session: Session, session_id: str) -> StaffUser | None:
    """The signed-in user for a session id ("id:version"), if the account and version still match."""
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = session.get(StaffUser, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user
