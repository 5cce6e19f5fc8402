"""Open Graph and X card tags on every public page, checked the way a card validator reads them.

The validator reads the tags, checks the canonical URL and the image's size and alt text, then
fetches the image from the og:image URL and checks it really is a 1200 × 630 PNG.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from flask import url_for
from PIL import Image

from campaign.services.sharing import cards
from tests.pages import HTML_PAGES, parse

SITE = "http://127.0.0.1:5000"  # TestConfig's SITE_URL

# The pledge forms anyone can open without a link from an email (pages, but not shared per version).
FORM_PAGES = [
    ("pledges.sign", {}),
    ("pledges.resend", {}),
]


def _pages(app) -> list[tuple[str, dict]]:
    """Every public HTML page, and the pledge forms."""
    return HTML_PAGES + FORM_PAGES


def _tag(soup, key: str) -> str | None:
    """The content of a meta tag by property (og:) or name (twitter:)."""
    tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
    return tag["content"] if tag is not None else None


def validate_card(client, soup) -> dict[str, str]:
    """Read a page's share-card tags like a card validator, fetch the image, and return the tags."""
    tags = {
        key: _tag(soup, key)
        for key in (
            "og:title",
            "og:description",
            "og:url",
            "og:type",
            "og:site_name",
            "og:image",
            "og:image:type",
            "og:image:width",
            "og:image:height",
            "og:image:alt",
            "twitter:card",
            "twitter:title",
            "twitter:description",
            "twitter:image",
            "twitter:image:alt",
        )
    }
    missing = [key for key, value in tags.items() if not value or not value.strip()]
    assert not missing, f"missing or empty tags: {missing}"
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image:width"] == "1200" and tags["og:image:height"] == "630"
    assert tags["og:image:type"] == "image/png"
    assert tags["twitter:image"] == tags["og:image"]
    assert tags["twitter:title"] == tags["og:title"]
    assert len(tags["og:image:alt"]) <= 420  # X's limit for image descriptions
    for key in ("og:url", "og:image"):
        assert tags[key].startswith(SITE + "/"), f"{key} is not absolute: {tags[key]}"
    canonical = soup.find("link", rel="canonical")
    assert canonical is not None and canonical["href"] == tags["og:url"]

    image_url = urlsplit(tags["og:image"])
    response = client.get(image_url.path + (f"?{image_url.query}" if image_url.query else ""))
    assert response.status_code == 200 and response.mimetype == "image/png", tags["og:image"]
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG" and image.size == (1200, 630)
    return tags


def test_every_public_page_has_share_card_tags(app, client, everything):
    pages = _pages(app)
    assert len(pages) >= len(HTML_PAGES)
    for endpoint, values in pages:
        with app.test_request_context():
            path = url_for(endpoint, **values)
        response = client.get(path)
        assert response.status_code == 200, path
        soup = parse(response.get_data(as_text=True))
        tags = validate_card(client, soup)
        assert tags["og:url"] == SITE + path
        title = " ".join(soup.title.get_text().split())
        assert title.startswith(tags["og:title"]), f"{path}: og:title {tags['og:title']!r} is not the page's title"
        assert tags["og:description"] == soup.find("meta", attrs={"name": "description"})["content"]


def test_pages_with_their_own_card_use_it(app, client, everything):
    with app.test_request_context():
        campaign_key = cards.campaign_card(everything.session).key
        study_key = cards.case_study_card(everything.session, "west-division-police-headquarters").key
    home = validate_card(client, client.get_page("public.home"))
    assert home["og:image"] == f"{SITE}/cards/campaign.png?v={campaign_key}"
    assert "£62m" in home["og:image:alt"]
    figures = validate_card(client, client.get_page("public.figures_page"))
    assert figures["og:image"] == home["og:image"]
    study = validate_card(client, client.get_page("public.case_study", slug="west-division-police-headquarters"))
    assert study["og:image"] == f"{SITE}/cards/case-studies/west-division-police-headquarters.png?v={study_key}"
    assert study["og:type"] == "article"
    assert "West Division" in study["og:image:alt"]


def test_the_card_url_changes_when_the_figure_does(client, everything):
    from sqlalchemy import select

    from campaign.models import HeadlineFigure

    before = validate_card(client, client.get_page("public.home"))["og:image"]
    figure = everything.session.scalar(select(HeadlineFigure).where(HeadlineFigure.slug == "invested-since-2017"))
    figure.value = 80_000_000_00
    everything.session.commit()
    after = validate_card(client, client.get_page("public.home"))
    assert after["og:image"] != before
    assert "£80m" in after["og:image:alt"]


def test_tags_are_escaped(client, seeded):
    from sqlalchemy import select

    from campaign.models import CaseStudy

    study = seeded.session.scalar(select(CaseStudy).where(CaseStudy.slug == "hay-for-the-mounted-division"))
    study.title = 'Hay & "straw" <for> horses'
    seeded.session.commit()
    response = client.get("/case-studies/hay-for-the-mounted-division")
    html = response.get_data(as_text=True)
    assert 'content="Hay &amp; &#34;straw&#34; &lt;for&gt; horses"' in html
    assert validate_card(client, parse(html))["og:title"] == 'Hay & "straw" <for> horses'


def test_staff_error_and_secret_link_pages_have_no_share_tags(app, client, db):
    paths = ["/admin/sign-in", "/no-such-page"]
    if "pledges.confirm" in app.view_functions:
        with app.test_request_context():
            paths.append(url_for("pledges.confirm", token="not-a-real-token"))
    for path in paths:
        response = client.get(path)
        soup = parse(response.get_data(as_text=True))
        assert _tag(soup, "og:title") is None and _tag(soup, "twitter:card") is None, path
        assert soup.find("link", rel="canonical") is None, path


def test_no_third_party_scripts_or_embeds_on_shareable_pages(app, client, everything):
    for endpoint, values in _pages(app):
        with app.test_request_context():
            path = url_for(endpoint, **values)
        response = client.get(path)
        soup = parse(response.get_data(as_text=True))
        for tag in soup.find_all(["script", "iframe", "img", "link"]):
            source = tag.get("src") or tag.get("href") or ""
            if tag.name == "link" and "canonical" in tag.get("rel", []):
                continue
            assert not urlsplit(source).netloc, f"{path} loads {source} from another site"
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-src" not in csp and "default-src 'self'" in csp
