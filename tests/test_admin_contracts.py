"""The contracts register: every field, the 2.5% flag, filters, totals and a CSV export that
spreadsheets cannot run as formulas."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from campaign.models import AuditEvent, CaseStudy, Contract
from campaign.services.spend.contracts import safe_cell
from tests.factories import load_user_per_request, make_contract, make_staff, make_supplier, signed_in
from tests.pages import text_of


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


@pytest.fixture
def editor(client, db):
    user = make_staff(db, role="editor")
    signed_in(client, user)
    return user


CONTRACT = {
    "title": "West Division HQ build",
    "supplier_name": "Ribble Builders Limited",
    "category": "Construction",
    "awarded_on-day": "14", "awarded_on-month": "6", "awarded_on-year": "2017",
    "value_pence": "£25,000,000",
    "term_months": "30",
    "social_value_weighting_bp": "10",
    "living_wage_committed": "y",
    "local_jobs_committed": "40", "local_jobs_delivered": "52",
    "apprenticeships_committed": "6", "apprenticeships_delivered": "4",
    "local_spend_committed_pence": "£5,000,000", "local_spend_delivered_pence": "£6,300,000.00",
    "environment_committed": "BREEAM Excellent", "environment_delivered": "BREEAM Very Good",
    "volunteering_hours_committed": "1,000", "volunteering_hours_delivered": "1200",
    "case_study_id": "",
    "notes": "",
}


def test_a_contract_with_every_field(client, db, editor):
    supplier = make_supplier(db, "Ribble Builders Ltd")
    study = CaseStudy(slug="hq", title="HQ", summary="s", source_text="x")
    db.session.add(study)
    db.session.commit()
    response = client.post("/admin/contracts/new", data=CONTRACT | {"case_study_id": str(study.id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    contract = db.session.scalar(select(Contract))
    assert (contract.title, contract.supplier_id, contract.category, contract.awarded_on, contract.value_pence,
            contract.term_months, contract.social_value_weighting_bp) == (
        "West Division HQ build", supplier.id, "Construction", date(2017, 6, 14), 25_000_000_00, 30, 1000)
    assert (contract.living_wage_committed, contract.living_wage_delivered) == (True, False)
    assert (contract.local_jobs_committed, contract.local_jobs_delivered) == (40, 52)
    assert (contract.local_spend_committed_pence, contract.local_spend_delivered_pence) == (5_000_000_00, 6_300_000_00)
    assert (contract.volunteering_hours_committed, contract.volunteering_hours_delivered) == (1000, 1200)
    assert contract.case_study_id == study.id and contract.environment_delivered == "BREEAM Very Good"
    assert not contract.below_policy_minimum
    form = client.get_page("admin.contract_edit", contract_id=contract.id)
    assert form.find("input", attrs={"name": "value_pence"})["value"] == "25,000,000.00"
    assert form.find("input", attrs={"name": "supplier_name"})["value"] == "Ribble Builders Ltd"
    assert form.find("input", attrs={"name": "awarded_on-month"})["value"] == "6"


def test_weighting_below_the_minimum_is_flagged(client, db, editor):
    make_supplier(db, "Ribble Builders Ltd")
    client.post("/admin/contracts/new", data=CONTRACT | {"social_value_weighting_bp": "2.4", "title": "Low"})
    client.post("/admin/contracts/new", data=CONTRACT | {"social_value_weighting_bp": "2.5", "title": "Exactly"})
    low, exact = db.session.scalars(select(Contract).order_by(Contract.id)).all()
    assert (low.social_value_weighting_bp, low.below_policy_minimum) == (240, True)
    assert (exact.social_value_weighting_bp, exact.below_policy_minimum) == (250, False)
    page = client.get_page("admin.contracts")
    rows = {text_of(row.th): text_of(row) for row in page.select("tbody tr") if row.th}
    assert "Below 2.5%" in next(text for title, text in rows.items() if title.startswith("Low"))
    assert "Below 2.5%" not in next(text for title, text in rows.items() if title.startswith("Exactly"))
    assert "below the policy’s 2.5% minimum" in text_of(client.get_page("admin.contract_edit", contract_id=low.id))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"title": ""}, "Enter the contract&#39;s title"),
        ({"value_pence": ""}, "Enter the contract value in pounds and pence"),
        ({"value_pence": "-100"}, "Enter the contract value in pounds and pence"),
        ({"social_value_weighting_bp": "150"}, "Enter the weighting as a percentage between 0 and 100"),
        ({"local_jobs_committed": "3.5"}, "Enter local jobs committed as a whole number"),
        ({"supplier_name": "Nobody We Know"}, "Enter the name of a supplier in the register"),
        ({"case_study_id": "999"}, "Select a case study from the list"),
        ({"awarded_on-day": "40"}, "The award date must be a real date"),
        ({"awarded_on-year": ""}, "The award date must include a year"),
        ({"title": "t" * 301}, "must be 300 characters or fewer"),
    ],
)
def test_bad_contract_details_get_an_instruction(client, db, editor, changes, message):
    make_supplier(db, "Ribble Builders Ltd")
    response = client.post("/admin/contracts/new", data=CONTRACT | changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Contract)) is None


@pytest.fixture
def register(db):
    builders = make_supplier(db, "Ribble Builders")
    hay = make_supplier(db, "Bowland Hay")
    make_contract(db, "HQ build", supplier_id=builders.id, category="Construction", awarded_on=date(2017, 6, 1),
                  value_pence=25_000_000_00, social_value_weighting_bp=1000, local_jobs_committed=40,
                  local_jobs_delivered=52, local_spend_delivered_pence=6_300_000_00, living_wage_committed=True)
    make_contract(db, "Hay supply", supplier_id=hay.id, category="Animal feed", awarded_on=date(2019, 3, 1),
                  value_pence=40_000_00, social_value_weighting_bp=200, local_jobs_committed=1,
                  local_jobs_delivered=1, living_wage_committed=True, living_wage_delivered=True)
    make_contract(db, "=HYPERLINK(\"http://evil.example\",\"click\")", category="+Other", value_pence=1_00,
                  notes="@SUM(A1:A9)", environment_committed="-2+3")


def listed(client, **query) -> list[str]:
    page = client.get_page("admin.contracts", query=query)
    return sorted(text_of(row.th).split(" ")[0] for row in page.select("table")[0].select("tbody tr") if row.th)


def test_filters_and_totals(client, db, editor, register):
    assert len(listed(client)) == 3
    assert listed(client, category="Construction") == ["HQ"]
    assert listed(client, supplier="hay") == ["Hay"]
    assert listed(client, below_minimum="y") == ["Hay"]
    assert listed(client, year="2018") == ["Hay"]  # 1 March 2019 is in 2018/19
    page = client.get_page("admin.contracts", query={"category": "Construction"})
    totals = text_of(page.select("table")[1])
    assert "£25,000,000" in totals and "Local jobs 40 52" in totals and "£6,300,000" in totals
    everything = text_of(client.get_page("admin.contracts").select("table")[1])
    assert "£25,040,001" in everything and "Contracts paying the real Living Wage 2 1" in everything
    assert "Contracts below the 2.5% weighting minimum 1" in everything


def test_nonsense_filters_are_ignored_not_errors(client, db, editor, register):
    assert len(listed(client, category="Nope", year="abc")) == 3
    assert len(listed(client, year="99999999999999999999")) == 3


def test_csv_export_escapes_formulas_and_follows_filters(client, db, editor, register):
    response = client.get("/admin/contracts/export.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, *body = rows
    assert header[0] == "Title" and len(body) == 3
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    evil = next(row for row in body if "HYPERLINK" in row[0])
    assert evil[0].startswith("'=") and evil[2] == "'+Other" and evil[-1] == "'@SUM(A1:A9)"
    assert evil[header.index("Environmental measures committed")] == "'-2+3"
    hq = next(row for row in body if row[0] == "HQ build")
    assert hq[header.index("Value (£)")] == "25000000.00" and hq[header.index("Below 2.5% minimum")] == "No"
    filtered = client.get("/admin/contracts/export.csv?below_minimum=y").get_data(as_text=True)
    assert "Hay supply" in filtered and "HQ build" not in filtered


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_safe_cell(value):
    assert safe_cell(value).startswith("'")


def test_contract_changes_are_audited(client, db, editor):
    make_supplier(db, "Ribble Builders Ltd")
    client.post("/admin/contracts/new", data=CONTRACT)
    contract = db.session.scalar(select(Contract))
    client.post(f"/admin/contracts/{contract.id}/edit", data=CONTRACT | {"local_jobs_delivered": "60"})
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "contract")
                                .order_by(AuditEvent.id)).all()
    assert [event.action for event in events] == ["create", "update"]
    assert events[1].before["local_jobs_delivered"] == 52 and events[1].after["local_jobs_delivered"] == 60


def test_blank_outcome_boxes_mean_none_yet(client, db, editor):
    make_supplier(db, "Ribble Builders Ltd")
    blanks = {key: " " for key in ("local_jobs_committed", "local_jobs_delivered", "local_spend_committed_pence",
                                   "local_spend_delivered_pence", "volunteering_hours_delivered")}
    assert client.post("/admin/contracts/new", data=CONTRACT | blanks).status_code == 302
    contract = db.session.scalar(select(Contract))
    assert (contract.local_jobs_committed, contract.local_spend_committed_pence,
            contract.local_spend_delivered_pence, contract.volunteering_hours_delivered) == (0, 0, 0, 0)
