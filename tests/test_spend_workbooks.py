"""The OPCC's own workbooks (shipped in campaign/data/opcc-spend/) read to the penny, through the
service, the admin upload and `flask spend import`; and bad uploads get a 4xx with a message."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from campaign.models import SpendImport, SpendTransaction
from campaign.models.spend import StagedUpload
from campaign.services.spend import staging
from campaign.services.spend.parse import preview
from tests.factories import load_user_per_request, make_staff, signed_in
from tests.pages import text_of

DATA = Path(__file__).resolve().parent.parent / "campaign" / "data" / "opcc-spend"
OPCC_MAPPING = {"date": 1, "supplier": 3, "amount": 2, "reference": None, "category": 0}

# Independent totals, from the README beside the files: payments, and pence.
FILES = {"pcc-2023-24.xlsx": (9_289, 10_432_277_362), "pcc-2024-25.xlsx": (7_857, 11_096_228_483)}
# Each month's sheet, worked out independently (openpyxl and Decimal, each amount rounded half-up).
SHEETS = {
    "pcc-2023-24.xlsx": [
        ("Apr", 757, 1274413416), ("May", 606, 512048651), ("Jun", 817, 938286367), ("Jul", 737, 1024554679),
        ("Aug", 1164, 1115226022), ("Sep", 675, 638642380), ("Oct", 722, 655279022), ("Nov", 620, 541310440),
        ("Dec", 658, 637609402), ("Jan '24", 810, 843748192), ("Feb '24", 717, 608916042),
        ("Mar '24", 1006, 1642242749),
    ],
    "pcc-2024-25.xlsx": [
        ("APR 24", 1307, 4396505971), ("MAY 24", 733, 747529484), ("JUN 24", 788, 1135141830),
        ("JUL 24", 802, 608043166), ("AUG 24", 815, 726149453), ("SEP 24", 618, 527055357),
        ("OCT 24", 826, 788196947), ("Nov 24", 620, 666498942), ("Dec 24", 759, 702231014),
        ("Jan 25", 589, 798876319),
    ],
}


@pytest.fixture(scope="module")
def parsed():
    return {name: preview((DATA / name).read_bytes(), OPCC_MAPPING) for name in FILES}


@pytest.mark.parametrize("name", FILES)
def test_each_workbook_matches_its_independent_total_to_the_penny(parsed, name):
    result = parsed[name]
    assert (result.row_count, result.total_pence) == FILES[name]
    assert not result.errors and not result.skipped


@pytest.mark.parametrize("name", FILES)
def test_each_sheet_matches_its_independent_total(parsed, name):
    assert [(s.name, s.row_count, s.total_pence) for s in parsed[name].sheets] == SHEETS[name]
    assert sum(s.total_pence for s in parsed[name].sheets) == FILES[name][1]


def test_the_opcc_placeholder_is_withheld_and_real_suppliers_are_not(parsed):
    rows = parsed["pcc-2023-24.xlsx"].rows
    assert sum(r.redacted for r in rows) == 509 + 21  # THIRD PARTY SUPPLIER, THIRD PARTY
    assert any(r.supplier_name == "THIRD PARTY FORENSIC SERVICES" and not r.redacted for r in rows)
    assert all(r.category for r in rows)


def test_the_proposed_columns_fit_the_opcc_headers(db):
    headers = staging.read_headers((DATA / "pcc-2024-25.xlsx").read_bytes())
    assert headers == ["* Expenditure Category", "* Date", "TOTAL", "* SUPPLIER FINAL"]
    assert staging.mapping_for(db.session, headers) == (OPCC_MAPPING, False)


# ---------------------------------------------------------------------------
# The admin upload
# ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


@pytest.fixture
def editor(client, db):
    user = make_staff(db, role="editor")
    signed_in(client, user)
    return user


def upload(client, data: bytes, filename: str):
    return client.post(
        "/admin/spend/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def test_an_xlsx_uploads_previews_by_sheet_and_imports(client, db, editor):
    response = upload(client, (DATA / "pcc-2024-25.xlsx").read_bytes(), "pcc-2024-25.xlsx")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    token = response.headers["Location"].split("/")[-2]
    page = client.get_page("admin.spend_import_mapping", token=token)
    chosen = {name: page.find("select", attrs={"name": name}).find("option", selected=True)["value"]
              for name in ("date", "supplier", "amount", "category")}
    assert chosen == {"date": "1", "supplier": "3", "amount": "2", "category": "0"}
    assert "APR 24" in text_of(page)
    client.post(f"/admin/spend/import/{token}/columns", data=chosen)

    page = client.get_page("admin.spend_import_preview", token=token)
    sheets = page.find(id="sheets-caption").find_parent("table")
    assert "£43,965,059.71" in text_of(sheets) and "APR 24" in text_of(sheets)
    assert "£110,962,284.83" in text_of(page) and "7,857" in text_of(page)
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 0  # nothing saved before the import

    response = client.post(f"/admin/spend/import/{token}/preview", data={})
    assert response.status_code == 302
    assert db.session.scalar(select(func.sum(SpendTransaction.amount_pence))) == 11_096_228_483
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 7_857
    assert db.session.scalar(select(func.count()).where(SpendTransaction.category == "Vehicle Purchase")) > 0


ODD_UTF16 = "Date,Supplier,Amount\n01/04/2024,Acme,600\n".encode("utf-16") + b"\x00"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (ODD_UTF16, "odd.csv", "odd number of bytes"),
        (b"\xff\xfe" + "Date,Supplier,Amount\n".encode("utf-16-le") + b"\x00\xd8A\x00", "bad.csv", "damaged at byte"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old.xls", "old-style Excel workbook"),
        (b"PK\x03\x04garbage" * 10, "bad.xlsx", "Excel workbook"),
    ],
)
def test_undecodable_uploads_get_a_400_with_a_message(client, db, editor, data, filename, message):
    response = upload(client, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StagedUpload.id))) == 0


def test_an_upload_over_the_row_cap_gets_a_400(app, client, db, editor):
    app.config["SPEND_MAX_ROWS"] = 50
    response = upload(client, ("Date,Supplier,Amount\n" + "01/04/2024,Acme,1\n" * 60).encode(), "big.csv")
    assert response.status_code == 400
    assert "more than 50 rows" in response.get_data(as_text=True)


def test_an_upload_over_the_byte_cap_gets_a_413(app, client, db, editor):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = upload(client, b"Date,Supplier,Amount\n" + b"01/04/2024,Acme,1\n" * 2_000, "big.csv")
    assert response.status_code == 413


# ---------------------------------------------------------------------------
# flask spend import FILE...
# ---------------------------------------------------------------------------


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_cli_imports_both_workbooks_showing_file_and_sheet_totals_first(runner, db):
    paths = [str(DATA / name) for name in FILES]
    result = runner.invoke(args=["spend", "import", *paths, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "pcc-2023-24.xlsx: 9,289 payments read, total £104,322,773.62" in result.output
    assert "pcc-2024-25.xlsx: 7,857 payments read, total £110,962,284.83" in result.output
    assert "Sheet Mar '24: 1,006 payments, £16,422,427.49" in result.output
    assert "credits 32 totalling -£234,927.44" in result.output
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 0

    result = runner.invoke(args=["spend", "import", *paths])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(SpendImport.id))) == 2
    assert db.session.scalar(select(func.sum(SpendTransaction.amount_pence))) == 10_432_277_362 + 11_096_228_483


def test_cli_saves_nothing_when_any_file_is_bad(runner, db, tmp_path):
    bad = tmp_path / "odd.csv"
    bad.write_bytes(ODD_UTF16)
    result = runner.invoke(args=["spend", "import", str(DATA / "pcc-2024-25.xlsx"), str(bad)])
    assert result.exit_code == 1 and "odd.csv" in result.output and "odd number of bytes" in result.output
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 0


def test_cli_first_row_is_data(runner, db, tmp_path):
    path = tmp_path / "headless.csv"
    path.write_bytes("01/04/2024,Acme,600\n02/04/2024,Ribble,\"106,396.00-\"\n".encode("cp1252"))
    result = runner.invoke(args=["spend", "import", str(path), "--first-row-is-data", "--mapping",
                                 "date=0,supplier=1,amount=2"])
    assert result.exit_code == 0, result.output
    assert "2 payments read, total -£105,796.00" in result.output
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 2
