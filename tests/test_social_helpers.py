"""Helpers for the X and sharing tests: the X keys, a strict HTTP mock, signed-in staff and pledge rows.

Plain functions, imported by tests/test_social_*.py, tests/test_share_pages.py, test_cards.py and
test_meta_tags.py; each of those files keeps its own small fixtures.
"""

from __future__ import annotations

import responses

from campaign.models import Pledge, SocialPost, StaffUser
from campaign.models.common import utcnow
from campaign.services.x import posts as social

TWEETS_URL = "https://api.twitter.com/2/tweets"
SEARCH_URL = "https://api.twitter.com/2/tweets/search/recent"
X_KEYS = {
    "X_API_KEY": "test-api-key",
    "X_API_SECRET": "test-api-secret",
    "X_ACCESS_TOKEN": "test-access-token",
    "X_ACCESS_TOKEN_SECRET": "test-access-secret",
    "X_BEARER_TOKEN": "test-bearer-token",
}
PASSWORD = "a-long-enough-password"
RESET_EPOCH = 1_893_456_000  # 2030-01-01 00:00:00 UTC
SITE = "http://127.0.0.1:5000"  # TestConfig's SITE_URL


def x_mock() -> responses.RequestsMock:
    """A responses mock, to use with `with`, that lets nothing through and insists every answer is used."""
    return responses.RequestsMock(assert_all_requests_are_fired=True, passthru_prefixes=())


def sign_in_editor(client, db) -> StaffUser:
    """Add an editor (not an admin) and sign the client in as them."""
    from campaign.services import staff

    editor = staff.create(db.session, "editor@example.org", "Eddie Editor", "editor", PASSWORD)
    response = client.post("/admin/sign-in", data={"email": editor.email, "password": PASSWORD})
    assert response.status_code == 302
    return editor


def make_pledge(
    db,
    name: str = "Acme Bakery Ltd",
    slug: str = "acme-bakery-ltd",
    status: str = "live",
    welcome: bool = True,
    **extra,
) -> Pledge:
    """A pledge row as the pledge service leaves it."""
    pledge = Pledge(
        organisation_name=name,
        name_key=name.lower(),
        slug=slug,
        org_type="business",
        size="small",
        sector="construction",
        area="elsewhere",
        status=status,
        welcome_on_x=welcome,
        consent_listed=True,
        contact_email=f"{slug}@example.org",
        email_key=f"{slug}@example.org",
        live_at=utcnow() if status == "live" else None,
        **extra,
    )
    db.session.add(pledge)
    db.session.commit()
    return pledge


def draft_for(db, pledge: Pledge) -> SocialPost:
    """Queue the welcome draft for a pledge, as going live does, and save it."""
    post = social.queue_welcome(db.session, pledge)
    db.session.commit()
    return post
