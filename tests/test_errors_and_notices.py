"""Errors and confirmations the GOV.UK way, without JavaScript: summary order and place, banners, page titles."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.factories import make_figure, make_staff, signed_in
from tests.pages import text_of
from tests.test_pledge_helpers import bulk_live, form_data, sign_in_staff


def summary_targets(soup: BeautifulSoup) -> list[str]:
    """The ids the error summary's links point to, in the summary's order."""
    return [link["href"].removeprefix("#") for link in soup.select(".error-summary a")]


def in_page_order(soup: BeautifulSoup, ids: list[str]) -> bool:
    """Whether the elements with these ids come in this order on the page."""
    order = [tag["id"] for tag in soup.find_all(id=True)]
    positions = [order.index(i) for i in ids]
    return positions == sorted(positions)


def first_in_main(soup: BeautifulSoup):
    """The first element inside <main>: the first thing after the skip link's target."""
    return soup.find("main", id="main").find(True)


def test_pledge_errors_are_listed_in_the_order_the_page_asks(client, db):
    everything_missing = {key: "" for key in form_data()}
    soup = client.post_page("/pledge", data=everything_missing, status=400)
    targets = summary_targets(soup)
    assert len(targets) >= 8 and in_page_order(soup, targets)
    assert targets.index("commitments-0") < targets.index("contact_name")
    # The form's page wraps its content in .prose; the summary is still the first thing in it.
    assert first_in_main(soup).find(True)["class"] == ["error-summary"]


def test_the_summary_comes_first_in_main_on_staff_forms_with_a_back_link(client, db):
    signed_in(client, make_staff(db, role="admin"))
    soup = client.post_page("/admin/figures/new", data={}, status=400)
    assert first_in_main(soup)["class"] == ["error-summary"]
    assert in_page_order(soup, summary_targets(soup))
    back = soup.select_one(".back-link")
    assert back is not None and back.find_parent("main") is None


def test_sign_in_errors_come_first_in_main_in_page_order(client, db):
    soup = client.post_page("/admin/sign-in", data={"email": "", "password": ""}, status=400)
    assert first_in_main(soup).find(True)["class"] == ["error-summary"]
    assert in_page_order(soup, summary_targets(soup))


def test_wall_filter_errors_come_first_in_main(client, db):
    soup = client.get_page("pledges.wall", status=400, query={"area": "atlantis", "q": "x" * 101})
    assert first_in_main(soup)["class"] == ["error-summary"]
    assert in_page_order(soup, summary_targets(soup))


def test_a_success_flash_is_a_banner_that_is_announced(client, db):
    sign_in_staff(client, db, role="publisher")  # publishing a figure is a publisher's step
    client.get("/admin/")  # shows, and so clears, the "Signed in" banner
    figure = make_figure(db, published=False)
    response = client.post(f"/admin/figures/{figure.id}/publish", follow_redirects=True)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    banner = soup.select_one(".notification-banner--success")
    assert banner["role"] == "alert" and banner["data-module"] == "notification-banner"
    assert banner["tabindex"] == "-1"
    title = soup.find(id=banner["aria-labelledby"])
    assert text_of(title) == "Success" and title.name == "h2"
    assert "Published" in text_of(banner)
    assert first_in_main(soup) is banner


@pytest.mark.parametrize("path", ["/", "/pledges", "/admin/sign-in"])
def test_every_page_shows_flashes_as_banners(client, db, path):
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Done."), ("info", "Worth knowing."), ("error", "That failed.")]
    soup = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
    success, info, error = soup.select(".notification-banner")
    assert success["role"] == "alert" and text_of(soup.find(id=success["aria-labelledby"])) == "Success"
    assert info["role"] == "region" and text_of(soup.find(id=info["aria-labelledby"])) == "Important"
    assert not info.has_attr("data-module") and not info.has_attr("tabindex")
    assert error["role"] == "alert" and "notification-banner--error" in error["class"]
    assert "site.js" in soup.find("script", src=lambda src: src and "site.js" in src)["src"]


def test_pages_of_the_wall_have_their_number_in_the_title(client, db):
    bulk_live(db, 50)
    assert client.get_page("pledges.wall").title.get_text().startswith("Pledge wall – ")
    second = client.get_page("pledges.wall", query={"page": 2})
    assert second.title.get_text().startswith("Pledge wall (page 2 of 3) – ")


def test_every_paginated_list_titles_pages_the_same_way(app):
    with app.test_request_context():
        macro = app.jinja_env.get_template("components/pagination.html").module.title_page
        assert str(macro(1, 5)) == "" and str(macro(2, 5)) == " (page 2 of 5)" and str(macro(3, 0)) == ""


def test_the_area_chart_has_a_short_name_and_the_table_the_numbers(client, db):
    soup = client.get_page("pledges.wall")
    svg = soup.find("svg", attrs={"role": "img"})
    name = text_of(soup.find(id=svg["aria-labelledby"]))
    # Issue 12: the bar chart that repeated its table became a tile map.
    assert name.startswith("Tile map of live pledges in Lancashire’s council areas") and len(name) < 100
    assert soup.select_one(".area-layout table caption")
