"""Inviting each live pledge to check in once a year, on the anniversary of going live, with one reminder.

The unique (pledge, year) row in `check_in` is written in the same transaction as the email, so
however often (or however many times at once) the daily job runs, a year's invitation goes once.
A check-in link is single-use and stored only as a hash (services/pledges/tokens.py); the link to
stop these emails is signed instead, so it keeps working for as long as the emails do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from campaign.models import CheckIn, OutboxMessage, Pledge, PledgeReport, PledgeToken, StaffUser
from campaign.services import audit, mailer
from campaign.services.pledges import tokens
from campaign.services.urls import absolute_url

PURPOSE = "checkin"
LINK_DAYS = 60  # a check-in link outlives the reminder at 30 days
REMINDER_AFTER = timedelta(days=30)
STOP_SALT = "checkin-stop"
SUBJECT = "Your Backing Lancashire check-in for {year}"
REMINDER_SUBJECT = "Reminder: your Backing Lancashire check-in for {year}"
FRESH_LINKS_PER_DAY = 3


@dataclass
class RunSummary:
    """What one run of the daily job did."""

    invited: int = 0
    reminded: int = 0


def anniversary(live_at: datetime, year: int) -> date:
    """The day in `year` a pledge went live; 29 February falls on the 28th in other years."""
    day = live_at.date()
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def current_year(live_at: datetime, today: date) -> int | None:
    """The year of the latest anniversary on or before today, or None before the first one."""
    year = today.year if anniversary(live_at, today.year) <= today else today.year - 1
    return year if year > live_at.year else None


def stop_token(pledge: Pledge, secret_key: str | list[str]) -> str:
    """The signed token in every check-in email's "stop" link."""
    return URLSafeSerializer(secret_key, salt=STOP_SALT).dumps({"p": pledge.id})


def check_stop(session: Session, raw: str, secret_key: str | list[str]) -> Pledge | None:
    """The pledge a stop link is for, if the link is genuine."""
    try:
        data = URLSafeSerializer(secret_key, salt=STOP_SALT).loads(raw)
    except BadSignature:
        return None
    pledge = session.get(Pledge, data.get("p")) if isinstance(data, dict) and isinstance(data.get("p"), int) else None
    return pledge if pledge is not None and pledge.status != "withdrawn" else None


def unsubscribed(session: Session, pledge_id: int) -> bool:
    """Whether the organisation asked for no more check-in emails."""
    return bool(
        session.scalar(select(exists().where(CheckIn.pledge_id == pledge_id, CheckIn.unsubscribed_at.is_not(None))))
    )


def unsubscribe(session: Session, pledge: Pledge, now: datetime) -> None:
    """Stop every check-in email to this pledge, now and in later years."""
    session.execute(
        update(CheckIn)
        .where(CheckIn.pledge_id == pledge.id, CheckIn.unsubscribed_at.is_(None))
        .values(unsubscribed_at=now)
        .execution_options(synchronize_session=False)
    )
    if session.scalar(select(exists().where(CheckIn.pledge_id == pledge.id))) is False:
        year = current_year(pledge.live_at, now.date()) or now.year
        session.add(CheckIn(pledge_id=pledge.id, year=year, due_on=now.date(), invited_at=now, unsubscribed_at=now))
    session.commit()


def _issue(session: Session, pledge: Pledge, now: datetime) -> str:
    """A new single-use check-in link (tokens.issue reads the wall clock; the job runs on its own `now`)."""
    raw = secrets.token_urlsafe(tokens.TOKEN_BYTES)
    session.add(
        PledgeToken(
            pledge=pledge, purpose=PURPOSE, token_hash=tokens.hash_token(raw), created_at=now,
            expires_at=now + timedelta(days=LINK_DAYS),
        )
    )
    return raw


def _queue(
    session: Session, pledge: Pledge, check_in: CheckIn, secret_key: str | list[str], now: datetime, kind: str,
    dedupe_key: str,
) -> OutboxMessage:
    """Queue the invitation or reminder, with List-Unsubscribe headers pointing at the one-click stop page."""
    raw = _issue(session, pledge, now)
    stop_url = absolute_url("checkins.stop", token=stop_token(pledge, secret_key))
    subject = (REMINDER_SUBJECT if kind == "reminder" else SUBJECT).format(year=check_in.year)
    return mailer.queue(
        session, "checkin_invite", pledge.contact_email, subject,
        dedupe_key=dedupe_key,
        headers={"List-Unsubscribe": f"<{stop_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        pledge=pledge,
        year=check_in.year,
        reminder=kind == "reminder",
        report_url=absolute_url("checkins.report", token=raw),
        stop_url=stop_url,
        link_days=LINK_DAYS,
    )


def invite(
    session: Session, pledge: Pledge, year: int, secret_key: str | list[str], now: datetime, staff: StaffUser | None = None
) -> OutboxMessage | None:
    """Invite a pledge for `year` and commit, or do nothing if that year's invitation already exists."""
    if not pledge.is_live or not pledge.contact_email or unsubscribed(session, pledge.id):
        return None
    check_in = CheckIn(pledge_id=pledge.id, year=year, due_on=anniversary(pledge.live_at, year), invited_at=now,
                       invited_by_id=staff.id if staff is not None else None)
    try:
        with session.begin_nested():
            session.add(check_in)
            session.flush()
    except IntegrityError:
        return None  # another run got there first
    message = _queue(session, pledge, check_in, secret_key, now, "invite", f"checkin:{pledge.id}:{year}:invite")
    if staff is not None:
        audit.record(session, staff, "invite", "check_in", check_in.id, f"Sent the {year} check-in to {pledge.organisation_name}")
    session.commit()
    return message


def send_by_hand(session: Session, pledge: Pledge, staff: StaffUser, secret_key: str | list[str], now: datetime) -> OutboxMessage | None:
    """Staff send this year's check-in now: a first invitation, or a fresh link if one went already."""
    year = current_year(pledge.live_at, now.date()) or now.year
    message = invite(session, pledge, year, secret_key, now, staff)
    if message is not None or not pledge.is_live or not pledge.contact_email or unsubscribed(session, pledge.id):
        return message
    check_in = session.scalar(select(CheckIn).where(CheckIn.pledge_id == pledge.id, CheckIn.year == year))
    message = _queue(session, pledge, check_in, secret_key, now, "invite", f"checkin:{pledge.id}:{year}:hand:{secrets.token_hex(8)}")
    audit.record(session, staff, "invite", "check_in", check_in.id, f"Sent the {year} check-in again to {pledge.organisation_name}")
    session.commit()
    return message


def fresh_link(session: Session, pledge: Pledge, secret_key: str | list[str], now: datetime) -> OutboxMessage | None:
    """Email a new check-in link after an old one expired or was used, at most 3 a day per pledge."""
    if not pledge.is_live or not pledge.contact_email or unsubscribed(session, pledge.id):
        return None
    check_in = session.scalar(select(CheckIn).where(CheckIn.pledge_id == pledge.id).order_by(CheckIn.year.desc()).limit(1))
    if check_in is None:
        return None
    recent = session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.dedupe_key.like(f"checkin:{pledge.id}:%:fresh:%"), OutboxMessage.created_at >= now - timedelta(days=1)
        )
    ).all()
    if len(recent) >= FRESH_LINKS_PER_DAY:
        return None
    message = _queue(session, pledge, check_in, secret_key, now, "invite",
                     f"checkin:{pledge.id}:{check_in.year}:fresh:{secrets.token_hex(8)}")
    message.created_at = now
    session.commit()
    return message


def _due_pledges(session: Session, today: date) -> list[tuple[Pledge, int]]:
    """Live pledges whose anniversary this year has come, with no invitation for that year yet."""
    rows = session.scalars(
        select(Pledge).where(Pledge.status == "live", Pledge.contact_email.is_not(None), Pledge.live_at.is_not(None))
        .order_by(Pledge.id)
    ).unique()
    due = []
    for pledge in rows:
        year = current_year(pledge.live_at, today)
        if year is None:
            continue
        invited = session.scalar(select(exists().where(CheckIn.pledge_id == pledge.id, CheckIn.year == year)))
        if not invited:
            due.append((pledge, year))
    return due


def _needs_reminder(session: Session, now: datetime) -> list[CheckIn]:
    """Invitations a month old with no report, no reminder yet, and no request to stop."""
    reported = exists().where(PledgeReport.pledge_id == CheckIn.pledge_id, PledgeReport.year == CheckIn.year)
    other = aliased(CheckIn)
    stopped = exists().where(other.pledge_id == CheckIn.pledge_id, other.unsubscribed_at.is_not(None))
    return list(
        session.scalars(
            select(CheckIn).join(Pledge, Pledge.id == CheckIn.pledge_id)
            .where(CheckIn.reminded_at.is_(None), CheckIn.invited_at <= now - REMINDER_AFTER, ~reported, ~stopped,
                   Pledge.status == "live", Pledge.contact_email.is_not(None))
            .order_by(CheckIn.id)
        )
    )


def remind(session: Session, check_in: CheckIn, secret_key: str | list[str], now: datetime) -> OutboxMessage | None:
    """Send the one reminder for an invitation, unless another run already did."""
    claimed = session.execute(
        update(CheckIn).where(CheckIn.id == check_in.id, CheckIn.reminded_at.is_(None)).values(reminded_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.rollback()
        return None
    message = _queue(session, check_in.pledge, check_in, secret_key, now, "reminder",
                     f"checkin:{check_in.pledge_id}:{check_in.year}:reminder")
    session.commit()
    return message


def run(session: Session, secret_key: str | list[str], now: datetime) -> RunSummary:
    """The daily job: invite every pledge whose anniversary has come, and remind those a month quiet."""
    summary = RunSummary()
    for pledge, year in _due_pledges(session, now.date()):
        if invite(session, pledge, year, secret_key, now) is not None:
            summary.invited += 1
    for check_in in _needs_reminder(session, now):
        if remind(session, check_in, secret_key, now) is not None:
            summary.reminded += 1
    return summary
