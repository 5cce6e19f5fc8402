"""X is down (503, then refusing connections): the site carries on, and approved posts wait in the outbox.

tweepy's real code runs against `responses`, which answers as X would and lets nothing out;
the socket guard from test_x_client fails any attempt to reach the network.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
import responses
from sqlalchemy import select, update

from campaign.models import HashtagPost, OutboxMessage, Pledge, SocialPost
from campaign.models.common import utcnow
from campaign.services import outbox
from campaign.services.x import posts as social
from tests.factories import make_staff, signed_in
from tests.pages import PageClient, text_of
from tests.test_forms_csrf import fresh_request_globals
from tests.test_pledge_helpers import form_data, live
from tests.test_social_posts import X_KEYS
from tests.test_x_client import no_network  # noqa: F401  (autouse: nothing may leave the machine)

TWEETS_URL = "https://api.twitter.com/2/tweets"
SEARCH_URL = "https://api.twitter.com/2/tweets/search/recent"
DOWN = {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503}


@pytest.fixture
def x_app(app):
    """The site with the campaign's X keys set, and emails going to the development mailbox."""
    app.config.update(X_KEYS, SHOW_DEV_MAIL=True)
    app.test_client_class = PageClient
    fresh_request_globals(app)
    return app


@pytest.fixture
def x_api():
    """Every call to X recorded; whatever is not set up is refused, so nothing leaves the machine."""
    with responses.RequestsMock(assert_all_requests_are_fired=False, passthru_prefixes=()) as rsps:
        yield rsps


@pytest.fixture
def staff(x_app, db):
    """A client signed in as an editor."""
    return signed_in(x_app.test_client(), make_staff(db, role="editor"))


def x_messages(db) -> list[OutboxMessage]:
    """Every X message in the outbox, read afresh."""
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "x")))


def make_all_due(db) -> None:
    """Time passes: every waiting message falls due."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending").values(next_attempt_at=utcnow()))
    db.session.commit()


def the_public_site_works(client, slug: str) -> None:
    """Every public page that could touch X answers normally."""
    for endpoint, values in [
        ("public.home", {}), ("pledges.wall", {}), ("pledges.organisation", {"slug": slug}), ("social.wall", {}),
        ("public.figures_page", {}), ("api.open_data", {}),
    ]:
        client.get_page(endpoint, **values)
    for url in (f"/cards/pledges/{slug}.png", "/cards/campaign.png", "/api/figures.json", "/api/pledges.json"):
        assert client.get(url).status_code == 200, url


def test_the_site_carries_on_and_the_welcome_post_waits_until_x_is_back(x_app, db, staff, x_api):
    down = x_api.post(TWEETS_URL, status=503, json=DOWN)
    search_down = x_api.get(SEARCH_URL, status=503, json=DOWN)
    pledge = live(db, organisation_name="Ribble Rivets Ltd", contact_email="rita@ribble.example.co.uk",
                  postcode=None, welcome_on_x=True)
    db.session.add(HashtagPost(x_id="42", author_username="lancs_fan", author_name="Fan", text="Go #BackingLancashire",
                               posted_at=utcnow(), url="https://x.com/lancs_fan/status/42", status="approved"))
    db.session.commit()
    post = db.session.scalar(select(SocialPost).where(SocialPost.pledge_id == pledge.id))
    assert post is not None and post.status == "draft"

    # Staff approve the welcome while X is down: it is queued, not sent from the request.
    assert staff.post(f"/admin/social/posts/{post.id}/approve").status_code == 302
    [message] = x_messages(db)
    assert message.status == "pending"

    # The public site and sign-ups carry on, and no page waits on X.
    visitor = x_app.test_client()
    the_public_site_works(visitor, pledge.slug)
    response = visitor.post("/pledge", data=form_data(organisation_name="Fylde Fabrics Ltd",
                                                       contact_email="fay@fylde.example.co.uk", postcode=None))
    assert response.status_code == 303
    assert "Check your email" in text_of(visitor.get_page("pledges.check_email"))
    assert "Welcome" in text_of(staff.get_page("admin.social"))
    assert down.call_count == 0 and search_down.call_count == 0

    # The worker tries X, which answers 503: the post waits with backoff; emails still go.
    before = utcnow()
    report = outbox.send_due(db.session, "worker-1")
    assert report.retrying == 1 and report.sent >= 1
    [message] = x_messages(db)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.next_attempt_at >= before + timedelta(seconds=50)
    assert social.MARK not in (message.payload or {})
    assert down.call_count == 1
    emails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
    assert emails and {m.status for m in emails} == {"sent"}
    assert outbox.send_due(db.session, "worker-1").claimed == 0  # not due yet: X is not hammered

    # Next time X refuses the connection altogether: still waiting, backing off further.
    x_api.replace(responses.POST, TWEETS_URL, body=requests.ConnectionError("Connection refused"))
    make_all_due(db)
    before = utcnow()
    assert outbox.send_due(db.session, "worker-1").retrying == 1
    [message] = x_messages(db)
    assert (message.status, message.attempts) == ("pending", 2)
    assert message.next_attempt_at >= before + timedelta(seconds=110)
    db.session.refresh(post)
    assert post.status == "approved" and "Could not reach X" in post.error

    # The hashtag fetch fails cleanly and keeps what the wall already shows.
    result = x_app.test_cli_runner().invoke(args=["social", "fetch"])
    assert result.exit_code == 1 and "503" in result.output
    assert "Go #BackingLancashire" in text_of(visitor.get_page("social.wall"))

    # X is back: the post goes once, and never again.
    x_api.replace(responses.POST, TWEETS_URL, status=201,
                  json={"data": {"id": "1790000000000000777", "text": post.text, "edit_history_tweet_ids": ["1"]}})
    make_all_due(db)
    assert outbox.send_due(db.session, "worker-1").sent == 1
    make_all_due(db)
    assert outbox.send_due(db.session, "worker-2").claimed == 0
    posted = [call for call in x_api.calls if call.request.method == "POST"]
    assert len(posted) == 3  # 503, refused, then the one that worked
    assert all(json.loads(call.request.body) == {"text": post.text} for call in posted)
    [message] = x_messages(db)
    assert (message.status, message.external_id) == ("sent", "1790000000000000777")
    db.session.refresh(post)
    assert post.status == "sent" and post.x_post_id == "1790000000000000777"


def test_approving_pledges_while_x_is_down_only_drafts_welcomes(x_app, db, staff, x_api):
    x_api.post(TWEETS_URL, status=503, json=DOWN)
    pledges_ = [
        live(db, organisation_name=f"Welcome Me {n} Ltd", contact_email=f"boss@welcome{n}.example.org",
             postcode=None, welcome_on_x=True)
        for n in range(3)
    ]
    assert len(x_api.calls) == 0
    drafts = db.session.scalars(select(SocialPost)).all()
    assert sorted(d.pledge_id for d in drafts) == sorted(p.id for p in pledges_)
    assert {d.status for d in drafts} == {"draft"}
    for draft in drafts:
        assert staff.post(f"/admin/social/posts/{draft.id}/approve").status_code == 302
    assert len(x_api.calls) == 0
    report = outbox.send_due(db.session, "worker-1")
    assert report.retrying == 3 and report.failed == 0
    assert [m.status for m in x_messages(db)] == ["pending"] * 3
    assert set(db.session.scalars(select(Pledge.status))) == {"live"}
