"""Open data: the pledges as CSV and JSON, the figures as JSON, safe for spreadsheets, documented."""

from __future__ import annotations

import csv
import io
import json

import pytest

from campaign.models.pledges import COMMITMENTS
from campaign.services.content.seed import FIGURES
from campaign.services.pledges import wall
from tests.pages import text_of
from tests.test_pledge_helpers import live, signed

PUBLIC_FIELDS = {
    "organisation", "page_url", "organisation_type", "size", "sector", "area", "area_code", "commitments",
    "statement", "website", "logo_url", "pledged_on", "reports",
}


def rows(client) -> list[dict]:
    response = client.get("/pledges.csv")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("url", ["/pledges.csv", "/api/pledges.json", "/api/figures.json"])
def test_files_allow_any_origin_and_are_cached_briefly(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert "stale-while-revalidate" in response.headers["Cache-Control"]
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_csv_has_a_header_and_one_row_per_live_pledge(client, db):
    live(db, commitments=["living_wage", "vcse"], statement="Hello")
    signed(db, contact_email="pending@example.com", organisation_name="Pending Co", postcode="PR1 2AB")
    response = client.get("/pledges.csv")
    assert response.content_type == "text/csv; charset=utf-8"
    assert 'filename="backing-lancashire-pledges.csv"' in response.headers["Content-Disposition"]
    [row] = rows(client)
    assert list(row) == wall.CSV_FIELDS
    assert row["organisation"] == "Pendle Pies Ltd"
    assert row["page_url"] == "http://127.0.0.1:5000/pledges/pendle-pies-ltd"
    assert (row["area"], row["area_code"], row["sector"]) == ("Pendle", "pendle", "Hospitality, food and tourism")
    assert [row[f"commits_{key}"] for key in COMMITMENTS] == ["no", "yes", "no", "no", "yes"]
    assert row["statement"] == "Hello" and row["website"] == "https://pendlepies.example.co.uk"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "＝"])
def test_cells_that_could_be_formulas_are_escaped(client, db, start):
    live(db, organisation_name=f"{start}HYPERLINK(\"http://evil\")", statement=f"{start}1+1")
    [row] = rows(client)
    assert row["organisation"].startswith("'" + start)
    assert row["statement"] == f"'{start}1+1"
    [record] = json.loads(client.get("/api/pledges.json").data)["pledges"]
    assert record["statement"] == f"{start}1+1"  # JSON is exact


def test_safe_cell_leaves_ordinary_text_alone():
    assert wall.safe_cell("Acme = best") == "Acme = best"
    assert wall.safe_cell(None) == ""
    assert wall.safe_cell("-5") == "'-5"


def test_json_holds_only_public_fields(client, db):
    live(db, commitments=["local_jobs"])
    document = json.loads(client.get("/api/pledges.json").data)
    assert document["count"] == 1 and document["licence"] == wall.LICENCE
    [record] = document["pledges"]
    assert set(record) == PUBLIC_FIELDS
    assert record["commitments"] == ["local_jobs"] and record["pledged_on"]
    text = json.dumps(document)
    for private in ("Sam Baker", "sam@pendlepies", "Owner", "BB9 7AA", "contact", "email"):
        assert private not in text


def test_figures_json_gives_each_figure_with_its_source_and_date(client, seeded):
    live(seeded)
    document = json.loads(client.get("/api/figures.json").data)
    assert len(document["figures"]) == len(FIGURES)
    first = document["figures"][0]
    assert first["source"] and "as_of" in first and first["unit_note"] == "pence"
    assert document["pledges"]["live"] == 1
    assert {"area": "Pendle", "area_code": "pendle", "count": 1} in document["pledges"]["by_area"]
    assert document["generated_at"]


def test_open_data_page_documents_the_files(client, db):
    soup = client.get_page("api.open_data")
    page = text_of(soup)
    for expected in ("/pledges.csv", "/api/pledges.json", "/api/figures.json", "Access-Control-Allow-Origin", "apostrophe"):
        assert expected in page
    for field in wall.CSV_FIELDS:
        assert field in page
