"""The hashtag wall: recent #BackingLancashire posts fetched from X, shown once staff approve them.

`fetch_hashtag_posts` stores recent posts, deduplicated by X's id, and keeps the newest id in
SiteState so the next run asks only for newer ones. Nothing is public until staff approve it.
A failed fetch changes nothing that was stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import HashtagPost
from campaign.models.common import utcnow
from campaign.services.x import client
from campaign.services.x.account import (
    FETCH_ERROR_KEY,
    FETCH_RETRY_KEY,
    FETCHED_AT_KEY,
    SINCE_ID_KEY,
    credentials,
    parse_time,
    read_state,
    write_state,
)

# When X rate-limits a search without saying for how long.
SEARCH_BACKOFF = timedelta(minutes=15)


@dataclass(frozen=True)
class FetchReport:
    """What one fetch of #BackingLancashire posts did."""

    ok: bool
    added: int = 0
    seen: int = 0
    message: str = ""
    # True when nothing was asked of X on purpose (not connected, or told to wait): not a failure.
    skipped: bool = False


def fetch_hashtag_posts(session: Session, config: Mapping[str, Any], now: datetime | None = None) -> FetchReport:
    """Store new #BackingLancashire posts for staff to review, remembering where this fetch stopped."""
    now = now or utcnow()
    creds = credentials(config)
    if creds is None or not creds.can_search:
        return FetchReport(
            ok=False,
            skipped=True,
            message="X is not connected for searching (set X_BEARER_TOKEN), so nothing was fetched.",
        )
    retry_after = parse_time(read_state(session, FETCH_RETRY_KEY))
    if retry_after is not None and retry_after > now:
        return FetchReport(
            ok=False,
            skipped=True,
            message=f"X asked us to wait before searching again, until {retry_after:%H:%M on %d %B %Y} (UTC).",
        )

    since_id = read_state(session, SINCE_ID_KEY) or None
    result = client.search_recent(creds, client.DEFAULT_QUERY, since_id)
    if not result.ok:
        # Only the error and when to try again are saved: stored posts and since_id stay as they were.
        write_state(session, FETCH_ERROR_KEY, f"{now:%d %B %Y, %H:%M} UTC: {result.error}")
        if result.retry_after or result.retryable:
            wait_until = result.retry_after or now + SEARCH_BACKOFF
            write_state(session, FETCH_RETRY_KEY, wait_until.isoformat())
        session.commit()
        return FetchReport(ok=False, message=result.error or "The search failed.")

    ids = [post.id for post in result.posts]
    known = set(session.scalars(select(HashtagPost.x_id).where(HashtagPost.x_id.in_(ids)))) if ids else set()
    added = 0
    for found in result.posts:
        if found.id in known:
            continue
        known.add(found.id)
        session.add(
            HashtagPost(
                x_id=found.id,
                author_username=found.author_username[:50],
                author_name=found.author_name[:100],
                text=found.text,
                posted_at=found.created_at,
                url=found.url[:300],
                status="pending",
                fetched_at=now,
            )
        )
        added += 1
    if result.newest_id and (not since_id or int(result.newest_id) > int(since_id)):
        write_state(session, SINCE_ID_KEY, result.newest_id)
    write_state(session, FETCHED_AT_KEY, now.isoformat())
    write_state(session, FETCH_ERROR_KEY, "")
    write_state(session, FETCH_RETRY_KEY, "")
    session.commit()
    return FetchReport(
        ok=True,
        added=added,
        seen=len(result.posts),
        message=f"Fetched {len(result.posts)} posts; {added} new for review.",
    )


def approved_hashtag_posts(session: Session, limit: int | None = None, offset: int = 0) -> list[HashtagPost]:
    """Approved #BackingLancashire posts, newest first: all that the public may see."""
    query = (
        select(HashtagPost)
        .where(HashtagPost.status == "approved")
        .order_by(HashtagPost.posted_at.desc(), HashtagPost.id.desc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def count_approved_hashtag_posts(session: Session) -> int:
    """How many hashtag posts the public may see."""
    return session.scalar(select(func.count(HashtagPost.id)).where(HashtagPost.status == "approved")) or 0
