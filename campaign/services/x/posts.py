"""The campaign's X account: welcome posts staff approve, sent once through the outbox, and the hashtag wall.

Welcome posts
    A pledge that goes live with `welcome_on_x` gets a draft. Staff edit, approve, schedule or skip
    it. Approving (or scheduling) writes an outbox row on channel "x"; the outbox worker calls
    `send_x_message`, which posts with tweepy through `x_client.post`.

Never posting twice
    Before calling X, the sender writes `attempt_started_at` into the message's payload and commits
    it on its own. A message that already carries that mark, with no X post id recorded, may have
    gone out from a worker that died before it could record the answer. It is never re-posted by
    itself: it is marked failed with a message asking staff to check the account, and staff decide
    whether to post it again. (A retry after a clean 429, 5xx or network failure clears the mark, as
    X did not take the post.) The outbox's claims already stop two live workers sending one row.

The hashtag wall
    `fetch_hashtag_posts` stores recent #BackingLancashire posts, deduplicated by X's id, and keeps
    the newest id in SiteState so the next run asks only for newer ones. Nothing is public until
    staff approve it. A failed fetch changes nothing that was stored.

Everything is off while the X credentials are unset: the admin page says so and nothing fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from campaign.models import HashtagPost, OutboxMessage, Pledge, SiteState, SocialPost, StaffUser
from campaign.models.common import utcnow
from campaign.services import audit, outbox
from campaign.services.sharing import links as share
from campaign.services.x import client as x_client
from campaign.services.x.client import XCredentials

SINCE_ID_KEY = "x_search_since_id"
FETCHED_AT_KEY = "x_search_fetched_at"
FETCH_ERROR_KEY = "x_search_error"
FETCH_RETRY_KEY = "x_search_retry_after"
POST_WAIT_KEY = "x_post_retry_after"

# When X rate-limits a search without saying for how long.
SEARCH_BACKOFF = timedelta(minutes=15)

MARK = "attempt_started_at"
EDITABLE = ("draft", "failed")
QUEUED = ("approved", "scheduled")

NEEDS_CHECK = (
    "A worker stopped while this post was being sent, so it may already be on X. Check the "
    "campaign's X account: if it is there, skip this post; if not, approve it again."
)
NOT_CONNECTED = (
    "X is not connected: set the four X API keys (X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET)."
)


class SocialError(ValueError):
    """A staff action on a post could not be done; the message says why and what to do."""


# --- links ---------------------------------------------------------------------------------------


def absolute_url(endpoint: str, **values: Any) -> str:
    """The public, absolute URL of a page, built from SITE_URL (works outside a request too)."""
    site = urlsplit(current_app.config["SITE_URL"])
    adapter = current_app.url_map.bind(site.netloc, script_name=site.path or "/", url_scheme=site.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def organisation_url(pledge: Pledge) -> str:
    """The absolute URL of a pledge's organisation page."""
    return absolute_url("pledges.organisation", slug=pledge.slug)


# --- connection and the monthly cap ---------------------------------------------------------------


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
        cap_reached=x_client.monthly_cap_reached(sent, cap),
        resumes_on=next_month_start(now),
        fetched_at=_parse_time(_state(session, FETCHED_AT_KEY)),
        fetch_error=_state(session, FETCH_ERROR_KEY),
        paused_until=paused if paused is not None and paused > now else None,
    )


def cap_message(cap: int, resumes_on: datetime) -> str:
    """What staff read when the monthly cap stops posting."""
    when = f"{resumes_on.day} {resumes_on:%B %Y}"
    if cap <= 0:
        return "Posting to X is switched off (X_MONTHLY_POST_CAP is 0). Approved posts wait until it is raised."
    return f"The monthly limit of {cap} posts to X has been reached. Approved posts will go out from {when}."


# --- welcome drafts -----------------------------------------------------------------------------


def welcome_text(organisation_name: str, url: str) -> str:
    """The suggested welcome post: words trimmed to fit, then the organisation's link and the hashtag."""
    words = (
        f"Welcome, {' '.join(organisation_name.split())}! They have signed the Backing Lancashire pledge "
        "to spend locally, pay fairly and create local jobs."
    )
    fitted = share.fit_for_x(words, url)
    post = f"{fitted} {url} #{share.HASHTAG}"
    # fit_for_x counts the link as 23, as X does for a real domain. A link X would not shorten
    # (an IP address, in development) counts in full, so drop words until the whole post fits.
    while post_length(post) > share.X_MAX_LENGTH and " " in fitted:
        fitted = fitted.rstrip(share.ELLIPSIS).rsplit(" ", 1)[0].rstrip(" ,;:-–—") + share.ELLIPSIS
        post = f"{fitted} {url} #{share.HASHTAG}"
    return post


def post_length(text: str) -> int:
    """The length X counts for a whole post (links count 23, most non-Latin characters 2)."""
    # x_length counts text + hashtag; taking away the hashtag alone and its space leaves the text.
    return share.x_length(text, "") - share.x_length("", "") - 1 if text.strip() else 0


def queue_welcome(session: Session, pledge: Pledge) -> SocialPost | None:
    """Draft a welcome post for a pledge that went live and asked to be welcomed on X (once only).

    The caller commits, in the same transaction as the pledge going live.
    """
    if not pledge.welcome_on_x or pledge.status != "live" or not pledge.slug or not pledge.organisation_name:
        return None
    if pledge.id is None:
        session.flush()
    existing = session.scalar(select(SocialPost).where(SocialPost.pledge_id == pledge.id))
    if existing is not None:
        return existing
    post = SocialPost(pledge_id=pledge.id, text=welcome_text(pledge.organisation_name, organisation_url(pledge)))
    session.add(post)
    return post


WITHDRAWN_TEXT = "(Removed: the organisation withdrew its pledge.)"


def forget_pledge(session: Session, pledge: Pledge) -> None:
    """When a pledge is withdrawn: stop its welcome post and erase the organisation's name from it.

    A post already on X stays there (its X id is kept, so staff can find it); the caller commits.
    """
    post = session.scalar(select(SocialPost).where(SocialPost.pledge_id == pledge.id))
    if post is None:
        return
    messages = session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"social-post-{post.id}-%"))
    ).all()
    for message in messages:
        if message.status == "pending":
            message.status = "cancelled"
        if message.status != "sending":
            _set_payload(message, text=WITHDRAWN_TEXT)
    if post.status != "sent":
        post.status = "skipped"
        post.error = "Not posted: the organisation withdrew its pledge."
    post.text = WITHDRAWN_TEXT


def posts_for_staff(session: Session) -> dict[str, list[SocialPost]]:
    """Every post grouped as the admin page shows them: to review, queued, could not be sent, done."""
    rows = session.scalars(select(SocialPost).order_by(SocialPost.created_at.desc(), SocialPost.id.desc())).all()
    groups: dict[str, list[SocialPost]] = {"draft": [], "queued": [], "failed": [], "done": []}
    for post in rows:
        if post.status == "draft":
            groups["draft"].append(post)
        elif post.status in QUEUED:
            groups["queued"].append(post)
        elif post.status == "failed":
            groups["failed"].append(post)
        else:
            groups["done"].append(post)
    groups["done"] = groups["done"][:50]
    return groups


def organisation_names(session: Session, posts: list[SocialPost]) -> dict[int, str]:
    """The organisation each welcome post is for, by post id."""
    pledge_ids = {post.pledge_id for post in posts if post.pledge_id}
    if not pledge_ids:
        return {}
    names = dict(session.execute(select(Pledge.id, Pledge.organisation_name).where(Pledge.id.in_(pledge_ids))).all())
    return {post.id: names.get(post.pledge_id) or "" for post in posts if post.pledge_id}


def get_post(session: Session, post_id: int) -> SocialPost | None:
    """One post by id, or None."""
    return session.get(SocialPost, post_id)


def _pledge_still_live(session: Session, post: SocialPost) -> bool:
    """A welcome post may only go out while its pledge is live (a withdrawn one has no name)."""
    if post.pledge_id is None:
        return True
    pledge = session.get(Pledge, post.pledge_id)
    return pledge is not None and pledge.status == "live"


def check_text(session: Session, post: SocialPost, text: str) -> str:
    """Tidy an edited post, refusing it if empty, too long for X or missing its organisation's link."""
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))
    if not text:
        raise SocialError("Enter the text of the post")
    length = post_length(text)
    if length > share.X_MAX_LENGTH:
        raise SocialError(f"Shorten the post to {share.X_MAX_LENGTH} characters or fewer: X counts it as {length}")
    if post.pledge_id is not None:
        pledge = session.get(Pledge, post.pledge_id)
        if pledge is not None and pledge.slug and organisation_url(pledge) not in text:
            raise SocialError(f"Keep the link to the organisation's page in the post: {organisation_url(pledge)}")
    return text


def _audited(
    session: Session, staff: StaffUser, post: SocialPost, action: str, summary: str, before: dict[str, Any]
) -> None:
    """Record a staff decision on a post, with the fields it changed."""
    audit.record(session, staff, action, "social_post", post.id, summary, before, audit.snapshot(post, list(before)))


def edit(session: Session, staff: StaffUser, post: SocialPost, text: str) -> None:
    """Change a draft's text (drafts and posts that could not be sent can be edited)."""
    if post.status not in EDITABLE:
        raise SocialError("Only drafts and posts that could not be sent can be edited. Move it back to drafts first.")
    text = check_text(session, post, text)
    before = audit.snapshot(post, ["text"])
    post.text = text
    _audited(session, staff, post, "edit", "Edited a post for X", before)
    session.commit()


def _queue(session: Session, post: SocialPost, send_at: datetime) -> OutboxMessage:
    """Write the outbox row that will send this post at `send_at`."""
    earlier = (
        session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.dedupe_key.like(f"social-post-{post.id}-%"))
        )
        or 0
    )
    message = OutboxMessage(
        channel="x",
        payload={"text": post.text, "social_post_id": post.id},
        status="pending",
        next_attempt_at=send_at,
        dedupe_key=f"social-post-{post.id}-{earlier + 1}",
    )
    session.add(message)
    session.flush()
    post.outbox_id = message.id
    post.error = None
    return message


def _check_can_queue(session: Session, post: SocialPost, config: Mapping[str, Any]) -> None:
    """Refuse to queue a post that cannot or must not go out."""
    if post.status not in EDITABLE:
        raise SocialError("This post is not a draft: it has already been queued, sent or skipped.")
    creds = credentials(config)
    if creds is None or not creds.can_post:
        raise SocialError(NOT_CONNECTED)
    if not _pledge_still_live(session, post):
        raise SocialError("This organisation's pledge is no longer live, so it cannot be welcomed. Skip the post.")
    check_text(session, post, post.text)


def approve(
    session: Session, staff: StaffUser, post: SocialPost, config: Mapping[str, Any], now: datetime | None = None
) -> None:
    """Queue a draft to be posted now, through the outbox."""
    _check_can_queue(session, post, config)
    now = now or utcnow()
    before = audit.snapshot(post, ["status", "scheduled_for"])
    _queue(session, post, now)
    post.status = "approved"
    post.scheduled_for = None
    _audited(session, staff, post, "approve", "Approved a post for X", before)
    session.commit()


def schedule(
    session: Session,
    staff: StaffUser,
    post: SocialPost,
    when: datetime,
    config: Mapping[str, Any],
    now: datetime | None = None,
) -> None:
    """Queue a draft to be posted at a later time."""
    now = now or utcnow()
    if when.tzinfo is None:
        raise ValueError("schedule() needs a timezone-aware time")
    if when <= now:
        raise SocialError("Enter a time in the future")
    if when > now + timedelta(days=365):
        raise SocialError("Enter a time within the next year")
    _check_can_queue(session, post, config)
    before = audit.snapshot(post, ["status", "scheduled_for"])
    _queue(session, post, when)
    post.status = "scheduled"
    post.scheduled_for = when
    _audited(session, staff, post, "schedule", "Scheduled a post for X", before)
    session.commit()


def _cancel_queued(session: Session, post: SocialPost) -> None:
    """Take a queued post out of the outbox, unless a worker has already started sending it."""
    if post.outbox_id is None:
        return
    cancelled = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == post.outbox_id, OutboxMessage.status == "pending")
        .values(status="cancelled")
    ).rowcount
    message = session.get(OutboxMessage, post.outbox_id)
    if not cancelled and message is not None and message.status not in ("cancelled", "failed"):
        session.rollback()
        raise SocialError("This post is being sent to X right now, so it can no longer be stopped.")
    post.outbox_id = None


def unqueue(session: Session, staff: StaffUser, post: SocialPost) -> None:
    """Move an approved or scheduled post back to drafts, if it has not started sending."""
    if post.status not in QUEUED:
        raise SocialError("Only approved or scheduled posts can be moved back to drafts.")
    before = audit.snapshot(post, ["status", "scheduled_for"])
    _cancel_queued(session, post)
    post.status = "draft"
    post.scheduled_for = None
    _audited(session, staff, post, "unqueue", "Moved a post for X back to drafts", before)
    session.commit()


def skip(session: Session, staff: StaffUser, post: SocialPost) -> None:
    """Decide not to post this one; a queued post is taken out of the outbox first."""
    if post.status in ("sent", "skipped"):
        raise SocialError("This post has already been sent or skipped.")
    before = audit.snapshot(post, ["status"])
    if post.status in QUEUED:
        _cancel_queued(session, post)
    post.status = "skipped"
    _audited(session, staff, post, "skip", "Skipped a post for X", before)
    session.commit()


# --- sending -----------------------------------------------------------------------------------


class RetryLater(Exception):
    """X did not take the post but may later (429, 5xx, unreachable): the outbox tries again with backoff."""


def _linked_post(session: Session, message: OutboxMessage) -> SocialPost | None:
    """The draft an outbox message was made from, if it still exists."""
    post_id = (message.payload or {}).get("social_post_id")
    return session.get(SocialPost, post_id) if isinstance(post_id, int) else None


def _set_payload(message: OutboxMessage, **changes: Any) -> None:
    """Change keys of the JSON payload (assigning a new dict so the change is saved)."""
    payload = dict(message.payload or {})
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    message.payload = payload


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
    return not x_client.monthly_cap_reached(sent_this_month(session, now), cap)


def posting_paused_until(session: Session) -> datetime | None:
    """When X's rate limit (from its last 429) lets the account post again, if it said."""
    return _parse_time(_state(session, POST_WAIT_KEY))


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
    if post is not None and not _pledge_still_live(session, post):
        _give_up(session, message, post, "Not posted: the organisation's pledge is no longer live.", "skipped")
    if (message.payload or {}).get(MARK):
        # An earlier attempt reached the point of calling X and never recorded the answer.
        _give_up(session, message, post, NEEDS_CHECK)
    creds = credentials(config)
    if creds is None or not creds.can_post:
        raise RetryLater(NOT_CONNECTED)
    cap = int(config.get("X_MONTHLY_POST_CAP") or 0)
    if x_client.monthly_cap_reached(sent_this_month(session, now), cap):
        error = cap_message(cap, next_month_start(now))
        if post is not None:
            post.error = error
        session.commit()
        raise RetryLater(error)

    # Committed on its own before X is called: if this worker dies mid-call, whoever takes the
    # message up next sees the mark and asks staff instead of posting a second time.
    _set_payload(message, **{MARK: now.isoformat()})
    session.commit()

    result = x_client.post(creds, text)
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
    _set_payload(message, **{MARK: None})
    if result.retry_after is not None:
        # A rate limit covers the whole account, so every X message waits for the reset.
        _set_state(session, POST_WAIT_KEY, result.retry_after.isoformat())
    if post is not None:
        post.error = error
    session.commit()
    raise RetryLater(error)


# --- the hashtag wall ----------------------------------------------------------------------------


def _state(session: Session, key: str) -> str:
    """A remembered value, or "" if never set."""
    return session.scalar(select(SiteState.value).where(SiteState.key == key)) or ""


def _parse_time(value: str) -> datetime | None:
    """A remembered ISO 8601 time, or None if unset or unreadable."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _set_state(session: Session, key: str, value: str) -> None:
    """Remember a value (saved with the caller's commit)."""
    row = session.get(SiteState, key)
    if row is None:
        session.add(SiteState(key=key, value=value))
    else:
        row.value = value


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
    retry_after = _parse_time(_state(session, FETCH_RETRY_KEY))
    if retry_after is not None and retry_after > now:
        return FetchReport(
            ok=False,
            skipped=True,
            message=f"X asked us to wait before searching again, until {retry_after:%H:%M on %d %B %Y} (UTC).",
        )

    since_id = _state(session, SINCE_ID_KEY) or None
    result = x_client.search_recent(creds, x_client.DEFAULT_QUERY, since_id)
    if not result.ok:
        # Only the error and when to try again are saved: stored posts and since_id stay as they were.
        _set_state(session, FETCH_ERROR_KEY, f"{now:%d %B %Y, %H:%M} UTC: {result.error}")
        if result.retry_after or result.retryable:
            wait_until = result.retry_after or now + SEARCH_BACKOFF
            _set_state(session, FETCH_RETRY_KEY, wait_until.isoformat())
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
        _set_state(session, SINCE_ID_KEY, result.newest_id)
    _set_state(session, FETCHED_AT_KEY, now.isoformat())
    _set_state(session, FETCH_ERROR_KEY, "")
    _set_state(session, FETCH_RETRY_KEY, "")
    session.commit()
    return FetchReport(
        ok=True,
        added=added,
        seen=len(result.posts),
        message=f"Fetched {len(result.posts)} posts; {added} new for review.",
    )


def hashtag_posts_for_staff(session: Session) -> dict[str, list[HashtagPost]]:
    """Hashtag posts waiting for review (oldest first) and those already approved (newest first)."""
    pending = session.scalars(
        select(HashtagPost)
        .where(HashtagPost.status == "pending")
        .order_by(HashtagPost.posted_at, HashtagPost.id)
        .limit(100)
    ).all()
    return {"pending": list(pending), "approved": approved_hashtag_posts(session, limit=50)}


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


def moderate_hashtag_post(session: Session, staff: StaffUser, post: HashtagPost, decision: str) -> None:
    """Approve a hashtag post for the wall, or reject (hide) it."""
    if decision not in ("approved", "rejected"):
        raise SocialError("Choose whether to show or hide the post")
    before = audit.snapshot(post, ["status"])
    post.status = decision
    action, verb = ("approve", "Approved") if decision == "approved" else ("reject", "Hid")
    summary = f"{verb} @{post.author_username}'s #{share.HASHTAG} post for the wall"
    audit.record(session, staff, action, "hashtag_post", post.id, summary, before, audit.snapshot(post, ["status"]))
    session.commit()
