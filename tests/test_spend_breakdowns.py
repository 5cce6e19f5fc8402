"""Spend breakdowns: each adds up to the year's total, individuals are never named, and every one exports as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from campaign.models import SpendImport, SpendTransaction
from campaign.services.spend import bodies, breakdowns
from tests.factories import load_user_per_request, make_staff, make_supplier, signed_in
from tests.pages import text_of

YEAR = 2023


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


def pay(db, record, name, supplier=None, pence=100_00, paid_on=date(2023, 5, 1), category=None, redacted=False):
    year = paid_on.year if paid_on.month >= 4 else paid_on.year - 1
    db.session.add(SpendTransaction(
        import_id=record.id, supplier_id=supplier.id if supplier else None, supplier_name=name,
        supplier_key=name.lower(), paid_on=paid_on, financial_year=year, amount_pence=pence,
        row_key=f"row-{pay.counter}", redacted=redacted, category=category,
    ))
    pay.counter += 1


pay.counter = 0


@pytest.fixture
def payments(db):
    """Two years of payments: suppliers in every region, an unregistered payee, withheld names and a credit."""
    record = SpendImport(filename="demo.csv", file_sha256="0" * 64, header_signature="x", mapping={}, body_id=bodies.own_body(db.session).id, status="approved")
    db.session.add(record)
    db.session.flush()
    preston = make_supplier(db, "Preston Print Ltd", "lancashire", council_area="preston", is_sme=True)
    burnley = make_supplier(db, "Burnley Bakers", "lancashire", council_area="burnley", is_vcse=True, is_sme=True)
    unset = make_supplier(db, "Lancs Somewhere Ltd", "lancashire")
    manchester = make_supplier(db, "Manchester Metals", "north_west")
    london = make_supplier(db, "London Legal LLP", "elsewhere")
    unknown = make_supplier(db, "Nowhere Yet Ltd", "unknown")
    pay(db, record, "Preston Print Ltd", preston, 1_234_56, date(2023, 4, 3), "Printing")
    pay(db, record, "Preston Print Ltd", preston, -200_00, date(2023, 6, 3), "Printing")  # a credit note
    pay(db, record, "Burnley Bakers", burnley, 500_00, date(2024, 1, 9), "Catering")
    pay(db, record, "Lancs Somewhere Ltd", unset, 75_00, date(2023, 7, 1))
    pay(db, record, "Manchester Metals", manchester, 9_999_99, date(2024, 3, 31), "Fleet")
    pay(db, record, "London Legal LLP", london, 3_000_00, date(2023, 12, 25), "Legal")
    pay(db, record, "Nowhere Yet Ltd", unknown, 42_00, date(2023, 9, 9), "Legal")
    pay(db, record, "Unregistered Widgets", None, 610_00, date(2023, 10, 1), "Fleet")
    pay(db, record, "Jane Private", None, 450_00, date(2023, 11, 1), "Care", redacted=True)
    pay(db, record, "REDACTED", None, 50_00, date(2023, 11, 2), "Care", redacted=True)
    pay(db, record, "Preston Print Ltd", preston, 800_00, date(2022, 8, 1), "Printing")  # the year before
    db.session.commit()
    return db


def year_total(db, year=YEAR) -> int:
    return sum(db.session.scalars(select(SpendTransaction.amount_pence).where(SpendTransaction.financial_year == year)))


def column(table, index):
    return sum(row[index] for row in table.rows)


@pytest.mark.parametrize("kind", ["month", "category", "suppliers", "region"])
def test_each_breakdown_adds_up_to_the_years_total(payments, kind):
    table = breakdowns.BREAKDOWNS[kind](payments.session, YEAR)
    total = year_total(payments)
    assert total == 1_234_56 - 200_00 + 500_00 + 75_00 + 9_999_99 + 3_000_00 + 42_00 + 610_00 + 500_00
    assert column(table, 2) == total == table.total[2]
    assert column(table, 1) == table.total[1] == 10


def test_the_council_breakdown_adds_up_to_the_lancashire_row(payments):
    councils = breakdowns.by_council(payments.session, YEAR)
    region = breakdowns.by_region(payments.session, YEAR)
    lancashire = next(row for row in region.rows if row[0] == "Lancashire")
    assert column(councils, 2) == councils.total[2] == lancashire[2] == 1_234_56 - 200_00 + 500_00 + 75_00
    assert [row[0] for row in councils.rows] == ["Preston", "Burnley", "Lancashire, council area not set"]


def test_regions_and_the_not_known_row(payments):
    rows = {row[0]: row[2] for row in breakdowns.by_region(payments.session, YEAR).rows}
    assert rows == {"Lancashire": 1_609_56, "Rest of the North West": 9_999_99, "Elsewhere": 3_000_00,
                    "Not known": 42_00 + 610_00 + 500_00}


def test_sme_and_vcse_columns_each_add_up_to_the_total(payments):
    table = breakdowns.sme_vcse(payments.session, YEAR)
    total = year_total(payments)
    assert column(table, 1) == column(table, 3) == table.total[1] == total
    assert table.rows[0][1] == 1_234_56 - 200_00 + 500_00 and table.rows[0][3] == 500_00
    assert table.rows[0][2] == breakdowns.share(1_534_56, total)


def test_months_are_in_order_and_year_on_year_compares_with_the_year_before(payments):
    months = breakdowns.by_month(payments.session, YEAR)
    assert [row[0] for row in months.rows][:2] == ["April 2023", "June 2023"]
    assert months.rows[-1][0] == "March 2024"
    years = breakdowns.year_on_year(payments.session, YEAR)
    assert [row[0] for row in years.rows] == ["2022/23", "2023/24"]
    assert years.rows[1][2] == year_total(payments)
    assert years.rows[1][3] == year_total(payments) - 800_00
    assert years.rows[0][3] is None


def test_top_suppliers_name_organisations_only(payments):
    table = breakdowns.top_suppliers(payments.session, YEAR, limit=2)
    names = [row[0] for row in table.rows]
    assert names[:2] == ["Manchester Metals", "London Legal LLP"]
    assert "The other 4 registered suppliers" in names
    assert breakdowns.INDIVIDUALS in names and breakdowns.NOT_REGISTERED in names
    assert not any("Jane" in name or "REDACTED" in name or "Widgets" in name for name in names)
    assert column(table, 2) == year_total(payments)


def test_an_extra_condition_narrows_every_breakdown(payments):
    extra = [SpendTransaction.category == "Legal"]
    for kind, function in breakdowns.BREAKDOWNS.items():
        table = function(payments.session, YEAR, extra)
        if kind in ("month", "category", "suppliers", "region"):
            assert table.total[2] == 3_042_00, kind


def test_pages_show_money_and_csv_exports_add_up(client, payments):
    signed_in(client, make_staff(payments, role="editor"))
    index = text_of(client.get_page("admin.breakdowns"))
    assert "2023/24" in index and "Computed from 10 imported payments dated 03/04/2023 to 31/03/2024" in index
    for kind in breakdowns.BREAKDOWNS:
        page = client.get_page("admin.breakdown", kind=kind, query={"year": YEAR})
        assert page.select_one("table caption").get_text(strip=True)
        assert "Jane Private" not in text_of(page)
        response = client.get(f"/admin/spend/breakdowns/{kind}.csv?year={YEAR}")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert "Jane Private" not in response.get_data(as_text=True)
        if kind in ("month", "category", "suppliers", "region"):
            heading = rows[0].index("Total (£)")
            body = [row for row in rows[1:] if row and row[0] != "Total" and not row[0].startswith("Computed")]
            total = next(row for row in rows if row and row[0] == "Total")
            assert sum(round(float(row[heading]) * 100) for row in body) == round(float(total[heading]) * 100)
            assert total[heading] == "15761.55"
    suppliers_page = text_of(client.get_page("admin.breakdown", kind="suppliers", query={"year": YEAR}).select_one("table"))
    assert "£9,999.99" in suppliers_page and "Payments to individuals (names withheld) 2 £500 3.17%" in suppliers_page
    assert "Preston Print Ltd 2 £1,034.56" in suppliers_page


def test_csv_cells_cannot_run_as_formulas(db):
    assert breakdowns.csv_cell("=HYPERLINK(\"x\")", "text") == "'=HYPERLINK(\"x\")"
    assert breakdowns.csv_cell("@SUM(A1)", "text").startswith("'")
    assert breakdowns.csv_cell("+44 cmd", "text").startswith("'")
    assert breakdowns.csv_cell("-1+cmd|' /C calc'!A0", "text").startswith("'")
    assert breakdowns.csv_cell(-123_45, "pence") == "-123.45"
    assert breakdowns.csv_cell(-5, "count") == "-5"


def test_an_unknown_breakdown_is_404_and_no_payments_is_explained(client, db):
    signed_in(client, make_staff(db, role="editor"))
    assert client.get("/admin/spend/breakdowns/nonsense").status_code == 404
    assert "no imported payments" in text_of(client.get_page("admin.breakdown", kind="month"))
    assert client.get("/admin/spend/breakdowns/month.csv").status_code == 404
