"""Staff accounts: creating them, and signing in with lockout after repeated failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import StaffUser
from campaign.models.common import utcnow
from campaign.models.staff import ROLES
from campaign.services import audit
from campaign.services.validation import rolls_back_on_error

# What the audit log may keep about an account: never the password hash.
AUDITED_FIELDS = ["email", "name", "role", "active"]

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
    if "\x00" in email:
        return None  # no stored address has one, and PostgreSQL refuses to compare text containing NUL
    return session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == normalise_email(email)))


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short to be safe."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"Enter a password of at least {MIN_PASSWORD_LENGTH} characters")


@rolls_back_on_error
def create(
    session: Session, email: str, name: str, role: str, password: str, actor: StaffUser | None = None
) -> StaffUser:
    """Add a staff account with a hashed password; `actor` is who added it (None for the command line)."""
    email = normalise_email(email)
    if "@" not in email:
        raise StaffError("Enter an email address in the correct format, like name@example.org")
    if role not in ROLES:
        raise StaffError("Choose a role: " + ", ".join(ROLES[:-1]) + " or " + ROLES[-1])
    if not name.strip():
        raise StaffError("Enter the person's name")
    check_password_strength(password)
    if find_by_email(session, email) is not None:
        raise StaffError(f"There is already an account for {email}")
    if len(name.strip()) > 120:
        raise StaffError("Enter a name of 120 characters or fewer")
    if len(email) > 254:
        raise StaffError("Enter an email address of 254 characters or fewer")
    user = StaffUser(email=email, name=name.strip(), role=role, password_hash="", session_version=0)
    user.set_password(password)
    session.add(user)
    session.flush()
    audit.record(
        session, actor, "create", "staff", user.id, f"Added {role} account for {email}",
        after=audit.snapshot(user, AUDITED_FIELDS),
    )
    session.commit()
    return user


@rolls_back_on_error
def set_password(session: Session, user: StaffUser, password: str, actor: StaffUser | None = None) -> None:
    """Change a password, lift any lockout and end the account's other sessions."""
    check_password_strength(password)
    user.set_password(password)
    user.failed_sign_ins = 0
    user.first_failed_at = None
    user.locked_until = None
    audit.record(session, actor, "set_password", "staff", user.id, f"Set a new password for {user.email}")
    session.commit()


def all_staff(session: Session) -> list[StaffUser]:
    """Every staff account, active ones first, then by name."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name)))


def _active_admins(session: Session) -> int:
    """How many accounts can still manage staff."""
    return session.scalar(
        select(func.count(StaffUser.id)).where(StaffUser.role == "admin", StaffUser.active.is_(True))
    ) or 0


@rolls_back_on_error
def update(session: Session, user: StaffUser, name: str, role: str, actor: StaffUser | None) -> None:
    """Change a person's name or role; the last active admin cannot stop being one."""
    if role not in ROLES:
        raise StaffError("Choose a role: " + ", ".join(ROLES[:-1]) + " or " + ROLES[-1])
    if not name.strip():
        raise StaffError("Enter the person's name")
    if user.role == "admin" and role != "admin" and user.active and _active_admins(session) <= 1:
        raise StaffError("Make someone else an admin before changing this account: the site needs at least one")
    before = audit.snapshot(user, AUDITED_FIELDS)
    user.name = name.strip()
    if role != user.role:
        # A role change takes effect at once: end sessions that were started with the old role.
        user.session_version = (user.session_version or 0) + 1
    user.role = role
    audit.record(
        session, actor, "update", "staff", user.id, f"Changed account for {user.email}",
        before=before, after=audit.snapshot(user, AUDITED_FIELDS),
    )
    session.commit()


@rolls_back_on_error
def set_active(session: Session, user: StaffUser, active: bool, actor: StaffUser | None) -> None:
    """Disable an account (ending its sessions) or enable it again."""
    if not active:
        if actor is not None and actor.id == user.id:
            raise StaffError("You cannot disable your own account")
        if user.role == "admin" and user.active and _active_admins(session) <= 1:
            raise StaffError("Make someone else an admin before disabling this account: the site needs at least one")
    if user.active == active:
        return
    before = audit.snapshot(user, AUDITED_FIELDS)
    user.active = active
    if not active:
        user.session_version = (user.session_version or 0) + 1
    audit.record(
        session, actor, "enable" if active else "disable", "staff", user.id,
        f"{'Enabled' if active else 'Disabled'} account for {user.email}",
        before=before, after=audit.snapshot(user, AUDITED_FIELDS),
    )
    session.commit()


@rolls_back_on_error
def unlock(session: Session, user: StaffUser, actor: StaffUser | None) -> None:
    """Lift a sign-in pause early, for someone whose identity staff have checked."""
    user.failed_sign_ins = 0
    user.first_failed_at = None
    user.locked_until = None
    audit.record(session, actor, "unlock", "staff", user.id, f"Lifted the sign-in pause on {user.email}")
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
