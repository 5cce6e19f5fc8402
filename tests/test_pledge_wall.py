"""The wall and organisation pages: cards, search, filters, pages, counts by area, badges, and privacy."""

from __future__ import annotations

import io
import time

from PIL import Image
from sqlalchemy import event

from campaign.models import Pledge
from campaign.services.pledges import moderation
from campaign.services.pledges import signing as pledges
from tests.pages import text_of
from tests.test_pledge_helpers import bulk_live, live, settings, signed

CONTACT_DETAILS = ("Sam Baker", "sam@pendlepies.example.co.uk", "Owner", "BB9 7AA")


def test_an_empty_wall_invites_the_first_pledge(client, db):
    soup = client.get_page("pledges.wall")
    assert "0 organisations have signed" in text_of(soup)
    assert "Be the first to sign" in text_of(soup)


def test_cards_show_initials_name_area_sector_date_and_commitments_with_text(client, db):
    live(db, commitments=["living_wage", "environment"])
    soup = client.get_page("pledges.wall")
    [card] = soup.select(".pledge-card")
    card_text = text_of(card)
    assert "Pendle Pies Ltd" in card_text and "Pendle" in card_text and "Hospitality, food and tourism" in card_text
    assert "Pledged" in card_text
    assert card.select_one(".avatar").get_text() == "PP"
    items = card.select(".commitment-list li")
    assert [text_of(item) for item in items] == ["Pay the real Living Wage", "Reduce our environmental impact"]
    assert all(item.find("svg", attrs={"aria-hidden": "true"}) for item in items)
    assert "1 organisation has signed" in text_of(soup)


def test_cards_show_a_logo_when_there_is_one(client, db):
    pledge = live(db)
    output = io.BytesIO()
    Image.new("RGB", (10, 10)).save(output, "PNG")
    from campaign.services.images import verify_and_store

    pledge.logo = verify_and_store(output.getvalue())
    db.session.commit()
    card = client.get_page("pledges.wall").select_one(".pledge-card")
    assert card.find("img", src=f"/images/{pledge.logo.token}")
    assert not card.select_one(".avatar")


def test_search_by_name_ignores_case_and_punctuation(client, db):
    live(db)
    live(db, organisation_name="Burnley Bricks & Co", contact_email="b@example.com", postcode="BB11 1AA")
    for query, expected in (("pendle", ["Pendle Pies Ltd"]), ("BRICKS &", ["Burnley Bricks & Co"]), ("pies ltd", ["Pendle Pies Ltd"]), ("%", [])):
        soup = client.get_page("pledges.wall", query={"q": query})
        assert [text_of(card.h3) for card in soup.select(".pledge-card")] == expected, query


def test_filters_by_area_sector_size_and_commitment(client, db):
    live(db, commitments=["vcse"])
    live(db, organisation_name="Burnley Bricks", contact_email="b@example.com", postcode="BB11 1AA", area="burnley",
         sector="construction", size="large", commitments=["local_jobs"])
    cases = [
        ({"area": "burnley"}, ["Burnley Bricks"]),
        ({"sector": "hospitality"}, ["Pendle Pies Ltd"]),
        ({"size": "large"}, ["Burnley Bricks"]),
        ({"commitment": "vcse"}, ["Pendle Pies Ltd"]),
        ({"area": "burnley", "commitment": "vcse"}, []),
    ]
    for filters, expected in cases:
        soup = client.get_page("pledges.wall", query=filters)
        assert [text_of(card.h3) for card in soup.select(".pledge-card")] == expected, filters
    assert "No pledges match" in text_of(client.get_page("pledges.wall", query={"area": "wyre"}))


def test_bad_filters_get_an_error_summary_not_a_crash(client, db):
    soup = client.get_page("pledges.wall", status=400, query={"area": "atlantis", "q": "x" * 101})
    assert len(soup.find(class_="error-summary").find_all("a")) == 2
    client.get_page("pledges.wall", status=404, query={"page": "0"})
    client.get_page("pledges.wall", status=404, query={"page": "2"})
    client.get_page("pledges.wall", query={"page": "abc"})


def test_pages_of_24_newest_first_or_a_to_z_keeping_the_filters(client, db):
    bulk_live(db, 50)
    soup = client.get_page("pledges.wall", query={"sector": "hospitality"})
    assert len(soup.select(".pledge-card")) == 10
    first = client.get_page("pledges.wall")
    names = [text_of(card.h3) for card in first.select(".pledge-card")]
    assert len(names) == 24 and names[0] == "Organisation 00000" and names[1] == "Organisation 00001"
    assert "Showing 1 to 24 of 50" in text_of(first)
    last = client.get_page("pledges.wall", query={"page": 3})
    assert len(last.select(".pledge-card")) == 2
    next_link = first.find("a", rel="next")["href"]
    assert "page=2" in next_link
    a_to_z = client.get_page("pledges.wall", query={"sort": "name", "sector": "digital"})
    names = [text_of(card.h3) for card in a_to_z.select(".pledge-card")]
    assert names == sorted(names)
    link = a_to_z.find("nav", class_="pagination")
    assert link is None  # 10 results: one page
    paged = client.get_page("pledges.wall", query={"sort": "name"})
    assert all("sort=name" in a["href"] for a in paged.select(".pagination a"))


def test_counts_by_council_area_as_a_chart_and_a_table(client, db):
    live(db)
    live(db, organisation_name="Another", contact_email="b@example.com", postcode="PR1 2AB")
    live(db, organisation_name="Far Away", contact_email="c@example.com", postcode="SW1A 1AA", area="elsewhere")
    soup = client.get_page("pledges.wall")
    svg = soup.find("svg", attrs={"role": "img"})
    # The picture has a short name and the table carries the numbers, so they are read once (issue 16).
    assert svg["aria-labelledby"] == svg.find("title")["id"] and not svg.find("desc")
    assert not any(character.isdigit() for character in svg.find("title").get_text())
    assert len(svg.find_all("rect")) == 14
    rows = {text_of(row.th): text_of(row.td) for row in soup.select(".area-layout tbody tr")}
    assert len(rows) == 16 and rows["Pendle"] == "2" and rows["Elsewhere"] == "1" and rows["Preston"] == "0"


def test_only_live_pledges_appear(client, db):
    signed(db)  # pending
    confirmed, token = signed(db, contact_email="c@example.com", organisation_name="Confirmed Co", postcode="PR1 2AB")
    pledges.confirm(db.session, token, settings())
    hidden = live(db, contact_email="h@example.com", organisation_name="Hidden Co", postcode="LA1 1AA")
    moderation.hide(db.session, hidden, None, "Not a real organisation")
    page = text_of(client.get_page("pledges.wall"))
    assert "0 organisations" in page
    for slug in ("pendle-pies-ltd", "confirmed-co", "hidden-co"):
        client.get_page("pledges.organisation", status=404, slug=slug)


def test_organisation_page_has_the_pledge_commitments_statement_website_and_date(client, db):
    live(db, statement="Line one.\nLine two <b>bold</b>", commitments=["living_wage"])
    soup = client.get_page("pledges.organisation", slug="pendle-pies-ltd")
    page = text_of(soup)
    assert soup.h1.get_text() == "Pendle Pies Ltd"
    assert "We, Pendle Pies Ltd, support ‘Backing Lancashire’" in page  # issue 12: commas set the name off
    assert "Pay the real Living Wage" in page and "Pledged on" in page
    statement = soup.select_one(".statement")
    assert statement.find("br") and not statement.find("b") and "<b>bold</b>" in statement.get_text()
    website = soup.find("a", href="https://pendlepies.example.co.uk")
    assert set(website["rel"]) == {"nofollow", "ugc", "noopener"}


def test_organisation_page_has_share_links_and_a_badge_to_copy(client, db):
    live(db)
    soup = client.get_page("pledges.organisation", slug="pendle-pies-ltd")
    hrefs = [a["href"] for a in soup.select(".share__links a")]
    assert any(href.startswith("https://x.com/intent/tweet") for href in hrefs)
    assert any("linkedin.com" in href for href in hrefs) and any(href.startswith("mailto:") for href in hrefs)
    snippet = soup.find("textarea", id="badge-snippet")
    assert snippet.has_attr("readonly") and soup.find("label", attrs={"for": "badge-snippet"})
    code = snippet.get_text()
    assert 'href="http://127.0.0.1:5000/pledges/pendle-pies-ltd"' in code
    assert 'src="http://127.0.0.1:5000/pledges/pendle-pies-ltd/badge.png"' in code
    assert soup.find("img", src="/pledges/pendle-pies-ltd/badge.svg")
    assert soup.find("script", src=lambda src: src and "pledge.js" in src)


def test_badges_are_served_as_svg_and_png(client, db):
    live(db)
    svg = client.get("/pledges/pendle-pies-ltd/badge.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "LANCASHIRE" in svg.get_data(as_text=True) and "<script" not in svg.get_data(as_text=True)
    assert svg.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    png = client.get("/pledges/pendle-pies-ltd/badge.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert Image.open(io.BytesIO(png.data)).size == (480, 160)
    assert client.get("/pledges/pendle-pies-ltd/badge.png", headers={"If-None-Match": png.headers["ETag"]}).status_code == 304
    assert client.get("/pledges/nobody/badge.svg").status_code == 404


def test_contact_details_never_appear_on_public_pages_or_files(client, db):
    live(db)
    for url in (
        "/pledges", "/pledges/pendle-pies-ltd", "/pledges/pendle-pies-ltd/badge.svg", "/pledges.csv",
        "/api/pledges.json", "/api/figures.json", "/pledges?q=sam",
    ):
        body = client.get(url).get_data(as_text=True)
        for detail in CONTACT_DETAILS:
            assert detail not in body, (url, detail)


def test_the_wall_stays_fast_with_10000_pledges(client, db):
    bulk_live(db, 10_000)
    statements = []

    def count(*args):
        statements.append(args[2])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        timings = {}
        for label, query in (
            ("newest", {}),
            ("a to z, page 200", {"sort": "name", "page": 200}),
            ("search", {"q": "organisation 09"}),
            ("filtered", {"area": "preston", "commitment": "vcse", "sort": "name"}),
        ):
            statements.clear()
            started = time.perf_counter()
            soup = client.get_page("pledges.wall", query=query)
            timings[label] = time.perf_counter() - started
            assert len(statements) <= 4, statements  # counts by area, matching count, one page: never one per row
            assert soup.select(".pledge-card")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # Timings are printed, not asserted: a busy shared machine makes wall-clock limits flaky. The statement
    # count above is what keeps the wall from growing with the number of pledges; bench/run measures speed.
    print("\nWall with 10,000 pledges: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()))
    assert "10,000 organisations have signed" in text_of(client.get_page("pledges.wall"))
    started = time.perf_counter()
    assert client.get("/pledges.csv").data.count(b"\n") == 10_001
    print(f"CSV of 10,000 pledges: {(time.perf_counter() - started) * 1000:.0f} ms")
    assert db.session.query(Pledge).count() == 10_000


def test_odd_query_values_never_crash_the_wall(client, db):
    live(db)
    for query in ({"commitment": " "}, {"area": "\t"}, {"page": str(10**30)}, {"q": "\u2028"}, {"sort": "evil"}):
        status = client.get("/pledges", query_string=query).status_code
        assert status in (200, 400, 404), (query, status)
    assert len(client.get_page("pledges.wall", query={"commitment": " "}).select(".pledge-card")) == 1


def test_organisation_page_shares_its_own_card_and_a_copy_link(client, db):
    live(db)
    soup = client.get_page("pledges.organisation", slug="pendle-pies-ltd")
    image = soup.find("meta", property="og:image")["content"]
    assert "/cards/pledges/pendle-pies-ltd.png" in image
    assert soup.find("meta", property="og:image:width")["content"] == "1200"
    assert soup.find("label", string=lambda s: s and "Copy link" in s)
