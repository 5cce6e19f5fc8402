"""Share links on the pages worth sharing: plain links with encoded text, the hashtag, and a copyable address."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from campaign.models import Pledge
from campaign.services.sharing import links as share
from campaign.social import sharing
from tests.test_social_helpers import make_pledge

SITE = "http://127.0.0.1:5000"
SHARED_PAGES = [
    ("public.home", {}, "/"),
    ("public.figures_page", {}, "/figures"),
    (
        "public.case_study",
        {"slug": "west-division-police-headquarters"},
        "/case-studies/west-division-police-headquarters",
    ),
    ("public.case_study", {"slug": "hay-for-the-mounted-division"}, "/case-studies/hay-for-the-mounted-division"),
]


def links_by_name(panel) -> dict[str, str]:
    """The share links in a panel, by service."""
    return {
        name: panel.find("a", class_=f"share__link--{name}")["href"]
        for name in ("x", "linkedin", "facebook", "whatsapp", "email")
    }


def check_x_link(href: str, page_url: str) -> str:
    """An X web intent with encoded text, the page's URL and the hashtag, within 280; returns the text."""
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "x.com", "/intent/tweet")
    assert " " not in href and "#" not in href  # spaces and the hash sign are percent-encoded
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["url"] == [page_url]
    assert query["hashtags"] == ["BackingLancashire"]
    (text,) = query["text"]
    assert share.x_length(text, page_url) <= 280
    # Each value is encoded exactly as quote(safe="") does it.
    assert f"text={quote(text, safe='')}" in parts.query
    return text


@pytest.mark.parametrize("endpoint, values, path", SHARED_PAGES)
def test_shareable_pages_have_plain_share_links(client, seeded, endpoint, values, path):
    soup = client.get_page(endpoint, **values)
    panel = soup.find("section", class_="share")
    assert panel is not None
    page_url = SITE + path
    links = links_by_name(panel)
    text = check_x_link(links["x"], page_url)
    assert text
    assert parse_qs(urlsplit(links["linkedin"]).query)["url"] == [page_url]
    assert parse_qs(urlsplit(links["facebook"]).query)["u"] == [page_url]
    whatsapp = parse_qs(urlsplit(links["whatsapp"]).query)["text"][0]
    assert page_url in whatsapp and "#BackingLancashire" in whatsapp
    assert links["email"].startswith("mailto:?subject=") and quote(page_url, safe="") in links["email"]
    for anchor in panel.find_all("a"):
        assert anchor.get("onclick") is None and anchor.get("target") is None

    # "Copy link" works without JavaScript: a labelled, read-only box holding the address.
    box = panel.find("input", attrs={"data-share-url": True})
    assert box.has_attr("readonly") and box["value"] == page_url
    assert panel.find("label", attrs={"for": box["id"]}).get_text(strip=True) == "Copy link"
    # The buttons that need JavaScript stay hidden until share.js finds the browser can do them.
    for attribute in ("data-share-copy", "data-share-native"):
        button = panel.find("button", attrs={attribute: True})
        assert button.has_attr("hidden") and button["type"] == "button"


def test_case_study_share_text_names_the_study(client, seeded):
    soup = client.get_page("public.case_study", slug="west-division-police-headquarters")
    text = check_x_link(
        links_by_name(soup.find("section", class_="share"))["x"],
        SITE + "/case-studies/west-division-police-headquarters",
    )
    assert "West Division Police Headquarters" in text


def test_figures_share_text_quotes_the_leading_figure(client, seeded):
    soup = client.get_page("public.figures_page")
    text = check_x_link(links_by_name(soup.find("section", class_="share"))["x"], SITE + "/figures")
    assert text.startswith("£62m invested back into Lancashire")


def test_share_script_is_the_sites_own_and_small(client, seeded):
    soup = client.get_page("public.home")
    scripts = [tag["src"] for tag in soup.find_all("script")]
    assert any(src.startswith("/static/js/share.js") for src in scripts)
    for src in scripts:
        assert src.startswith("/static/")
        response = client.get(src)
        assert response.status_code == 200 and len(response.data) < 5_000
    assert "navigator.clipboard" in client.get(next(s for s in scripts if "share.js" in s)).get_data(as_text=True)


def test_organisation_sharing_uses_the_organisations_name(app, db):
    pledge = make_pledge(db, name="Bolton Bricks & Co")
    with app.test_request_context():
        result = sharing.for_organisation(db.session, pledge.slug)
    panel = result["share"]
    assert panel.url == f"{SITE}/pledges/acme-bakery-ltd"
    text = check_x_link(next(link.href for link in panel.links if link.name == "x"), panel.url)
    assert text.startswith("Bolton Bricks & Co has signed the Backing Lancashire pledge")
    assert result["meta"]["image"].startswith(f"{SITE}/cards/pledges/acme-bakery-ltd.png?v=")
    assert result["meta"]["image_alt"] == "Bolton Bricks & Co is Backing Lancashire."


def test_organisation_page_share_links_name_the_organisation(app, client, db):
    make_pledge(db, name="Bolton Bricks")
    soup = client.get_page("pledges.organisation", slug="acme-bakery-ltd")
    x_link = soup.find("a", href=lambda href: href and href.startswith("https://x.com/intent/tweet"))
    text = check_x_link(x_link["href"], f"{SITE}/pledges/acme-bakery-ltd")
    assert "Bolton Bricks" in text


def test_thank_you_sharing_waits_for_the_wall(app, db):
    pledge = make_pledge(db, status="confirmed")
    with app.test_request_context():
        waiting = sharing.for_thank_you(db.session, pledge)
        assert waiting["share"].url == f"{SITE}/"
        assert "We at Acme Bakery Ltd have signed" in waiting["share"].text
        pledge = db.session.scalar(select(Pledge))
        pledge.status = "live"
        db.session.commit()
        live = sharing.for_thank_you(db.session, pledge)
    assert live["share"].url == f"{SITE}/pledges/acme-bakery-ltd"
    assert "/cards/pledges/acme-bakery-ltd.png" in live["meta"]["image"]


def test_a_pledge_that_is_not_live_is_not_shared(app, db):
    pledge = make_pledge(db, status="hidden")
    with app.test_request_context():
        assert sharing.for_organisation(db.session, pledge.slug) == {"share": None, "meta": {}}
