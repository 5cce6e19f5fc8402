"""/images/<token> serves only images public pages show, under addresses nobody can count through (issue 13)."""

from __future__ import annotations

import io

from PIL import Image

from campaign.models import CaseStudy
from campaign.services.images import verify_and_store
from campaign.services.pledges import moderation
from tests.factories import make_staff, signed_in
from tests.test_pledge_helpers import live, settings, signed


def _logo():
    output = io.BytesIO()
    Image.new("RGB", (12, 12), "red").save(output, "PNG")
    return verify_and_store(output.getvalue())


def _with_logo(db, pledge):
    pledge.logo = _logo()
    db.session.commit()
    return f"/images/{pledge.logo.token}"


def test_a_live_pledges_logo_is_served_with_a_short_public_cache(client, db):
    url = _with_logo(db, live(db))
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "immutable" not in response.headers["Cache-Control"] and response.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_addresses_cannot_be_counted_through(client, db):
    pledge = live(db)
    _with_logo(db, pledge)
    token = pledge.logo.token
    assert len(token) >= 20 and token != str(pledge.logo.id)
    assert client.get(f"/images/{pledge.logo.id}").status_code == 404
    other = live(db, organisation_name="Other Ltd", contact_email="o@other.example.org", postcode="PR1 1AA")
    _with_logo(db, other)
    assert other.logo.token != token


def test_pending_hidden_and_withdrawn_pledges_logos_give_404(client, db):
    pending, _ = signed(db)
    assert client.get(_with_logo(db, pending)).status_code == 404

    hidden = live(db, organisation_name="Hidden Ltd", contact_email="h@hidden.example.org", postcode="PR1 1AB")
    url = _with_logo(db, hidden)
    assert client.get(url).status_code == 200
    moderation.hide(db.session, hidden, None, "Not a real organisation")
    assert client.get(url).status_code == 404


def test_a_logo_awaiting_review_is_not_public_under_pre_moderation(client, db):
    pledge = live(db)
    url = _with_logo(db, pledge)
    pledge.needs_review = True
    db.session.commit()
    assert client.get(url).status_code == 404


def test_a_draft_case_studys_picture_is_not_public_until_published(client, db):
    study = CaseStudy(slug="draft-study", title="Draft", summary="Summary", status="draft", image=_logo(), image_alt="Alt")
    db.session.add(study)
    db.session.commit()
    url = f"/images/{study.image.token}"
    assert client.get(url).status_code == 404
    study.status = "published"
    db.session.commit()
    assert client.get(url).status_code == 200


def test_staff_see_images_waiting_for_review_and_no_cache_keeps_them(client, db):
    pending, _ = signed(db)
    url = _with_logo(db, pending)
    signed_in(client, make_staff(db))
    response = client.get(url)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]


def test_the_owner_sees_their_own_logo_on_the_manage_page_before_it_is_public(client, db):
    from tests.test_pledge_helpers import manage_path

    pending, _ = signed(db)
    _with_logo(db, pending)
    page = client.get(manage_path(pending)).get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page


def test_share_cards_still_show_a_live_logo(client, db):
    pledge = live(db)
    _with_logo(db, pledge)
    assert client.get(f"/cards/pledges/{pledge.slug}.png").status_code == 200
    assert settings().moderation in ("pre", "post")
