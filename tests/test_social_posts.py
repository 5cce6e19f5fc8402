"""Welcome posts on X: drafted when a pledge goes live, approved by staff, sent once through the outbox.

tweepy's real code runs; `responses` answers every call as the X API would, refuses anything it was
not told about, and the socket guard from test_x_client fails any attempt to reach the network.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
from sqlalchemy import select

from campaign.models import OutboxMessage, SiteState, SocialPost
from campaign.models.common import utcnow
from campaign.services import outbox
from campaign.services.pledges import common, managing, moderation
from campaign.services.sharing import links as share
from campaign.services.x import account
from campaign.services.x import posts as social
from tests.pages import text_of
from tests.test_social_helpers import RESET_EPOCH, TWEETS_URL, X_KEYS, draft_for, make_pledge, sign_in_editor, x_mock
from tests.test_x_client import no_network  # noqa: F401  (autouse: nothing may leave the machine)


@pytest.fixture
def x_app(app):
    """The test app with the campaign's X keys set."""
    app.config.update(X_KEYS)
    return app


@pytest.fixture
def mocked():
    """X's API, answered by responses; nothing gets through."""
    with x_mock() as rsps:
        yield rsps


@pytest.fixture
def editor(client, db):
    """An editor, signed in on the test client."""
    return sign_in_editor(client, db)


@pytest.fixture
def staff_client(client, editor):
    """The test client, signed in as the editor."""
    return client


def x_messages(db) -> list[OutboxMessage]:
    """Every X message in the outbox."""
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "x").order_by(OutboxMessage.id))
    )


def run_outbox(db):
    """One pass of the outbox worker."""
    return outbox.send_due(db.session, "test-worker")


def make_due(db, message: OutboxMessage) -> None:
    """Pretend the message's next try has come round."""
    db.session.refresh(message)
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def created(tweet_id: str = "1790000000000000001") -> dict:
    """X's answer to a post it created."""
    return {"data": {"id": tweet_id, "text": "…", "edit_history_tweet_ids": [tweet_id]}}


def problem(status: int, title: str, detail: str) -> dict:
    """An error body shaped like X's v2 "problem" JSON."""
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def approve(db, editor, post: SocialPost) -> OutboxMessage:
    """Approve a draft through the service, as staff do, and return its outbox message."""
    from flask import current_app

    social.approve(db.session, editor, post, current_app.config)
    return db.session.get(OutboxMessage, post.outbox_id)


# --- drafting --------------------------------------------------------------------------------------


def test_a_live_pledge_that_asked_for_a_welcome_gets_one_draft(x_app, db):
    pledge = make_pledge(db)
    first = draft_for(db, pledge)
    again = draft_for(db, pledge)
    assert first.id == again.id
    assert db.session.scalar(select(SocialPost).where(SocialPost.pledge_id == pledge.id)).status == "draft"
    assert len(db.session.scalars(select(SocialPost)).all()) == 1
    url = "http://127.0.0.1:5000/pledges/acme-bakery-ltd"
    assert url in first.text
    assert "Acme Bakery Ltd" in first.text
    assert first.text.endswith("#BackingLancashire")
    assert social.post_length(first.text) <= 280


@pytest.mark.parametrize("status, welcome", [("live", False), ("confirmed", True), ("pending", True)])
def test_no_draft_without_consent_or_before_going_live(x_app, db, status, welcome):
    pledge = make_pledge(db, status=status, welcome=welcome)
    assert social.queue_welcome(db.session, pledge) is None
    db.session.commit()
    assert db.session.scalars(select(SocialPost)).all() == []


def test_a_very_long_name_still_fits_in_one_post(x_app, db):
    name = "The Lancashire and North West " + "Very Long Named " * 12 + "Community Interest Company"
    pledge = make_pledge(db, name=name[:200], slug="long-name")
    post = draft_for(db, pledge)
    assert social.post_length(post.text) <= 280
    assert "http://127.0.0.1:5000/pledges/long-name" in post.text
    assert post.text.endswith(" #BackingLancashire")


def test_going_live_through_the_pledge_service_drafts_the_welcome(x_app, db, editor):
    pledge = make_pledge(db, status="confirmed")
    moderation.approve(db.session, pledge, editor, common.Settings.from_config(x_app.config))
    post = db.session.scalar(select(SocialPost).where(SocialPost.pledge_id == pledge.id))
    assert post is not None and post.status == "draft"
    # Going live again (after being hidden) does not draft a second welcome.
    moderation.hide(db.session, pledge, editor, "Checking the logo")
    moderation.approve(db.session, pledge, editor, common.Settings.from_config(x_app.config))
    assert len(db.session.scalars(select(SocialPost)).all()) == 1


# --- sending ------------------------------------------------------------------------------------------


def test_approved_post_is_sent_once_with_its_text_and_link(x_app, db, editor, mocked):
    post = draft_for(db, make_pledge(db))
    mocked.post(TWEETS_URL, status=201, json=created("1790000000000000042"))

    message = approve(db, editor, post)
    assert message.channel == "x" and message.payload["text"] == post.text
    report = run_outbox(db)

    assert report.sent == 1
    assert len(mocked.calls) == 1
    sent = json.loads(mocked.calls[0].request.body)
    assert sent == {"text": post.text}
    assert "http://127.0.0.1:5000/pledges/acme-bakery-ltd" in sent["text"]
    assert "#BackingLancashire" in sent["text"]
    db.session.refresh(post)
    db.session.refresh(message)
    assert post.status == "sent" and post.x_post_id == "1790000000000000042" and post.error is None
    assert message.status == "sent" and message.external_id == "1790000000000000042"

    # Nothing is left to send: another pass makes no request.
    assert run_outbox(db).claimed == 0
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (401, problem(401, "Unauthorized", "Unauthorized"), "401 Unauthorized: Unauthorized"),
        (
            403,
            problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."),
            "You are not allowed to create a Tweet with duplicate content.",
        ),
    ],
)
def test_401_and_403_are_not_retried_and_reach_staff_with_xs_message(
    x_app, db, editor, staff_client, mocked, status, body, expected
):
    post = draft_for(db, make_pledge(db))
    mocked.post(TWEETS_URL, status=status, json=body)
    message = approve(db, editor, post)

    report = run_outbox(db)

    assert report.failed == 1
    db.session.refresh(post)
    db.session.refresh(message)
    assert post.status == "failed" and expected in post.error
    assert message.status == "failed"
    make_due(db, message)
    assert run_outbox(db).claimed == 0
    assert len(mocked.calls) == 1
    page = text_of(staff_client.get_page("admin.social"))
    assert "Could not be posted" in page
    assert expected in page


def test_429_waits_for_xs_reset_then_sends(x_app, db, editor, mocked):
    post = draft_for(db, make_pledge(db))
    limited = mocked.post(
        TWEETS_URL,
        status=429,
        json=problem(429, "Too Many Requests", "Too Many Requests"),
        headers={"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(RESET_EPOCH)},
    )
    message = approve(db, editor, post)

    assert run_outbox(db).retrying == 1
    db.session.refresh(message)
    db.session.refresh(post)
    assert message.status == "pending" and social.MARK not in message.payload
    assert post.status == "approved" and "Too Many Requests" in post.error
    assert account.posting_paused_until(db.session) == datetime(2030, 1, 1, tzinfo=UTC)

    # Due again by the outbox's backoff, but X said to wait until 2030: nothing is asked of X.
    make_due(db, message)
    assert run_outbox(db).claimed == 0
    assert limited.call_count == 1

    # Once the reset has passed, it goes.
    db.session.get(SiteState, account.POST_WAIT_KEY).value = (utcnow() - timedelta(seconds=1)).isoformat()
    db.session.commit()
    mocked.post(TWEETS_URL, status=201, json=created("77"))
    make_due(db, message)
    assert run_outbox(db).sent == 1
    db.session.refresh(post)
    assert post.status == "sent" and post.x_post_id == "77"
    assert len(mocked.calls) == 2


def test_503_is_retried_with_backoff(x_app, db, editor, mocked):
    post = draft_for(db, make_pledge(db))
    mocked.post(TWEETS_URL, status=503, json=problem(503, "Service Unavailable", "Service Unavailable"))
    message = approve(db, editor, post)

    before = utcnow()
    assert run_outbox(db).retrying == 1
    db.session.refresh(message)
    assert message.status == "pending" and message.attempts == 1
    assert message.next_attempt_at >= before + timedelta(seconds=50)  # backs off rather than hammering X

    mocked.post(TWEETS_URL, status=201, json=created("88"))
    make_due(db, message)
    assert run_outbox(db).sent == 1
    assert len(mocked.calls) == 2


def test_malformed_json_after_a_2xx_is_never_retried(x_app, db, editor, mocked):
    # X may well have created the post; only a person can tell, so it is not sent again.
    post = draft_for(db, make_pledge(db))
    mocked.post(TWEETS_URL, status=201, body="{not json", content_type="application/json")
    message = approve(db, editor, post)

    assert run_outbox(db).failed == 1
    db.session.refresh(post)
    assert post.status == "failed" and "Check the campaign's X account" in post.error
    make_due(db, message)
    assert run_outbox(db).claimed == 0
    assert len(mocked.calls) == 1


class WorkerDied(BaseException):
    """The worker process is killed while X is answering (nothing in the app can catch this)."""


def test_a_worker_dying_mid_send_never_leads_to_a_second_post(x_app, db, editor, mocked):
    post = draft_for(db, make_pledge(db))
    asked = []

    def x_took_it_then_the_worker_died(request):
        asked.append(json.loads(request.body))
        raise WorkerDied()

    mocked.add_callback(responses.POST, TWEETS_URL, callback=x_took_it_then_the_worker_died)
    message = approve(db, editor, post)

    with pytest.raises(WorkerDied):
        run_outbox(db)
    db.session.rollback()  # the process is gone: whatever it had not committed is lost

    db.session.refresh(message)
    assert message.status == "sending" and message.payload.get(social.MARK)

    # The lease runs out and another worker takes the message up again.
    message.claimed_at = utcnow() - outbox.LEASE - timedelta(minutes=1)
    db.session.commit()
    report = run_outbox(db)

    assert report.failed == 1
    assert asked == [{"text": post.text}]  # X was asked only once
    db.session.refresh(post)
    db.session.refresh(message)
    assert message.status == "failed"
    assert post.status == "failed" and post.error == social.NEEDS_CHECK


def test_a_claim_that_never_reached_x_is_sent_by_the_next_worker(x_app, db, editor, mocked):
    post = draft_for(db, make_pledge(db))
    message = approve(db, editor, post)
    # A worker claimed it and died before marking the attempt: X was never asked.
    message.status, message.claimed_at = "sending", utcnow() - outbox.LEASE - timedelta(minutes=1)
    db.session.commit()
    mocked.post(TWEETS_URL, status=201, json=created("99"))

    assert run_outbox(db).sent == 1
    db.session.refresh(post)
    assert post.status == "sent" and post.x_post_id == "99"


def test_staff_can_post_a_maybe_sent_post_again(x_app, db, editor, mocked):
    post = draft_for(db, make_pledge(db))
    post.status, post.error = "failed", social.NEEDS_CHECK
    db.session.commit()
    mocked.post(TWEETS_URL, status=201, json=created("5"))

    message = approve(db, editor, post)

    assert social.MARK not in message.payload
    assert message.dedupe_key == f"social-post-{post.id}-1"
    assert run_outbox(db).sent == 1


# --- the monthly cap ----------------------------------------------------------------------------------


def test_the_monthly_cap_stops_posting_with_a_clear_message(x_app, db, editor, staff_client, mocked):
    x_app.config["X_MONTHLY_POST_CAP"] = 1
    first = draft_for(db, make_pledge(db))
    second = draft_for(db, make_pledge(db, name="Bolton Bricks", slug="bolton-bricks"))
    mocked.post(TWEETS_URL, status=201, json=created("1"))

    approve(db, editor, first)
    assert run_outbox(db).sent == 1
    message = approve(db, editor, second)
    assert run_outbox(db).claimed == 0  # the cap is reached: the post waits, untouched

    assert len(mocked.calls) == 1
    db.session.refresh(message)
    assert message.status == "pending" and message.attempts == 0
    page = text_of(staff_client.get_page("admin.social"))
    assert "Posts this month: 1 of 1" in page
    assert "The monthly limit of 1 posts to X has been reached" in page


def test_a_cap_of_zero_switches_posting_off(x_app, db, editor, mocked):
    x_app.config["X_MONTHLY_POST_CAP"] = 0
    post = draft_for(db, make_pledge(db))
    approve(db, editor, post)
    assert run_outbox(db).claimed == 0
    assert len(mocked.calls) == 0


def test_posts_sent_last_month_do_not_count(x_app, db):
    now = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    db.session.add(OutboxMessage(channel="x", status="sent", sent_at=now - timedelta(hours=1), payload={}))
    db.session.add(OutboxMessage(channel="x", status="sent", sent_at=now, payload={}))
    db.session.commit()
    assert account.sent_this_month(db.session, now) == 1
    assert account.next_month_start(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


# --- staff decisions ------------------------------------------------------------------------------------


def test_skipping_a_queued_post_takes_it_out_of_the_outbox(x_app, db, editor, mocked):
    post = draft_for(db, make_pledge(db))
    message = approve(db, editor, post)
    social.skip(db.session, editor, post)
    db.session.refresh(message)
    assert message.status == "cancelled" and post.status == "skipped"
    assert run_outbox(db).claimed == 0
    assert len(mocked.calls) == 0


def test_a_withdrawn_pledge_is_never_welcomed_and_its_name_is_erased(x_app, db, editor, mocked):
    pledge = make_pledge(db)
    post = draft_for(db, pledge)
    message = approve(db, editor, post)

    managing.withdraw(db.session, pledge)

    db.session.refresh(post)
    db.session.refresh(message)
    assert post.status == "skipped" and "Acme" not in post.text
    assert message.status == "cancelled" and "Acme" not in json.dumps(message.payload)
    assert run_outbox(db).claimed == 0
    assert len(mocked.calls) == 0


def test_a_pledge_hidden_after_approval_is_not_posted(x_app, db, editor, mocked):
    pledge = make_pledge(db)
    post = draft_for(db, pledge)
    message = approve(db, editor, post)
    moderation.hide(db.session, pledge, editor, "Not a real organisation")

    run_outbox(db)

    db.session.refresh(post)
    db.session.refresh(message)
    assert post.status == "skipped" and "no longer live" in post.error
    assert message.status == "cancelled"
    assert len(mocked.calls) == 0


def test_scheduled_post_waits_for_its_time(x_app, db, editor, mocked):
    post = draft_for(db, make_pledge(db))
    when = utcnow() + timedelta(hours=2)
    social.schedule(db.session, editor, post, when, x_app.config)
    message = db.session.get(OutboxMessage, post.outbox_id)
    assert post.status == "scheduled" and message.next_attempt_at == when

    assert run_outbox(db).claimed == 0
    mocked.post(TWEETS_URL, status=201, json=created("3"))
    make_due(db, message)
    assert run_outbox(db).sent == 1
    db.session.refresh(post)
    assert post.status == "sent"


def test_moving_back_to_drafts_then_editing(x_app, db, editor):
    post = draft_for(db, make_pledge(db))
    message = approve(db, editor, post)
    with pytest.raises(social.SocialError):
        social.edit(db.session, editor, post, post.text + " Hello")
    social.unqueue(db.session, editor, post)
    db.session.refresh(message)
    assert message.status == "cancelled" and post.status == "draft"
    social.edit(db.session, editor, post, post.text.replace("Welcome", "A warm welcome"))
    assert post.text.startswith("A warm welcome")


def test_a_post_being_sent_cannot_be_stopped(x_app, db, editor):
    post = draft_for(db, make_pledge(db))
    message = approve(db, editor, post)
    message.status = "sending"
    db.session.commit()
    with pytest.raises(social.SocialError, match="being sent"):
        social.skip(db.session, editor, post)
    db.session.refresh(post)
    assert post.status == "approved"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Enter the text of the post"),
        (
            "Welcome! " * 40 + "http://127.0.0.1:5000/pledges/acme-bakery-ltd",
            "Shorten the post to 280 characters or fewer",
        ),
        ("Welcome, Acme!", "Keep the link to the organisation's page in the post"),
    ],
)
def test_edits_are_checked(x_app, db, editor, text, message):
    post = draft_for(db, make_pledge(db))
    with pytest.raises(social.SocialError, match=message):
        social.edit(db.session, editor, post, text)


def test_x_counts_links_as_23_characters():
    assert social.post_length("Hello https://example.org/a") == len("Hello ") + share.X_URL_LENGTH
    assert social.post_length("Żółć Żółć") == 9  # Latin letters with accents weigh 1
    assert social.post_length("日本") == 4  # most other scripts weigh 2
    assert social.post_length("") == 0
