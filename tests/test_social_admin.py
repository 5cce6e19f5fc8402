"""The staff page for X at /admin/social: drafts, approvals, scheduling, and saying when X is not connected."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from campaign.formatting import UK
from campaign.models import AuditEvent, OutboxMessage
from campaign.models.common import utcnow
from tests.pages import text_of
from tests.test_social_helpers import X_KEYS, draft_for, make_pledge, sign_in_editor
from tests.test_x_client import no_network  # noqa: F401  (autouse: nothing may leave the machine)


@pytest.fixture
def x_app(app):
    """The test app with the campaign's X keys set."""
    app.config.update(X_KEYS)
    return app


@pytest.fixture
def staff_client(client, db):
    """The test client, signed in as an editor."""
    sign_in_editor(client, db)
    return client


def test_admin_page_needs_sign_in(client):
    response = client.get("/admin/social")
    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]


def test_without_x_keys_the_page_says_x_is_not_connected_and_nothing_fails(app, db, staff_client):
    post = draft_for(db, make_pledge(db))
    soup = staff_client.get_page("admin.social")
    page = text_of(soup)
    assert "X is not connected" in page
    assert "X_API_KEY" in page and "X_BEARER_TOKEN" in page
    assert "Welcome post for Acme Bakery Ltd" in page

    # Approving is refused with a clear message, and nothing is queued.
    soup = staff_client.post_page(f"/admin/social/posts/{post.id}/approve", {}, status=409)
    assert "X is not connected" in text_of(soup.find(class_="notice--error"))
    assert soup.title.get_text().startswith("Error: ")
    assert db.session.scalars(select(OutboxMessage)).all() == []
    # Editing and skipping still work.
    staff_client.get_page("admin.social_post", post_id=post.id)
    assert staff_client.post(f"/admin/social/posts/{post.id}/skip").status_code == 302
    db.session.refresh(post)
    assert post.status == "skipped"


def test_connected_page_shows_the_cap_and_drafts(x_app, db, staff_client):
    draft_for(db, make_pledge(db))
    page = text_of(staff_client.get_page("admin.social"))
    assert "X is connected" in page
    assert "Posts this month: 0 of 100" in page
    assert "X counts it as" in page


def test_staff_edit_a_draft(x_app, db, staff_client):
    post = draft_for(db, make_pledge(db))
    soup = staff_client.get_page("admin.social_post", post_id=post.id)
    assert soup.find("textarea", id="text").get_text().strip() == post.text

    new_text = post.text.replace("Welcome", "A big welcome")
    response = staff_client.post(f"/admin/social/posts/{post.id}", data={"text": new_text})
    assert response.status_code == 302
    db.session.refresh(post)
    assert post.text == new_text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "social_post"))
    assert event.action == "edit" and event.staff_email == "editor@example.org"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Enter the text of the post"),
        ("x" * 300, "Shorten the post to 280 characters or fewer"),
        ("Welcome Acme!", "Keep the link to the organisation's page in the post"),
    ],
)
def test_a_bad_edit_is_shown_with_an_instruction_and_saves_nothing(x_app, db, staff_client, text, message):
    post = draft_for(db, make_pledge(db))
    original = post.text
    soup = staff_client.post_page(f"/admin/social/posts/{post.id}", {"text": text}, status=400)
    assert soup.title.get_text().startswith("Error: ")
    summary = soup.find(class_="error-summary")
    assert message in text_of(summary)
    assert summary.find("a")["href"] == "#text"
    db.session.refresh(post)
    assert post.text == original


def test_staff_schedule_a_post_in_uk_time(x_app, db, staff_client):
    post = draft_for(db, make_pledge(db))
    when = (utcnow() + timedelta(days=2)).astimezone(UK).replace(second=0, microsecond=0)
    response = staff_client.post(
        f"/admin/social/posts/{post.id}/schedule", data={"schedule-when": when.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    db.session.refresh(post)
    assert post.status == "scheduled" and post.scheduled_for == when
    message = db.session.get(OutboxMessage, post.outbox_id)
    assert message.next_attempt_at == when
    assert "Scheduled for" in text_of(staff_client.get_page("admin.social"))


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "Enter the date and time to post"),
        ("next tuesday", "Enter the date and time to post as a real date and time"),
        ("2001-01-01T09:00", "Enter a time in the future"),
    ],
)
def test_a_bad_schedule_time_gets_an_instruction(x_app, db, staff_client, value, message):
    post = draft_for(db, make_pledge(db))
    soup = staff_client.post_page(f"/admin/social/posts/{post.id}/schedule", {"schedule-when": value}, status=400)
    summary = soup.find(class_="error-summary")
    assert message in text_of(summary)
    assert summary.find("a")["href"] == "#schedule-when"
    db.session.refresh(post)
    assert post.status == "draft"


def test_approve_then_move_back_then_skip(x_app, db, staff_client):
    post = draft_for(db, make_pledge(db))
    assert staff_client.post(f"/admin/social/posts/{post.id}/approve").status_code == 302
    db.session.refresh(post)
    assert post.status == "approved"
    assert "Waiting to go out" in text_of(staff_client.get_page("admin.social"))
    assert staff_client.post(f"/admin/social/posts/{post.id}/unqueue").status_code == 302
    db.session.refresh(post)
    assert post.status == "draft"
    assert staff_client.post(f"/admin/social/posts/{post.id}/skip").status_code == 302
    db.session.refresh(post)
    assert post.status == "skipped"
    # Approving a skipped post is refused with a message, not a 500.
    soup = staff_client.post_page(f"/admin/social/posts/{post.id}/approve", {}, status=409)
    assert "not a draft" in text_of(soup)


def test_unknown_posts_and_actions_are_404(x_app, db, staff_client):
    assert staff_client.get("/admin/social/posts/999").status_code == 404
    assert staff_client.post("/admin/social/posts/999/approve").status_code == 404
    post = draft_for(db, make_pledge(db))
    assert staff_client.post(f"/admin/social/posts/{post.id}/explode").status_code == 404
    assert staff_client.post("/admin/social/hashtag/999/approve").status_code == 404


def test_actions_need_a_csrf_token(x_app, db, staff_client):
    post = draft_for(db, make_pledge(db))
    x_app.config["WTF_CSRF_ENABLED"] = True  # read on each request, so this switches the check on
    assert staff_client.post(f"/admin/social/posts/{post.id}/skip").status_code == 400
    assert staff_client.post(f"/admin/social/posts/{post.id}", data={"text": "x"}).status_code == 400
    db.session.refresh(post)
    assert post.status == "draft"
    # The page's own forms carry the token.
    soup = staff_client.get_page("admin.social")
    for form in soup.find_all("form", method="post"):
        assert form.find("input", attrs={"name": "csrf_token"})
