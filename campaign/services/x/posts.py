"""Welcome posts on X: drafted when a pledge goes live, checked and queued by staff, sent once.

A pledge that goes live with `welcome_on_x` gets a draft. Staff edit, approve, schedule or skip
it. Approving (or scheduling) writes an outbox row on channel "x"; the outbox worker calls
`sending.send_x_message`, which posts with tweepy through `x_client.post`. Staff also approve
or hide the hashtag posts fetched for the wall.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from campaign.models import HashtagPost, OutboxMessage, Pledge, SocialPost, StaffUser
from campaign.models.common import utcnow
from campaign.services import audit
from campaign.services.pledges.commitments import signed_sentence
from campaign.services.sharing import links
from campaign.services.urls import absolute_url
from campaign.services.x.account import NOT_CONNECTED, credentials
from campaign.services.x.hashtags import approved_hashtag_posts

# cap_message and status are for the admin X page, which imports this module as `social_service`.

MARK = "attempt_started_at"
EDITABLE = ("draft", "failed")
QUEUED = ("approved", "scheduled")

NEEDS_CHECK = (
    "A worker stopped while this post was being sent, so it may already be on X. Check the "
    "campaign's X account: if it is there, skip this post; if not, approve it again."
)


class SocialError(ValueError):
    """A staff action on a post could not be done; the message says why and what to do."""


def organisation_url(pledge: Pledge) -> str:
    """The absolute URL of a pledge's organisation page."""
    return absolute_url("pledges.organisation", slug=pledge.slug)


def welcome_text(organisation_name: str, url: str, commitments: Iterable[str] = ()) -> str:
    """The suggested welcome post, naming only what the organisation committed to, then its link and the hashtag."""
    words = f"Welcome, {' '.join(organisation_name.split())}! " + signed_sentence("They", commitments, "have", "their")
    fitted = links.fit_for_x(words, url)
    post = f"{fitted} {url} #{links.HASHTAG}"
    # fit_for_x counts the link as 23, as X does for a real domain. A link X would not shorten
    # (an IP address, in development) counts in full, so drop words until the whole post fits.
    while post_length(post) > links.X_MAX_LENGTH and " " in fitted:
        fitted = fitted.rstrip(links.ELLIPSIS).rsplit(" ", 1)[0].rstrip(" ,;:-–—") + links.ELLIPSIS
        post = f"{fitted} {url} #{links.HASHTAG}"
    return post


def post_length(text: str) -> int:
    """The length X counts for a whole post (links count 23, most non-Latin characters 2)."""
    # x_length counts text + hashtag; taking away the hashtag alone and its space leaves the text.
    return links.x_length(text, "") - links.x_length("", "") - 1 if text.strip() else 0


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
    post = SocialPost(pledge_id=pledge.id, text=welcome_text(pledge.organisation_name, organisation_url(pledge), pledge.commitments))
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
            set_payload(message, text=WITHDRAWN_TEXT)
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


def pledge_still_live(session: Session, post: SocialPost) -> bool:
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
    if length > links.X_MAX_LENGTH:
        raise SocialError(f"Shorten the post to {links.X_MAX_LENGTH} characters or fewer: X counts it as {length}")
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
    if not pledge_still_live(session, post):
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


def hashtag_posts_for_staff(session: Session) -> dict[str, list[HashtagPost]]:
    """Hashtag posts waiting for review (oldest first) and those already approved (newest first)."""
    pending = session.scalars(
        select(HashtagPost)
        .where(HashtagPost.status == "pending")
        .order_by(HashtagPost.posted_at, HashtagPost.id)
        .limit(100)
    ).all()
    return {"pending": list(pending), "approved": approved_hashtag_posts(session, limit=50)}


def moderate_hashtag_post(session: Session, staff: StaffUser, post: HashtagPost, decision: str) -> None:
    """Approve a hashtag post for the wall, or reject (hide) it."""
    if decision not in ("approved", "rejected"):
        raise SocialError("Choose whether to show or hide the post")
    before = audit.snapshot(post, ["status"])
    post.status = decision
    action, verb = ("approve", "Approved") if decision == "approved" else ("reject", "Hid")
    summary = f"{verb} @{post.author_username}'s #{links.HASHTAG} post for the wall"
    audit.record(session, staff, action, "hashtag_post", post.id, summary, before, audit.snapshot(post, ["status"]))
    session.commit()


def set_payload(message: OutboxMessage, **changes: Any) -> None:
    """Change keys of the JSON payload (assigning a new dict so the change is saved)."""
    payload = dict(message.payload or {})
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    message.payload = payload
