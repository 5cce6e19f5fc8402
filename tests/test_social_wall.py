"""The #BackingLancashire wall: `flask social fetch`, staff approval, and the public pages showing posts as text.

Search answers come from `responses`, shaped as X's v2 recent search answers; nothing leaves the machine.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from campaign.models import HashtagPost, SiteState
from campaign.models.common import utcnow
from campaign.services.x import account
from tests.pages import text_of
from tests.test_social_helpers import RESET_EPOCH, SEARCH_URL, X_KEYS, sign_in_editor, x_mock
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
def staff_client(client, db):
    """The test client, signed in as an editor."""
    sign_in_editor(client, db)
    return client


def page_of(*posts: tuple[str, str, str], next_token: str | None = None) -> dict:
    """One page of search results: (id, username, text) each, with their authors expanded."""
    users = {
        username: {"id": f"u-{username}", "username": username, "name": username.title()} for _, username, _ in posts
    }
    meta = {"result_count": len(posts)}
    if posts:
        meta.update(newest_id=max((p[0] for p in posts), key=int), oldest_id=min((p[0] for p in posts), key=int))
    if next_token:
        meta["next_token"] = next_token
    body = {"meta": meta}
    if posts:
        body["data"] = [
            {
                "id": post_id,
                "text": text,
                "author_id": f"u-{username}",
                "created_at": "2026-03-02T09:30:00.000Z",
                "edit_history_tweet_ids": [post_id],
            }
            for post_id, username, text in posts
        ]
        body["includes"] = {"users": list(users.values())}
    return body


def stored(db) -> list[HashtagPost]:
    """Every stored hashtag post, by X id."""
    return list(db.session.scalars(select(HashtagPost).order_by(HashtagPost.x_id)))


def since_id(db) -> str | None:
    """Where the last fetch stopped."""
    row = db.session.get(SiteState, account.SINCE_ID_KEY)
    return row.value if row else None


def fetch(app):
    """Run `flask social fetch` and return the result."""
    return app.test_cli_runner().invoke(args=["social", "fetch"])


def test_fetch_stores_new_posts_for_review_and_remembers_where_it_stopped(x_app, db, mocked):
    mocked.get(
        SEARCH_URL,
        json=page_of(
            ("101", "amy", "Proud to be #BackingLancashire & local"), ("102", "bob", "We signed! #BackingLancashire")
        ),
    )
    result = fetch(x_app)
    assert result.exit_code == 0, result.output
    assert "2 new for review" in result.output
    posts = stored(db)
    assert [(p.x_id, p.author_username, p.status) for p in posts] == [
        ("101", "amy", "pending"),
        ("102", "bob", "pending"),
    ]
    assert posts[0].text == "Proud to be #BackingLancashire & local"
    assert posts[0].url == "https://x.com/amy/status/101"
    assert posts[0].posted_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert since_id(db) == "102"
    query = parse_qs(urlsplit(mocked.calls[0].request.url).query)
    assert query["query"] == ["#BackingLancashire -is:retweet"] and "since_id" not in query
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer test-bearer-token"

    # The next run asks only for newer posts, and a post seen again is not stored twice.
    mocked.get(SEARCH_URL, json=page_of(("102", "bob", "We signed! #BackingLancashire"), ("103", "cat", "Hello")))
    result = fetch(x_app)
    assert "1 new for review" in result.output
    assert parse_qs(urlsplit(mocked.calls[1].request.url).query)["since_id"] == ["102"]
    assert [p.x_id for p in stored(db)] == ["101", "102", "103"]
    assert since_id(db) == "103"


def test_an_empty_search_changes_nothing(x_app, db, mocked):
    db.session.add(SiteState(key=account.SINCE_ID_KEY, value="500"))
    db.session.commit()
    mocked.get(SEARCH_URL, json={"meta": {"result_count": 0}})
    assert fetch(x_app).exit_code == 0
    assert stored(db) == [] and since_id(db) == "500"


@pytest.mark.parametrize(
    "answer",
    [
        dict(
            status=429,
            json={"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
            headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(RESET_EPOCH)},
        ),
        dict(status=503, json={"title": "Service Unavailable", "detail": "Service Unavailable", "status": 503}),
        dict(status=401, json={"title": "Unauthorized", "detail": "Unauthorized", "status": 401}),
        dict(status=200, body="{not json", content_type="application/json"),
    ],
    ids=["429", "503", "401", "malformed"],
)
def test_a_failed_fetch_leaves_what_was_stored_untouched(x_app, db, mocked, answer):
    db.session.add(
        HashtagPost(
            x_id="1",
            author_username="amy",
            text="Kept",
            posted_at=utcnow(),
            url="https://x.com/amy/status/1",
            status="approved",
        )
    )
    db.session.add(SiteState(key=account.SINCE_ID_KEY, value="1"))
    db.session.commit()
    mocked.get(SEARCH_URL, **answer)

    result = fetch(x_app)

    assert result.exit_code == 1
    assert [(p.x_id, p.text, p.status) for p in stored(db)] == [("1", "Kept", "approved")]
    assert since_id(db) == "1"
    assert account.status(db.session, x_app.config).fetch_error


def test_after_a_429_the_next_fetch_waits_for_the_reset(x_app, db, mocked):
    mocked.get(
        SEARCH_URL,
        status=429,
        json={"title": "Too Many Requests", "status": 429},
        headers={"x-rate-limit-reset": str(RESET_EPOCH)},
    )
    assert fetch(x_app).exit_code == 1
    result = fetch(x_app)  # no second request: responses would refuse it
    assert result.exit_code == 0
    assert "wait" in result.output
    assert len(mocked.calls) == 1


def test_fetch_without_x_keys_says_so_and_does_not_fail(app, db, mocked):
    result = fetch(app)
    assert result.exit_code == 0
    assert "X is not connected" in result.output
    assert len(mocked.calls) == 0


def test_nothing_is_public_until_approved_and_posts_show_as_escaped_text(x_app, db, client, staff_client):
    db.session.add_all(
        [
            HashtagPost(
                x_id="1",
                author_username="amy",
                author_name="Amy",
                posted_at=utcnow() - timedelta(hours=3),
                text="<script>alert('x')</script> Backing local! #BackingLancashire",
                url="https://x.com/amy/status/1",
            ),
            HashtagPost(
                x_id="2",
                author_username="bob",
                author_name="Bob",
                posted_at=utcnow() - timedelta(hours=2),
                text="Not yet approved",
                url="https://x.com/bob/status/2",
            ),
        ]
    )
    db.session.commit()
    assert "Backing local" not in text_of(client.get_page("social.wall"))

    first = db.session.scalar(select(HashtagPost).where(HashtagPost.x_id == "1"))
    response = staff_client.post(f"/admin/social/hashtag/{first.id}/approve")
    assert response.status_code == 302
    staff_client.post("/admin/sign-out")

    response = client.get("/social")
    html = response.get_data(as_text=True)
    page = text_of(client.get_page("social.wall"))
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "Backing local!" in page and "Not yet approved" not in page
    assert "@amy" in page
    # No embedded X widgets or scripts: every script is the site's own.
    soup = client.get_page("social.wall")
    assert all(tag["src"].startswith("/static/") for tag in soup.find_all("script"))
    assert not soup.find_all("iframe") and "platform.twitter.com" not in html and "widgets.js" not in html


def test_hidden_posts_leave_the_wall(x_app, db, client, staff_client):
    db.session.add(
        HashtagPost(
            x_id="1",
            author_username="amy",
            text="Was shown",
            posted_at=utcnow(),
            url="https://x.com/amy/status/1",
            status="approved",
        )
    )
    db.session.commit()
    post = db.session.scalar(select(HashtagPost))
    assert staff_client.post(f"/admin/social/hashtag/{post.id}/hide").status_code == 302
    db.session.refresh(post)
    assert post.status == "rejected"
    staff_client.post("/admin/sign-out")
    assert "Was shown" not in text_of(client.get_page("social.wall"))


def test_home_shows_the_latest_three_approved_posts(seeded, client):
    now = utcnow()
    for number in range(5):
        seeded.session.add(
            HashtagPost(
                x_id=str(number + 1),
                author_username=f"user{number}",
                text=f"Post number {number}",
                posted_at=now - timedelta(hours=10 - number),
                url=f"https://x.com/u/status/{number}",
                status="approved",
            )
        )
    seeded.session.add(
        HashtagPost(
            x_id="99", author_username="late", text="Pending post", posted_at=now, url="https://x.com/u/status/99"
        )
    )
    seeded.session.commit()
    page = text_of(client.get_page("public.home"))
    assert "Post number 4" in page and "Post number 3" in page and "Post number 2" in page
    assert "Post number 1" not in page and "Pending post" not in page
    assert "See more #BackingLancashire posts" in page


def test_the_wall_pages_through_older_posts(db, client):
    now = utcnow()
    for number in range(35):
        db.session.add(
            HashtagPost(
                x_id=str(number + 1),
                author_username="amy",
                text=f"Post {number}",
                posted_at=now - timedelta(minutes=number),
                url=f"https://x.com/amy/status/{number}",
                status="approved",
            )
        )
    db.session.commit()
    first = client.get_page("social.wall")
    assert len(first.select(".x-post")) == 30
    second = client.get_page("social.wall", page=2)
    assert len(second.select(".x-post")) == 5
    assert "page 2 of 2" in second.title.get_text()
    client.get_page("social.wall", status=404, page=3)
    client.get_page("social.wall", status=404, page=0)


def test_empty_wall_invites_people_to_post(db, client):
    assert "yours could be the first" in text_of(client.get_page("social.wall"))
