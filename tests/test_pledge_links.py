"""Emailed links: single-use, hashed, expiring confirmation links; fresh links; signed manage links."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from campaign.models import Pledge, PledgeToken
from campaign.models.common import utcnow
from campaign.services.pledges import signing as pledges
from campaign.services.pledges import tokens
from tests.pages import text_of
from tests.test_pledge_helpers import app_with, emails, manage_path, settings, signed, token_in


def test_links_carry_256_random_bits_and_only_their_hash_is_stored(db):
    pledge, raw = signed(db)
    assert len(raw) >= 43
    stored = db.session.scalar(select(PledgeToken))
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.token_hash}
    assert stored.expires_at - stored.created_at == timedelta(days=7)


def test_an_expired_link_explains_and_offers_a_fresh_one(client, db):
    pledge, raw = signed(db)
    db.session.scalar(select(PledgeToken)).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    page = client.get_page("pledges.confirm", status=410, token=raw)
    assert "This link has expired" in text_of(page)
    assert client.post(f"/pledge/confirm/{raw}").status_code == 410
    assert db.session.get(Pledge, pledge.id).status == "pending"

    form = page.find("form", action="/pledge/resend")
    assert form.find("input", attrs={"name": "token"})["value"] == raw
    response = client.post("/pledge/resend", data={"token": raw})
    assert response.status_code == 303
    client.get_page("pledges.resent")
    fresh = emails(db)[-1]
    assert "You asked for a new link" in fresh.body_text
    new_raw = token_in(fresh.body_text)
    assert new_raw != raw
    assert client.post(f"/pledge/confirm/{new_raw}").status_code == 303
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).status == "confirmed"


def test_a_used_link_explains_and_offers_a_manage_link(client, db):
    pledge, raw = signed(db)
    assert client.post(f"/pledge/confirm/{raw}").status_code == 303
    page = client.get_page("pledges.confirm", status=410, token=raw)
    assert "This link has already been used" in text_of(page)
    assert "nothing more to do" in text_of(page)
    client.post("/pledge/resend", data={"token": raw})
    fresh = emails(db)[-1]
    assert "/pledge/manage/" in fresh.body_text and "/pledge/confirm/" not in fresh.body_text


def test_confirming_uses_every_earlier_link_too(client, db):
    pledge, first = signed(db)
    pledges.resend_for_link(db.session, first, settings())
    second = token_in(emails(db)[-1].body_text)
    assert client.post(f"/pledge/confirm/{second}").status_code == 303
    assert client.post(f"/pledge/confirm/{first}").status_code == 410


def test_an_unknown_link_asks_for_the_email_address(client, db):
    page = client.get_page("pledges.confirm", status=404, token="not-a-real-token")
    assert page.find("input", attrs={"name": "email"})
    assert client.post("/pledge/confirm/not-a-real-token").status_code == 404


def test_fresh_links_are_limited_to_three_a_day_per_pledge(client, db):
    pledge, raw = signed(db)
    statuses = [client.post("/pledge/resend", data={"token": raw}).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    assert len(emails(db)) == 1 + 3
    page = client.post_page("/pledge/resend", data={"token": raw}, status=429)
    assert "at most 3 new links a day" in text_of(page)
    # The limit is per pledge and per day: tomorrow it resets.
    for message in emails(db):
        message.created_at = utcnow() - timedelta(days=1, minutes=1)
    db.session.commit()
    assert client.post("/pledge/resend", data={"token": raw}).status_code == 303


def test_asking_by_email_answers_the_same_whether_or_not_the_address_signed(client, db):
    signed(db)
    unknown = client.post("/pledge/resend", data={"email": "nobody@example.com"})
    known = client.post("/pledge/resend", data={"email": "SAM+x@PendlePies.example.co.uk"})
    assert unknown.status_code == known.status_code == 303
    assert unknown.headers["Location"] == known.headers["Location"]
    assert [m.recipient for m in emails(db)] == ["sam@pendlepies.example.co.uk"] * 2
    page = client.post_page("/pledge/resend", data={"email": "nope"}, status=400)
    assert "Enter an email address in the correct format" in text_of(page)


def test_post_moderation_puts_a_confirmed_pledge_live_at_once(_postgres_schema):
    with app_with(PLEDGE_MODERATION="post", STAFF_NOTIFY_EMAIL="staff@example.gov.uk") as app:
        from campaign.extensions import db

        client = app.test_client()
        pledge, raw = signed(db)
        response = client.post(f"/pledge/confirm/{raw}")
        thanks = client.get_page("pledges.thank_you", slug=pledge.slug)
        assert "on the pledge wall now" in text_of(thanks)
        pledge = db.session.get(Pledge, pledge.id)
        assert response.status_code == 303 and pledge.status == "live" and pledge.needs_review
        subjects = [m.subject for m in emails(db)]
        assert "Your Backing Lancashire pledge is live" in subjects and "New Backing Lancashire pledge" in subjects
        assert "Pendle Pies Ltd" in text_of(client.get_page("pledges.wall"))


def test_the_thank_you_page_is_only_for_who_confirmed(client, db):
    pledge, raw = signed(db)
    client.get_page("pledges.thank_you", status=404, slug=pledge.slug)
    client.post(f"/pledge/confirm/{raw}")
    page = client.get_page("pledges.thank_you", slug=pledge.slug)
    assert "Our staff check every pledge" in text_of(page)
    assert page.find("a", href=lambda href: href and href.startswith("https://x.com/intent/tweet"))


def test_manage_links_are_signed_and_stop_working_when_the_version_changes(client, db):
    pledge, _ = signed(db)
    path = manage_path(pledge)
    assert "Manage your pledge" in text_of(client.get_page("pledges.manage", token=path.rsplit("/", 1)[1]))
    assert client.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 404
    assert client.get(f"/pledge/manage/{tokens.manage_token(pledge, 'another-secret')}").status_code == 404
    pledge.manage_version += 1
    db.session.commit()
    page = client.get(path)
    assert page.status_code == 404 and "This link no longer works" in page.get_data(as_text=True)


def test_an_old_manage_link_expires(client, db, monkeypatch):
    pledge, _ = signed(db)
    monkeypatch.setattr(tokens, "MANAGE_MAX_AGE", timedelta(seconds=-1))
    assert "This link has expired" in client.get(manage_path(pledge)).get_data(as_text=True)


def test_pages_behind_secret_links_are_never_cached_or_referred(client, db):
    pledge, raw = signed(db)
    for path in (f"/pledge/confirm/{raw}", manage_path(pledge)):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store, private"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "noindex" in response.headers["X-Robots-Tag"]
