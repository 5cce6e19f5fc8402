"""Issue 12: the home page's live count and newest signatories, and the printable certificate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaign.services.pledges import managing
from tests.pages import text_of
from tests.test_pledge_helpers import emails, live, manage_path, path_in, settings, signed
from tests.test_social_helpers import make_pledge


def _home_wall(soup):
    return soup.find("section", attrs={"aria-labelledby": "wall-title"})


def test_home_counts_live_pledges_and_links_the_newest(client, seeded, db):
    older = make_pledge(db, name="Older Ltd", slug="older-ltd")
    older.live_at -= timedelta(days=2)
    db.session.commit()
    make_pledge(db, name="Newer & Co", slug="newer-co")
    make_pledge(db, name="Waiting Ltd", slug="waiting-ltd", status="confirmed")
    make_pledge(db, name="Hidden Ltd", slug="hidden-ltd", status="hidden")
    section = _home_wall(client.get_page("public.home"))
    text = text_of(section)
    assert "2 organisations have signed the pledge" in text
    names = [a.get_text() for a in section.find("ul").find_all("a")]
    assert names == ["Newer & Co", "Older Ltd"]
    assert section.find("a", string="Newer & Co")["href"] == "/pledges/newer-co"
    assert "Waiting Ltd" not in text and "Hidden Ltd" not in text
    assert section.find("a", href="/social")


def test_home_shows_at_most_five_newest(client, seeded, db):
    for number in range(7):
        make_pledge(db, name=f"Org {number}", slug=f"org-{number}")
    section = _home_wall(client.get_page("public.home"))
    assert len(section.find("ul").find_all("li")) == 5
    assert "7 organisations" in text_of(section)


def test_home_with_no_pledges_invites_the_first(client, seeded):
    section = _home_wall(client.get_page("public.home"))
    assert "No organisation is on the pledge wall yet" in text_of(section)


def test_home_count_is_cached_and_changes_when_a_pledge_goes_live(client, seeded, db):
    first = client.get("/")
    assert first.headers["Cache-Control"].startswith("public")
    pledge = make_pledge(db, name="Soon Live Ltd", slug="soon-live", status="confirmed")
    assert client.get("/").headers["ETag"] == first.headers["ETag"]  # not live: the cached page stands
    pledge.status = "live"
    pledge.live_at = pledge.created_at
    db.session.commit()
    second = client.get("/")
    assert second.headers["ETag"] != first.headers["ETag"]
    assert b"Soon Live Ltd" in second.data


def test_certificate_shows_the_pledge_and_only_ticked_commitments(client, db):
    pledge = live(db, commitments=["living_wage", "environment"])
    soup = client.get_page("pledges.certificate", slug=pledge.slug)
    text = text_of(soup)
    assert " ".join(soup.find("h1").get_text().split()) == "Pledge certificate: Pendle Pies Ltd"
    assert "We, Pendle Pies Ltd, support ‘Backing Lancashire’" in text
    assert "Pay the real Living Wage" in text and "Reduce our environmental impact" in text
    assert "Create local jobs" not in text and "Buy from Lancashire suppliers" not in text
    assert pledge.live_at.strftime("%B %Y") in text
    for private in ("Sam Baker", "sam@pendlepies", "BB9 7AA"):
        assert private not in str(soup)
    assert soup.find("link", href=lambda href: href and "/static/css/wall.css" in href)


@pytest.mark.parametrize("status", ["pending", "confirmed", "hidden", "withdrawn"])
def test_no_certificate_unless_live(client, db, status):
    make_pledge(db, status=status)
    client.get_page("pledges.certificate", status=404, slug="acme-bakery-ltd")


def test_no_certificate_for_an_unknown_slug(client, db):
    client.get_page("pledges.certificate", status=404, slug="nobody")


def test_the_live_email_and_manage_page_link_the_certificate(client, db):
    pledge = live(db)
    [message] = [m for m in emails(db) if m.subject == "Your Backing Lancashire pledge is live"]
    path = f"/pledges/{pledge.slug}/certificate"
    assert path_in(message.body_text, "/certificate") == path
    assert path in message.body_html
    manage = client.get_page("pledges.manage", token=manage_path(pledge).rsplit("/", 1)[1])
    assert manage.find("a", href=path)


def test_the_manage_page_offers_no_certificate_before_going_live(client, db):
    pledge, _ = signed(db)
    token = managing.manage_token(pledge, settings())
    manage = client.get_page("pledges.manage", token=token)
    assert not manage.find("a", href=lambda href: href and href.endswith("/certificate"))


def test_the_certificate_prints_on_one_page_by_its_css(client):
    css = client.get("/static/css/wall.css").get_data(as_text=True)
    assert "size: A4 portrait" in css and "break-inside: avoid" in css
