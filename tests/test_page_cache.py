"""Public pages are cached per content version, and any public change shows at once."""

from sqlalchemy import select

from campaign.models import HeadlineFigure, Pledge, SiteState
from campaign.services.cache import VERSION_KEY


def version(db):
    return db.session.scalar(select(SiteState.value).where(SiteState.key == VERSION_KEY))


def test_publishing_a_figure_changes_the_cached_home_page_at_once(client, seeded, db):
    first = client.get("/")
    assert b"invested back into Lancashire" in first.data
    figure = db.session.scalar(select(HeadlineFigure).where(HeadlineFigure.slug == "invested-since-2017"))
    figure.label = "a changed label for this test"
    db.session.commit()
    second = client.get("/")
    assert b"a changed label for this test" in second.data
    assert second.headers["ETag"] != first.headers["ETag"]


def test_unchanged_page_answers_304_to_its_etag_and_200_after_a_change(client, seeded, db):
    etag = client.get("/figures").headers["ETag"]
    assert client.get("/figures", headers={"If-None-Match": etag}).status_code == 304
    figure = db.session.scalar(select(HeadlineFigure).limit(1))
    figure.published = False
    db.session.commit()
    assert client.get("/figures", headers={"If-None-Match": etag}).status_code == 200


def test_a_pending_pledge_does_not_invalidate_public_pages(db, seeded):
    before = version(db)
    db.session.add(Pledge(organisation_name="Pending Ltd", name_key="pending", org_type="business", size="small",
                          sector="retail", area="preston", status="pending"))
    db.session.commit()
    assert version(db) == before


def test_a_pledge_going_live_invalidates_public_pages(db, seeded):
    pledge = Pledge(organisation_name="Live Ltd", name_key="live", org_type="business", size="small",
                    sector="retail", area="preston", status="pending")
    db.session.add(pledge)
    db.session.commit()
    before = version(db)
    pledge.status = "live"
    db.session.commit()
    assert version(db) != before


def test_visitors_with_a_session_get_a_private_copy(client, seeded):
    client.set_cookie("session", "something")
    response = client.get("/")
    assert response.headers["Cache-Control"].startswith("private")
