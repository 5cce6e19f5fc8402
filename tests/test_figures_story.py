"""Figures that say what they measure and when they were published, checkable sources, staff flags,
and the OPCC's contact details: only as configured, never invented (issue 12)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from campaign import create_app
from campaign.models import HeadlineFigure
from campaign.services.content import contact
from campaign.services.figures import headline
from tests.conftest import USING_POSTGRES
from tests.factories import load_user_per_request, make_figure, make_staff, make_year, signed_in
from tests.pages import text_of
from tests.test_pledge_helpers import live, manage_path


@pytest.fixture
def editor(client, db, app):
    load_user_per_request(app)
    user = make_staff(db, role="editor")
    signed_in(client, user)
    return user


@pytest.fixture
def publisher(client, db, app):
    """Spend years show on public pages at once, so changing them needs a publisher (issue 11)."""
    load_user_per_request(app)
    user = make_staff(db, role="publisher")
    signed_in(client, user)
    return user


# --- Figures: what they measure, when they were published, how current they are -------------------------


def test_figures_page_says_the_figures_are_the_latest_and_when_they_were_published(client, seeded):
    soup = client.get_page("public.figures_page")
    status = text_of(soup.select_one(".figures-status"))
    assert "These are the latest figures the OPCC has published" in status
    assert "The newest was published on 23 August 2019" in status
    assert "last changed on" in status
    assert soup.find("meta", property="og:title")["content"] == "Backing Lancashire in figures"


def test_figures_page_says_when_newer_figures_exist_and_when_staff_checked(app, client, seeded):
    app.config.update(FIGURES_NEWER_PUBLISHED=True, FIGURES_CHECKED_ON=date(2026, 11, 1))
    status = text_of(client.get_page("public.figures_page").select_one(".figures-status"))
    assert "The OPCC has published newer figures than these" in status
    assert "These are the latest" not in status
    app.config.update(FIGURES_NEWER_PUBLISHED=False)
    client.set_cookie("session", "x")  # a private copy, so the page renders again with the new setting
    status = text_of(client.get_page("public.figures_page").select_one(".figures-status"))
    assert "These are the latest figures the OPCC has published (last checked on 1 November 2026)" in status


def test_the_62m_is_not_a_running_total_and_the_36m_is_a_different_measure(client, seeded):
    cards = {text_of(card.select_one(".figure-card__value")): text_of(card)
             for card in client.get_page("public.figures_page").select(".figure-card")}
    assert "not a running total" in cards["£62m"] and "2017 to August 2019" in cards["£62m"]
    assert "different things" in cards["£36m"] and "should not be added together" in cards["£36m"]
    assert "2017/18" in cards["£36m"] and "31 March" not in cards["£36m"]
    assert "different measure" in cards["£46m"]


def test_no_source_date_is_shown_twice_anywhere(client, seeded):
    for endpoint, values in [("public.home", {}), ("public.figures_page", {}),
                             ("public.case_study", {"slug": "west-division-police-headquarters"})]:
        page = text_of(client.get_page(endpoint, **values))
        assert "23 August 2019, 23 August 2019" not in page
        assert "23 August 2019, published on 23 August 2019" not in page


def test_a_source_named_with_its_date_does_not_get_it_again(client, db):
    make_figure(db, published=True, source_text="Annual report, 1 May 2024", published_on=date(2024, 5, 1))
    source = text_of(client.get_page("public.figures_page").select_one(".figure-card .source"))
    assert source.count("1 May 2024") == 1


def test_sources_link_to_their_address_and_are_listed_once(client, db):
    url = "https://www.example.org/report.pdf"
    make_figure(db, published=True, source_text="Annual report", source_url=url, published_on=date(2024, 5, 1))
    make_figure(db, published=True, source_text="Annual report", source_url=url, published_on=date(2024, 5, 1))
    make_year(db, 2023, total_spend_pence=1_00, source_text="Annual report", source_url=url,
              published_on=date(2024, 5, 1))
    soup = client.get_page("public.figures_page")
    assert soup.select_one(".figure-card .source a")["href"] == url
    assert soup.select_one("td.figures-table__source a")["href"] == url
    assert len(soup.select(".figures-sources li")) == 1


def test_each_chart_shows_one_measure_and_only_known_years(client, db):
    make_year(db, 2020, total_spend_pence=50_00, lancashire_spend_pence=20_00)
    make_year(db, 2021, total_spend_pence=100_00)
    soup = client.get_page("public.figures_page")
    charts = soup.select("figure.bar-chart")
    rows = [[text_of(row) for row in chart.select(".bar-chart__row")] for chart in charts]
    assert rows == [["2020/21 £50", "2021/22 £100"], ["2020/21 £20"]]
    widths = [float(rect["width"]) for rect in charts[0].select("rect")]
    assert widths == [50.0, 100.0]  # from zero, scaled to the chart's own largest amount


def test_no_span_carries_an_aria_label(client, seeded, editor):
    # The Nu HTML Checker refuses aria-label on a span with no role; the dash's meaning is hidden text instead.
    for endpoint, words in (("public.figures_page", "not published"), ("admin.years", "not known")):
        soup = client.get_page(endpoint)
        assert not soup.select("span[aria-label]"), endpoint
        assert words in text_of(soup), endpoint


def test_about_cites_the_procurement_act_2023(client, seeded):
    page = text_of(client.get_page("public.about"))
    assert "EU procurement thresholds" in page
    assert "Procurement Act 2023" in page and "24 February 2025" in page


# --- Staff: source addresses, publication dates and flags -------------------------------------------------


def test_staff_flags_a_missing_link_and_a_source_over_a_year_old():
    today = date(2026, 12, 1)
    fresh = HeadlineFigure(source_url="https://example.org/a", published_on=today - timedelta(days=30))
    old = HeadlineFigure(source_url="https://example.org/a", published_on=today - timedelta(days=400))
    unlinked = HeadlineFigure(source_url=None, as_of=today)
    undated = HeadlineFigure(source_url="https://example.org/a")
    assert headline.staff_flags(fresh, today) == []
    assert headline.staff_flags(old, today) == ["Over a year old: check for newer figures"]
    assert headline.staff_flags(unlinked, today) == ["No link to the source"]
    assert "No date from the source" in headline.staff_flags(undated, today)[0]


def test_admin_lists_and_dashboard_show_the_flags(client, seeded, editor):
    figures_page = text_of(client.get_page("admin.figures"))
    assert "5 figures to check" in figures_page and "No link to the source" in figures_page
    assert "Over a year old" in figures_page
    assert "No link to the source" in text_of(client.get_page("admin.years"))
    assert "5 figures to check" in text_of(client.get_page("admin.dashboard"))


FIGURE = {
    "label": "spent with Lancashire firms", "description": "", "kind": "manual", "unit": "pounds",
    "value": "£1,000", "qualifier": "", "computation": "", "param_year": "", "param_contract": "",
    "period": "2023/24 financial year", "source_text": "OPCC annual report", "source_url": "",
}


@pytest.mark.parametrize("typed", ["http://www.example.org/report", "www.example.org", "https://", "https://exa mple.org"])
def test_a_source_address_must_be_a_https_web_address(client, db, editor, typed):
    response = client.post("/admin/figures/new", data=FIGURE | {"source_url": typed})
    assert response.status_code == 400
    assert "as a web address starting with https://" in response.get_data(as_text=True)
    assert db.session.scalar(select(HeadlineFigure)) is None


def test_staff_save_a_source_address_and_publication_date(client, db, publisher):
    data = FIGURE | {"source_url": "https://www.example.org/report.pdf",
                     "published_on-day": "1", "published_on-month": "5", "published_on-year": "2024"}
    assert client.post("/admin/figures/new", data=data).status_code == 302
    figure = db.session.scalar(select(HeadlineFigure))
    assert figure.source_url == "https://www.example.org/report.pdf"
    assert figure.published_on == date(2024, 5, 1)
    year = {"start_year": "2023", "total_spend_pence": "£10", "source_text": "Report",
            "source_url": "https://www.example.org/y", "published_on-day": "2", "published_on-month": "6",
            "published_on-year": "2024"}
    assert client.post("/admin/spend-by-year/new", data=year).status_code == 302
    stored = headline.yearly_spend(db.session)[0]
    assert stored.source_url == "https://www.example.org/y" and stored.published_on == date(2024, 6, 2)


# --- Contact details -----------------------------------------------------------------------------------------


CONTACT = {"CONTACT_EMAIL": "info@opcc.example.org", "CONTACT_PHONE": "01234 567890",
           "CONTACT_ADDRESS": "1 Test Street, Preston", "OPCC_WEBSITE": "https://opcc.example.org/"}


def test_configured_contact_details_show_in_footer_privacy_accessibility_and_manage(app, client, db):
    app.config.update(CONTACT)
    pledge = live(db)
    pages = {
        "footer": client.get_page("public.home").select_one(".site-footer"),
        "privacy": client.get_page("public.privacy").select_one("main"),
        "accessibility": client.get_page("public.accessibility").select_one("main"),
        "manage": client.get_page("pledges.manage", token=manage_path(pledge).rsplit("/", 1)[1]).select_one("main"),
    }
    for name, part in pages.items():
        text = text_of(part)
        assert "info@opcc.example.org" in text and "01234 567890" in text, name
        assert part.find("a", href="mailto:info@opcc.example.org"), name
        assert "placeholder" not in text, name
    accessibility = text_of(pages["accessibility"])
    assert "Equality and Human Rights Commission" in accessibility
    assert "Equality Advisory and Support Service" in accessibility
    assert "Reporting accessibility problems" in accessibility


def test_production_with_no_contact_settings_shows_none_and_invents_none(client):
    app = create_app("production", SECRET_KEY="x" * 40)
    assert contact.from_config(app.config).any is False
    assert not contact.from_config({"CONTACT_PLACEHOLDER": False}).any


def test_development_with_no_contact_settings_shows_a_marked_placeholder(app, client):
    app.config["CONTACT_PLACEHOLDER"] = True
    footer = client.get_page("public.home").select_one(".site-footer")
    assert "Development placeholder" in text_of(footer)
    assert "example.invalid" in text_of(footer)
    details = contact.from_config({"CONTACT_PLACEHOLDER": True, "CONTACT_EMAIL": "real@example.org"})
    assert details.email == "real@example.org" and not details.is_placeholder and not details.address


def test_no_contact_settings_in_tests_means_no_contact_block(client):
    assert client.get_page("public.home").select_one(".site-footer__contact") is None


# --- The migration's corrections to content loaded by the first seed ------------------------------------------


@pytest.mark.skipif(USING_POSTGRES, reason="PostgreSQL's schema is shared by the whole run")
def test_the_migration_corrects_seeded_dates_and_source_names_but_not_staff_edits(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    old_release = "OPCC for Lancashire news release, 23 August 2019"
    with app.app_context():
        upgrade(revision="c222913b8504")
        engine = create_engine(url)
        with engine.begin() as connection:
            insert = text(
                "INSERT INTO headline_figure (slug, label, description, kind, unit, value, qualifier, period,"
                " source_text, as_of, position, published, is_demo, created_at, updated_at)"
                " VALUES (:slug, 'x', :description, 'manual', 'pounds', 1, '', 'p', :source, :as_of, 0, 1, 0,"
                " '2020-01-01 00:00:00', '2020-01-01 00:00:00')"
            )
            connection.execute(insert, dict(slug="invested-since-2017", description="", source=old_release,
                                            as_of="2019-08-23"))
            connection.execute(insert, dict(slug="spent-in-lancashire-2017-18", description="",
                                            source="Campaign page", as_of="2018-03-31"))
            connection.execute(insert, dict(slug="procurement-2016-17", description="Staff wrote this",
                                            source="Policy", as_of="2017-04-30"))
        upgrade()
        with engine.connect() as connection:
            rows = {row.slug: row for row in connection.execute(
                text("SELECT slug, description, source_text, as_of, published_on FROM headline_figure"))}
        engine.dispose()
    assert rows["invested-since-2017"].source_text == "OPCC for Lancashire news release"
    assert str(rows["invested-since-2017"].published_on) == "2019-08-23"
    assert rows["invested-since-2017"].as_of is None
    assert "not a running total" in rows["invested-since-2017"].description
    assert rows["spent-in-lancashire-2017-18"].as_of is None  # worked out from the year, not given by a source
    assert rows["procurement-2016-17"].description == "Staff wrote this"  # staff's edits stay
    assert str(rows["procurement-2016-17"].as_of) == "2017-04-30"
