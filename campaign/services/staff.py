"""Staff accounts: creating them, signing in (with pauses per address after repeated failures), signing out."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app, has_app_context
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from campaign.models import StaffSignInSource, StaffUser
from campaign.models.common import utcnow
from campaign.models.staff import DEFAULT_HASH_METHOD, ROLES
from campaign.services import audit, mailer
from campaign.services.urls import absolute_url
from campaign.services.validation import rolls_back_on_error

# What the audit log may keep about an account: never the password hash.
AUDITED_FIELDS = ["email", "name", "role", "active"]

MAX_FAILURES = 5  # from one address, within FAILURE_WINDOW, pause that address for LOCKOUT
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
ACCOUNT_SLOWDOWN_FAILURES = 10  # from all addresses together: slow down new addresses and tell the owner
ACCOUNT_COOL_OFF = timedelta(minutes=1)  # a new address's wait, doubling with every 10 more failures
MIN_PASSWORD_LENGTH = 12


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
    _lift_pauses(session, user)
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


def _lift_pauses(session: Session, user: StaffUser) -> None:
    """Forget the account's failed sign-ins, from every address."""
    user.failed_sign_ins = 0
    user.first_failed_at = None
    user.locked_until = None
    session.execute(
        delete(StaffSignInSource).where(
            StaffSignInSource.staff_user_id == user.id, StaffSignInSource.signed_in_at.is_(None)
        )
    )
    session.execute(
        StaffSignInSource.__table__.update()
        .where(StaffSignInSource.staff_user_id == user.id)
        .values(failures=0, first_failed_at=None, paused_until=None)
    )


@rolls_back_on_error
def unlock(session: Session, user: StaffUser, actor: StaffUser | None) -> None:
    """Lift a sign-in pause early, for someone whose identity staff have checked."""
    _lift_pauses(session, user)
    audit.record(session, actor, "unlock", "staff", user.id, f"Lifted the sign-in pause on {user.email}")
    session.commit()


def is_locked(user: StaffUser, now: datetime) -> bool:
    """Whether new addresses are slowed down on this account after many failed sign-ins."""
    return user.locked_until is not None and user.locked_until > now


def source_key(address: str | None) -> str:
    """Where an attempt came from: an IPv4 address, or the /64 network of an IPv6 one ("" if unknown)."""
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _source(session: Session, user: StaffUser, source: str) -> StaffSignInSource:
    """The record of this account's attempts from this address, created on first use."""
    record = session.scalar(
        select(StaffSignInSource).where(StaffSignInSource.staff_user_id == user.id, StaffSignInSource.source == source)
    )
    if record is None:
        record = StaffSignInSource(staff_user_id=user.id, source=source, failures=0)
        session.add(record)
    return record


def is_known_source(session: Session, email: str, address: str | None) -> bool:
    """Whether the account has been signed in to from this address before (such places are never slowed)."""
    user = find_by_email(session, email)
    if user is None:
        return False
    return session.scalar(
        select(StaffSignInSource.id).where(
            StaffSignInSource.staff_user_id == user.id,
            StaffSignInSource.source == source_key(address),
            StaffSignInSource.signed_in_at.is_not(None),
        )
    ) is not None


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """A real hash, made the same way as staff passwords, to check when there is no account to check."""
    return generate_password_hash("not-a-real-password-for-timing", method=method)


def _check(user: StaffUser | None, password: str) -> bool:
    """The same hash work for every attempt: a real account, a missing one, a disabled or paused one."""
    if user is None or not user.active:
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else DEFAULT_HASH_METHOD
        check_password_hash(_dummy_hash(method), password)
        return False
    return user.check_password(password)


def _count_failure(session: Session, user: StaffUser, record: StaffSignInSource, now: datetime) -> bool:
    """Count a failure against the address and the account; True if the address is now paused."""
    if record.first_failed_at is None or now - record.first_failed_at > FAILURE_WINDOW:
        record.first_failed_at, record.failures = now, 0
    record.failures += 1
    paused = record.failures >= MAX_FAILURES
    if paused:
        record.paused_until, record.failures, record.first_failed_at = now + LOCKOUT, 0, None
    if user.first_failed_at is None or now - user.first_failed_at > FAILURE_WINDOW:
        user.first_failed_at, user.failed_sign_ins = now, 0
    user.failed_sign_ins += 1
    beyond = user.failed_sign_ins - ACCOUNT_SLOWDOWN_FAILURES
    if beyond >= 0:
        # New addresses wait a little before each try, longer the more they fail: a slow-down, never a lock.
        user.locked_until = now + min(LOCKOUT, ACCOUNT_COOL_OFF * 2 ** (beyond // ACCOUNT_SLOWDOWN_FAILURES))
        if beyond == 0:
            _warn_owner(session, user)
    return paused


def _warn_owner(session: Session, user: StaffUser) -> None:
    """Email the account's owner (through the outbox) that someone is guessing their password."""
    mailer.queue(
        session, "staff_sign_in_slowed", user.email, "Failed sign-ins to your Backing Lancashire staff account",
        dedupe_key=f"staff:{user.id}:slowed:{secrets.token_hex(8)}",
        user=user, failures=ACCOUNT_SLOWDOWN_FAILURES, window_minutes=int(FAILURE_WINDOW.total_seconds() // 60),
        sign_in_url=absolute_url("auth.sign_in"),
    )


def authenticate(
    session: Session, email: str, password: str, now: datetime | None = None, address: str | None = None
) -> SignInResult:
    """Check a sign-in from `address`. Five failures from one address within 15 minutes pause that address.

    Many failures on an account from anywhere slow down addresses it has never signed in from,
    and email its owner; places the owner has signed in from carry on as normal. Every attempt
    does the same password-hash work, and the caller shows the same message for an unknown
    account, a wrong password and a paused address, so the form reveals nothing.
    """
    now = now or utcnow()
    user = find_by_email(session, email)
    correct = _check(user, password)
    if user is None or not user.active:
        return SignInResult(user=None)
    record = _source(session, user, source_key(address))
    held = (record.paused_until is not None and record.paused_until > now) or (
        record.signed_in_at is None and is_locked(user, now)
    )
    if held:
        session.commit()
        return SignInResult(user=None, locked=True)
    if correct:
        record.failures, record.first_failed_at, record.paused_until, record.signed_in_at = 0, None, None, now
        user.failed_sign_ins, user.first_failed_at, user.locked_until = 0, None, None
        user.last_sign_in_at = now
        session.commit()
        return SignInResult(user=user)
    locked = _count_failure(session, user, record, now)
    session.commit()
    return SignInResult(user=None, locked=locked)


def end_session(session: Session, user: StaffUser) -> None:
    """Sign out: the session's identity stops working on the server, wherever a copy of the cookie is."""
    user.session_version = (user.session_version or 0) + 1
    session.commit()


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
