"""Sending an approved welcome post to X, at most once, when the outbox worker takes up its message.

Before calling X, the sender writes `attempt_started_at` into the message's payload and commits
it on its own. A message that already carries that mark, with no X post id recorded, may have
gone out from a worker that died before it could record the answer. It is never re-posted by
itself: it is marked failed with a message asking staff to check the account, and staff decide
whether to post it again. (A retry after a clean 429, 5xx or network failure clears the mark, as
X did not take the post.) The outbox's claims already stop two live workers sending one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from campaign.models import OutboxMessage, SocialPost
from campaign.models.common import utcnow
from campaign.services import outbox
from campaign.services.x import client
from campaign.services.x.account import (
    NOT_CONNECTED,
    POST_WAIT_KEY,
    cap_message,
    credentials,
    next_month_start,
    posting_paused_until,
    sent_this_month,
    write_state,
)
from campaign.services.x.posts import MARK, NEEDS_CHECK, pledge_still_live, set_payload


class RetryLater(Exception):
    """X did not take the post but may later (429, 5xx, unreachable): the outbox tries again with backoff."""


def _linked_post(session: Session, message: OutboxMessage) -> SocialPost | None:
    """The draft an outbox message was made from, if it still exists."""
    post_id = (message.payload or {}).get("social_post_id")
    return session.get(SocialPost, post_id) if isinstance(post_id, int) else None


def can_send(session: Session, config: Mapping[str, Any], now: datetime | None = None) -> bool:
    """Whether X posts may go out now: the posting keys are set and this month's cap is not reached.

    While this is False the outbox leaves X messages waiting untouched, so a month's cap or
    missing keys never use up their attempts.
    """
    now = now or utcnow()
    creds = credentials(config)
    if creds is None or not creds.can_post:
        return False
    paused = posting_paused_until(session)
    if paused is not None and paused > now:
        return False
    cap = int(config.get("X_MONTHLY_POST_CAP") or 0)
    return not client.monthly_cap_reached(sent_this_month(session, now), cap)


def _give_up(
    session: Session, message: OutboxMessage, post: SocialPost | None, error: str, post_status: str = "failed"
) -> NoReturn:
    """Record on the draft why it was not posted, commit, and tell the outbox never to retry."""
    if post is not None:
        post.status = post_status
        post.error = error
    if post_status == "skipped":
        message.status = "cancelled"  # not wanted any more, rather than failed
    session.commit()
    raise outbox.PermanentFailure(error)


def send_x_message(
    session: Session, message: OutboxMessage, config: Mapping[str, Any], now: datetime | None = None
) -> str:
    """Post one claimed outbox message to X, at most once, and return X's id for the new post.

    Raises outbox.PermanentFailure when it must not be retried (401, 403, a post that may already
    be on X, a pledge no longer live) and RetryLater when X may take it later. Whatever happens is
    written to the draft and committed here, since the outbox rolls back before recording a failure.
    """
    now = now or utcnow()
    post = _linked_post(session, message)
    text = str((message.payload or {}).get("text") or "").strip()
    if post is not None and post.status in ("skipped", "sent"):
        _give_up(session, message, None, f"Not posted: the post was {post.status} first.", "skipped")
    if post is not None and not pledge_still_live(session, post):
        _give_up(session, message, post, "Not posted: the organisation's pledge is no longer live.", "skipped")
    if (message.payload or {}).get(MARK):
        # An earlier attempt reached the point of calling X and never recorded the answer.
        _give_up(session, message, post, NEEDS_CHECK)
    creds = credentials(config)
    if creds is None or not creds.can_post:
        raise RetryLater(NOT_CONNECTED)
    cap = int(config.get("X_MONTHLY_POST_CAP") or 0)
    if client.monthly_cap_reached(sent_this_month(session, now), cap):
        error = cap_message(cap, next_month_start(now))
        if post is not None:
            post.error = error
        session.commit()
        raise RetryLater(error)

    # Committed on its own before X is called: if this worker dies mid-call, whoever takes the
    # message up next sees the mark and asks staff instead of posting a second time.
    set_payload(message, **{MARK: now.isoformat()})
    session.commit()

    result = client.post(creds, text)
    if result.ok and result.tweet_id:
        if post is not None:
            post.status = "sent"
            post.x_post_id = result.tweet_id
            post.error = None
        return result.tweet_id
    error = result.error or "X did not say why the post failed."
    if not result.retryable:
        _give_up(session, message, post, error)
    # X answered without taking the post (429, 5xx) or was never reached: safe to try again.
    set_payload(message, **{MARK: None})
    if result.retry_after is not None:
        # A rate limit covers the whole account, so every X message waits for the reset.
        write_state(session, POST_WAIT_KEY, result.retry_after.isoformat())
    if post is not None:
        post.error = error
    session.commit()
    raise RetryLater(error)
