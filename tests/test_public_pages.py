"""The public pages: each renders, passes the page checks, and shows the campaign's facts."""

import pytest

from campaign.formatting import long_date
from campaign.services.content.seed import FIGURES, PLEDGE_WORDING, QUOTES
from tests.pages import CAMPAIGN_PAGES, text_of


@pytest.mark.parametrize("endpoint, values", CAMPAIGN_PAGES)
def test_every_public_page_passes_the_page_checks(client, seeded, endpoint, values):
    client.get_page(endpoint, **values)


@pytest.mark.parametrize("endpoint, values", CAMPAIGN_PAGES)
def test_public_pages_render_on_an_empty_database(client, endpoint, values):
    status = 404 if endpoint == "public.case_study" else 200
    client.get_page(endpoint, status=status, **values)


def test_home_shows_message_pledge_figures_quotes_and_hashtag(client, seeded):
    page = text_of(client.get_page("public.home"))
    assert "Backing Lancashire" in page
    assert PLEDGE_WORDING.format(organisation="(your organisation)") in page
    for quote in QUOTES:
        if quote.get("is_supplier"):
            assert quote["text"] in page
    assert "How you can get involved" in page
    assert "#BackingLancashire" in page


@pytest.mark.parametrize("endpoint", ["public.home", "public.figures_page"])
def test_every_seeded_figure_appears_with_its_source_and_date(client, seeded, endpoint):
    soup = client.get_page(endpoint)
    cards = soup.select(".figure-card")
    assert len(cards) == len(FIGURES)
    for card, figure in zip(cards, FIGURES, strict=True):
        card_text = text_of(card)
        assert figure["label"] in card_text
        assert figure["source_text"] in card_text
        assert figure["period"] in card_text
        # The date a source published the figure, shown once; a source with none says so, never a worked-out date.
        if figure["published_on"]:
            day = long_date(figure["published_on"])
            source_text = text_of(card.select_one(".source"))
            assert f"published on {day}" in source_text and source_text.count(day) == 1
        else:
            assert "gives no date" in card_text
        assert "As of" not in card_text
    page = text_of(soup)
    for expected in ("£62m", "54%", "£36m", "£6.3m", "£46m", "23 August 2019"):
        assert expected in page


def test_figures_page_has_table_chart_and_print_stylesheet(client, seeded):
    soup = client.get_page("public.figures_page")
    rows = soup.select("table tbody tr")
    assert [row.th.get_text(strip=True)[:7] for row in rows] == ["2016/17", "2017/18"]
    # One chart per measure, each named in its caption, with its years and amounts as text beside the bars.
    charts = soup.select("figure.bar-chart")
    assert [text_of(c.figcaption).split(",")[0] for c in charts] == ["All supplier spend", "Spent in Lancashire"]
    assert [[text_of(row) for row in c.select(".bar-chart__row")] for c in charts] == [
        ["2016/17 about £46m"], ["2017/18 £36m"]
    ]
    assert len(soup.select("figure.bar-chart rect")) == 2  # one known amount per year; nothing invented
    assert all(svg.get("aria-hidden") == "true" for svg in soup.select("figure.bar-chart svg"))
    assert soup.find("link", attrs={"media": "print"})


def test_case_study_shows_key_figure_and_named_quote_only(client, seeded):
    soup = client.get_page("public.case_study", slug="west-division-police-headquarters")
    page = text_of(soup)
    assert "Over £6.3m" in page
    assert "Clive Grunshaw" in page
    hay = text_of(client.get_page("public.case_study", slug="hay-for-the-mounted-division"))
    assert "£" not in hay  # the documents give no figure for this contract


def test_about_covers_the_policy(client, seeded):
    page = text_of(client.get_page("public.about"))
    for expected in (
        "Public Services (Social Value) Act 2012", "2.5% of the quality score", "Creativity", "Flexibility",
        "Collaboration", "Leadership", "Sustainability", "Equality", "Protecting local policing",
        "Tackling crime and re-offending", "Supporting vulnerable people and victims",
        "Developing safe and confident communities", "every year", "2024 to 2028",
    ):
        assert expected in page


def test_draft_case_study_is_not_public(client, seeded, db):
    from campaign.models import CaseStudy

    study = db.session.query(CaseStudy).filter_by(slug="hay-for-the-mounted-division").one()
    study.status = "draft"
    db.session.commit()
    client.get_page("public.case_study", status=404, slug="hay-for-the-mounted-division")
    assert "Hay for the mounted division" not in text_of(client.get_page("public.case_studies"))


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_unknown_page_gets_a_helpful_404(client):
    soup = client.get_page("public.case_study", status=404, slug="no-such-story")
    assert "Page not found" in soup.h1.get_text()


def test_public_pages_are_cacheable_and_answer_304(client, seeded):
    first = client.get("/")
    assert "public" in first.headers["Cache-Control"]
    assert "stale-while-revalidate" in first.headers["Cache-Control"]
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_static_files_have_versioned_urls_and_long_cache(client):
    soup = client.get_page("public.home")
    href = soup.find("link", rel="stylesheet")["href"]
    assert "?v=" in href
    response = client.get(href)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_home_page_weight_is_under_100_kb(client, seeded):
    soup = client.get_page("public.home")
    total = len(client.get("/").data)
    assets = [tag["href"] for tag in soup.find_all("link", href=True) if "stylesheet" in tag.get("rel", []) or "icon" in tag.get("rel", [])]
    assets += [tag["src"] for tag in soup.find_all(["img", "script"], src=True)]
    for url in set(assets):
        total += len(client.get(url).data)
    assert total < 100 * 1024, f"home page weighs {total} bytes"


def test_security_headers_on_every_response(client):
    for url in ("/", "/no-such-page", "/healthz"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]
        assert headers["Permissions-Policy"]


@pytest.mark.own_app
def test_a_500_rolls_back_the_session(app, client, db):
    from campaign.models import Quote

    @app.route("/explode")
    def explode():
        db.session.add(Quote(slug="half-written", text="x", attribution="x", source_text="x"))
        db.session.flush()
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/explode")
    assert response.status_code == 500
    assert b"problem with the service" in response.data
    assert db.session.query(Quote).filter_by(slug="half-written").count() == 0
