"""An officer's journey, page by page as a new member of staff would take it (issue 11): an editor classifies the
top payees of 2024/25 from the work list, following its links, until the share can be published; a publisher
approves; the public figures page shows the share with its coverage, and the method page explains it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from campaign.models import SpendImport
from tests.factories import load_user_per_request, make_staff, signed_in
from tests.pages import check_page, parse, text_of
from tests.test_spend_import import HEADER_A, import_via_admin

# Test payees and made-up postcodes: Lancaster (Lancashire), Manchester (North West), Leeds (elsewhere).
FILE = (
    HEADER_A + "\n"
    "10/04/2024,x,y,Test Fleet Services Ltd,J1,40000.00\n"
    "11/04/2024,x,y,Lancashire County Council,J2,30000.00\n"
    "12/05/2024,x,y,Test Software Ltd,J3,20000.00\n"
    "13/06/2024,x,y,Test Uniforms Ltd,J4,15000.00\n"
    "14/07/2024,x,y,Test Catering Ltd,J5,5000.00\n"
    "15/08/2024,x,y,Test Locksmiths,J6,1000.00\n"
    "16/09/2024,x,y,REDACTED,,500.00\n"
)
POSTCODES = {"Test Fleet Services Ltd": "LA1 1AA", "Test Software Ltd": "M1 1AA", "Test Uniforms Ltd": "LS1 1AA"}


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


def page_at(client, url: str):
    """GET a URL taken from a link, check the page and return it parsed."""
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    soup = parse(response.get_data(as_text=True))
    check_page(soup)
    return soup


def link(soup, starts_with: str) -> str:
    """The address of the first link whose text starts with these words."""
    for anchor in soup.select("a"):
        if " ".join(anchor.get_text(" ").split()).startswith(starts_with):
            return anchor["href"]
    raise AssertionError(f"no link starting {starts_with!r}")


def coverage_on(work_list) -> float:
    return float(re.search(r"so coverage is ([\d.]+)%", text_of(work_list)).group(1))


def test_an_officer_classifies_the_top_payees_and_a_publisher_publishes_the_share(client, db):
    editor = make_staff(db, role="editor", name="Test Officer")
    publisher = make_staff(db, role="publisher", name="Test Publisher")
    signed_in(client, editor)
    import_via_admin(client, FILE.encode(), "spend-2024-25.csv", publish=False)
    signed_in(client, publisher)
    record = db.session.query(SpendImport).one()
    review = client.get_page("admin.review_list")
    approve = review.find("form", action=f"/admin/review/imports/{record.id}/approve")
    client.post_and_redirect(approve["action"], to="admin.review_list")

    # The editor starts from the dashboard, which points at the year's work list.
    signed_in(client, editor)
    dashboard = client.get_page("admin.dashboard")
    assert "2024/25: coverage 0%" in text_of(dashboard)
    work_list = page_at(client, link(dashboard, "Classify suppliers for 2024/25"))
    assert "A share is published at 80% or more" in text_of(work_list)

    steps = []
    while coverage_on(work_list) < 80:
        row = work_list.select_one("tbody tr")
        name = " ".join(row.th.get_text(" ").split())
        if name == "Lancashire County Council":
            url = link(row, "Leave out of scope")
            form = page_at(client, url)
            assert form.find("input", {"name": "value"})["value"] == name
            data = {"kind": "supplier", "value": name, "reason": "public_body", "note": "Its precept and services"}
        else:
            url = link(row, "Add to register")
            form = page_at(client, url)
            assert form.find("input", {"name": "name"})["value"] == name
            assert "Back to the work list" in text_of(form)
            data = {"name": name, "postcode": POSTCODES[name], "location_choice": "auto", "council_area": ""}
        response = client.post(url, data=data)
        assert response.status_code == 302, text_of(parse(response.get_data(as_text=True)))[:2000]
        assert urlsplit(response.headers["Location"]).path == "/admin/work-list"  # back where the officer was
        work_list = page_at(client, response.headers["Location"])
        steps.append((name, coverage_on(work_list)))
    # £40,000 of £111,000 in scope; then the council's £30,000 leaves scope; then £20,000 and £15,000 more.
    assert steps == [("Test Fleet Services Ltd", 36.04), ("Lancashire County Council", 49.38),
                     ("Test Software Ltd", 74.07), ("Test Uniforms Ltd", 92.59)]
    assert "Test Catering Ltd" in text_of(work_list)  # the rest can wait: coverage is past the minimum

    # Editors prepare; the review page says so and offers them no approval.
    review = client.get_page("admin.review_list")
    assert "You are an editor: a publisher or an admin approves" in text_of(review)
    assert review.find("form", action="/admin/review/years/2024/approve") is None
    public = client.application.test_client()
    assert "No figures computed from published payments are approved yet" in text_of(
        public.get_page("public.figures_page"))

    signed_in(client, publisher)
    review = client.get_page("admin.review_list")
    row = text_of(review)
    assert "2024/25 £111,500 £81,000 92.59% 53.33% Nothing yet: never approved" in row
    client.post_and_redirect(review.find("form", action="/admin/review/years/2024/approve")["action"],
                             to="admin.review_list")

    figures = text_of(public.get_page("public.figures_page"))
    assert "2024/25 Total spend £111,500 " in figures
    assert "Left out: payments to another public body £30,000 " in figures
    assert "Left out: payments to private individuals £500 " in figures
    assert "Spend in scope (what procurement can influence) £81,000 " in figures
    assert "Coverage (in-scope spend with a supplier whose location is known) 92.59% (£75,000)" in figures
    assert "Share with suppliers in Lancashire 53.33% (£40,000)" in figures
    assert "Share with suppliers in the North West, Lancashire included 80% (£60,000)" in figures
    assert "Computed from 7 payments dated 10 April 2024 to 16 September 2024" in figures
    method = text_of(public.get_page("public.figures_method"))
    assert "Coverage is the part of in-scope spend that went to suppliers whose location is known" in method
    assert "suppliers recorded as public bodies" in method
    assert "2024/25: coverage 92.59%. Enough to publish the share." in text_of(client.get_page("admin.dashboard"))


def test_a_public_body_in_the_register_is_left_out_of_scope_wherever_it_is(client, db):
    signed_in(client, make_staff(db, role="editor"))
    import_via_admin(client, FILE.encode(), "spend-2024-25.csv")
    work_list = client.get_page("admin.work_list", query={"year": "2024"})
    row = work_list.select("tbody tr")[1]
    assert "Lancashire County Council" in text_of(row)
    url = link(row, "Add to register")
    response = client.post(url, data={"name": "Lancashire County Council", "postcode": "LA1 1AA",
                                      "is_public_body": "y", "location_choice": "auto", "council_area": ""})
    assert response.status_code == 302
    work_list = page_at(client, response.headers["Location"])
    assert "It is a public body, so spend with it is left out of scope" in text_of(work_list)
    # £111,000 in scope less the council's £30,000, none of it classified yet.
    assert "£0 of £81,000 in-scope spend has a supplier whose location is known" in text_of(work_list)
