"""The campaign's X account: its keys, this month's cap on posts, and what it remembers between runs.

Everything is off while the X credentials are unset: the admin page says so and nothing fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import OutboxMessage, SiteState
from campaign.models.common import utcnow
from campaign.services.x import client
from campaign.services.x.client import XCredentials

SINCE_ID_KEY = "x_search_since_id"
FETCHED_AT_KEY = "x_search_fetched_at"
FETCH_ERROR_KEY = "x_search_error"
FETCH_RETRY_KEY = "x_search_retry_after"
POST_WAIT_KEY = "x_post_retry_after"

NOT_CONNECTED = (
    "X is not connected: set the four X API keys (X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET)."
)


def credentials(config: Mapping[str, Any]) -> XCredentials | None:
    """The X credentials from config, or None when X is not connected."""
    return XCredentials.from_mapping(config)


def month_start(now: datetime) -> datetime:
    """Midnight UTC on the first of `now`'s month: X's caps run by calendar month."""
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(now: datetime) -> datetime:
    """Midnight UTC on the first of the month after `now`."""
    start = month_start(now)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def sent_this_month(session: Session, now: datetime) -> int:
    """How many posts the campaign account has made this calendar month."""
    return (
        session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.channel == "x",
                OutboxMessage.status == "sent",
                OutboxMessage.sent_at >= month_start(now),
            )
        )
        or 0
    )


@dataclass(frozen=True)
class XStatus:
    """What the admin page says about the X account: connected or not, and the monthly cap."""

    can_post: bool
    can_search: bool
    cap: int
    sent: int
    cap_reached: bool
    resumes_on: datetime
    fetched_at: datetime | None
    fetch_error: str
    paused_until: datetime | None = None

    @property
    def connected(self) -> bool:
        """Whether any X credentials are set."""
        return self.can_post or self.can_search


def status(session: Session, config: Mapping[str, Any], now: datetime | None = None) -> XStatus:
    """The X account's state for staff: credentials, posts sent against the cap, the last fetch."""
    now = now or utcnow()
    creds = credentials(config)
    cap = int(config.get("X_MONTHLY_POST_CAP") or 0)
    sent = sent_this_month(session, now)
    paused = posting_paused_until(session)
    return XStatus(
        can_post=bool(creds and creds.can_post),
        can_search=bool(creds and creds.can_search),
        cap=cap,
        sent=sent,
        cap_reached=client.monthly_cap_reached(sent, cap),
        resumes_on=next_month_start(now),
        fetched_at=parse_time(read_state(session, FETCHED_AT_KEY)),
        fetch_error=read_state(session, FETCH_ERROR_KEY),
        paused_until=paused if paused is not None and paused > now else None,
    )


def cap_message(cap: int, resumes_on: datetime) -> str:
    """What staff read when the monthly cap stops posting."""
    when = f"{resumes_on.day} {resumes_on:%B %Y}"
    if cap <= 0:
        return "Posting to X is switched off (X_MONTHLY_POST_CAP is 0). Approved posts wait until it is raised."
    return f"The monthly limit of {cap} posts to X has been reached. Approved posts will go out from {when}."


def posting_paused_until(session: Session) -> datetime | None:
    """When X's rate limit (from its last 429) lets the account post again, if it said."""
    return parse_time(read_state(session, POST_WAIT_KEY))


def read_state(session: Session, key: str) -> str:
    """A remembered value, or "" if never set."""
    return session.scalar(select(SiteState.value).where(SiteState.key == key)) or ""


def parse_time(value: str) -> datetime | None:
    """A remembered ISO 8601 time, or None if unset or unreadable."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def write_state(session: Session, key: str, value: str) -> None:
    """Remember a value (saved with the caller's commit)."""
    row = session.get(SiteState, key)
    if row is None:
        session.add(SiteState(key=key, value=value))
    else:
        row.value = value
