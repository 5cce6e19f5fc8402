"""Importing transparency spend files end to end: upload, columns, preview, import; the yearly
totals worked out from them; suppliers not yet in the register; and the `flask spend` commands."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from campaign.models import AuditEvent, FinancialYear, ImportMapping, SpendImport, SpendTransaction, Supplier
from campaign.models.common import utcnow
from campaign.models.spend import StagedUpload, SupplierAlias
from campaign.services.spend import imports as spend_import
from campaign.services.spend import staging, totals, values
from tests.factories import (
    load_user_per_request,
    make_staff,
    make_supplier,
    make_year,
    publish_everything,
    signed_in,
)
from tests.pages import parse, text_of


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


HEADER_A = "Date,Expense Type,Expense Area,Supplier,Transaction Number,Amount"
HEADER_B = "Body Name,Payment Date,Transaction Number,Supplier Name,Net Amount,VAT"
HEADER_C = "Service Cost Centre,Account Detail,Description,Ref no,Name,Payment date,Net Amount(£)"

VARIANTS = {
    "A": HEADER_A + "\n"
    "01/04/2024,Fuel,Fleet,Acme Fuels Ltd,T100,\"£1,234.56\"\n"
    "02/04/2024,Rent,Estates,Ribble Builders,T101,600.00\n",
    "B": HEADER_B + "\n"
    "Lancashire PCC,01/04/2024,T100,Acme Fuels Ltd,1234.56,246.91\n"
    "Lancashire PCC,02/04/2024,T101,Ribble Builders,600,120\n",
    "C": HEADER_C + "\n"
    "HQ,Fuel,Diesel,T100,Acme Fuels Ltd,01/04/2024,\"1,234.56\"\n"
    "Estates,Rent,Rent,T101,Ribble Builders,02/04/2024,600\n",
}

# Every messy case from the issue in one file: amounts, date styles, quoting, blank and
# trailing rows, header cells with stray spaces and colons, redacted rows, a bad row.
MESSY = (
    " Date: , Expense Type ,Expense Area,  Supplier:,Transaction Number ,Amount \n"  # 1
    '01/04/2024,Fuel,Fleet,Acme Fuels Ltd,T1,"£1,234.56"\n'  # 2
    "2/4/24,Rent,Estates,\"Smith, Jones & Co\",T2,1234.5\n"  # 3
    "\n"  # 4
    "2024-04-03,Refund,Estates,Acme Fuels Ltd,T3,-250.00\n"  # 5
    "04/04/2024,Refund,Fleet,Ribble Builders,T4,(250.00)\n"  # 6
    "05/04/2024,Care,Children,REDACTED - personal data,,750.00\n"  # 7
    "06/04/2024,Fuel,Fleet,Acme Fuels Ltd,T5,not known\n"  # 8
    ",,,,Total,3318.56\n"  # 9
    "\n\n"  # 10, 11
)


def upload(client, data: bytes, filename: str = "spend.csv"):
    return client.post(
        "/admin/spend/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def selected_mapping(page) -> dict[str, str]:
    """The column each select on the mapping page has chosen."""
    chosen = {}
    for name in ("date", "supplier", "amount", "reference"):
        option = page.find("select", attrs={"name": name}).find("option", selected=True)
        chosen[name] = option["value"] if option else ""
    return chosen


def import_via_admin(client, data: bytes, filename="spend.csv", mapping=None, accept_errors=False, publish=True):
    """Upload, confirm the proposed (or given) columns, preview and import; return the preview page.

    Unless told not to, a second person (a publisher) then approves the import and the figures.
    """
    response = upload(client, data, filename)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    mapping_url = response.headers["Location"]
    page = client.get_page("admin.spend_import_mapping", token=mapping_url.split("/")[-2])
    chosen = selected_mapping(page) | (mapping or {})
    response = client.post(mapping_url, data=chosen)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    preview_url = response.headers["Location"]
    preview = parse(client.get(preview_url).get_data(as_text=True))
    response = client.post(preview_url, data={"accept_errors": "y"} if accept_errors else {})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    if publish:
        publish_everything(client.application.extensions["sqlalchemy"])
    return preview


@pytest.fixture
def editor(client, db):
    user = make_staff(db, role="editor")
    signed_in(client, user)
    return user


def payments(db) -> list[tuple]:
    rows = db.session.execute(
        select(SpendTransaction.paid_on, SpendTransaction.supplier_name, SpendTransaction.amount_pence,
               SpendTransaction.reference, SpendTransaction.redacted, SpendTransaction.financial_year)
        .order_by(SpendTransaction.paid_on, SpendTransaction.amount_pence)
    )
    return [tuple(row) for row in rows]


@pytest.mark.parametrize("variant", ["A", "B", "C"])
def test_each_header_variant_imports_end_to_end(client, db, editor, variant):
    preview = import_via_admin(client, VARIANTS[variant].encode(), f"variant-{variant}.csv")
    assert "£1,834.56" in text_of(preview)
    assert payments(db) == [
        (date(2024, 4, 1), "Acme Fuels Ltd", 123456, "T100", False, 2024),
        (date(2024, 4, 2), "Ribble Builders", 60000, "T101", False, 2024),
    ]
    record = db.session.scalar(select(SpendImport))
    assert (record.row_count, record.added_count, record.total_pence) == (2, 2, 183456)
    assert record.filename == f"variant-{variant}.csv"


def test_the_proposed_columns_for_each_variant(client, db, editor):
    expected = {"A": ("0", "3", "5", "4"), "B": ("1", "3", "4", "2"), "C": ("5", "4", "6", "3")}
    for variant, columns in expected.items():
        response = upload(client, VARIANTS[variant].encode())
        page = client.get_page("admin.spend_import_mapping", token=response.headers["Location"].split("/")[-2])
        chosen = selected_mapping(page)
        assert (chosen["date"], chosen["supplier"], chosen["amount"], chosen["reference"]) == columns, variant


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_every_messy_value_end_to_end(client, db, editor, encoding):
    data = MESSY.encode(encoding)
    preview = import_via_admin(client, data, accept_errors=True)
    page = text_of(preview)
    assert "Line 8: Amount 'not known' is not a number" in page
    assert "1 row with errors" in page
    assert payments(db) == [
        (date(2024, 4, 1), "Acme Fuels Ltd", 123456, "T1", False, 2024),
        (date(2024, 4, 2), "Smith, Jones & Co", 123450, "T2", False, 2024),
        (date(2024, 4, 3), "Acme Fuels Ltd", -25000, "T3", False, 2024),
        (date(2024, 4, 4), "Ribble Builders", -25000, "T4", False, 2024),
        (date(2024, 4, 5), "Redacted personal data", 75000, None, True, 2024),
    ]
    record = db.session.scalar(select(SpendImport))
    assert record.total_pence == 123456 + 123450 - 25000 - 25000 + 75000
    assert record.skipped_count == 2  # the bad amount and the totals line


def test_march_payments_belong_to_the_year_before(client, db, editor):
    data = (HEADER_A + "\n31/03/2024,x,y,Acme,T1,100\n01/04/2024,x,y,Acme,T2,200\n").encode()
    import_via_admin(client, data)
    assert [row[-1] for row in payments(db)] == [2023, 2024]


def test_preview_lists_every_row_error_with_its_line_number(client, db, editor):
    bad_rows = "".join(f"0{day}/04/2024,x,y,Acme,T{day},oops{day}\n" for day in range(1, 8))
    data = (HEADER_A + "\n" + bad_rows + "31/02/2024,x,y,Acme,T9,5\n01/05/2024,x,y,,T10,5\n").encode()
    response = upload(client, data)
    token = response.headers["Location"].split("/")[-2]
    client.post(response.headers["Location"], data={"date": "0", "supplier": "3", "amount": "5", "reference": "4"})
    page = text_of(client.get_page("admin.spend_import_preview", token=token))
    for day in range(1, 8):
        assert f"Line {day + 1}: Amount 'oops{day}' is not a number" in page
    assert "Line 9: Date '31/02/2024' is not a real date" in page
    assert "Line 10: Supplier is blank" in page
    assert "There are no payments to import" in page
    errors_csv = client.get(f"/admin/spend/import/{token}/errors.csv")
    assert errors_csv.mimetype == "text/csv" and errors_csv.get_data(as_text=True).count("\n") == 10


def test_importing_with_errors_needs_confirmation(client, db, editor):
    response = upload(client, MESSY.encode())
    token = response.headers["Location"].split("/")[-2]
    client.post(response.headers["Location"], data={"date": "0", "supplier": "3", "amount": "5", "reference": "4"})
    soup = client.post_page(f"/admin/spend/import/{token}/preview", {}, status=400)
    assert "Confirm you have read the errors" in text_of(soup.select_one(".error-summary"))
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 0


def test_the_same_file_twice_adds_nothing_and_says_why(client, db, editor):
    data = VARIANTS["A"].encode()
    import_via_admin(client, data)
    response = upload(client, data, "renamed-copy.csv")
    assert response.status_code == 400
    assert "This file was already imported" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 2
    assert db.session.scalar(select(func.count(SpendImport.id))) == 1


def test_an_overlapping_file_adds_only_the_new_payments(client, db, editor):
    import_via_admin(client, VARIANTS["A"].encode(), "april.csv")
    overlapping = (VARIANTS["A"] + "03/04/2024,Fuel,Fleet,Acme Fuels Ltd,T102,99.99\n").encode()
    preview = import_via_admin(client, overlapping, "april-revised.csv")
    assert "2 already imported from another file" in text_of(preview)
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 3
    second = db.session.scalar(select(SpendImport).where(SpendImport.filename == "april-revised.csv"))
    assert (second.row_count, second.added_count) == (3, 1)
    # The same payments under another file's layout are recognised too.
    import_via_admin(client, VARIANTS["B"].encode(), "layout-b.csv")
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 3


def test_two_identical_payments_in_one_file_are_both_kept(client, db, editor):
    data = (HEADER_A + "\n01/04/2024,x,y,Acme,,50\n01/04/2024,x,y,Acme,,50\n").encode()
    import_via_admin(client, data)
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 2


def test_the_chosen_columns_are_remembered_for_the_same_headers(client, db, editor):
    header = "Date,Supplier,Amount,Gross,Ref"
    first = (header + "\n01/04/2024,Acme,100,120,R1\n").encode()
    import_via_admin(client, first, mapping={"amount": "3"})  # staff choose the gross column this time
    assert db.session.scalar(select(func.count(ImportMapping.id))) == 1
    second = (header + "\n02/04/2024,Acme,200,240,R2\n").encode()
    response = upload(client, second)
    page = client.get_page("admin.spend_import_mapping", token=response.headers["Location"].split("/")[-2])
    assert "the columns you chose last time" in text_of(page)
    assert selected_mapping(page)["amount"] == "3"


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"", "empty.csv", "The selected file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "logo.png", "could not be read as CSV"),
        (bytes(range(256)) * 40, "garbage.bin", "could not be read as CSV"),
        (b"PK\x03\x04" + b"\x00" * 100, "spend.xlsx", "Excel workbook"),
        (b"just one line of text", "notes.txt", "header row"),
        (b"\n\n\n", "blank.csv", "could not be read as CSV"),
        (b'"unterminated,quote\nx,y,z' + b"a" * 200_000, "broken.csv", "could not be read as CSV"),
    ],
)
def test_files_that_are_not_spend_csvs_are_refused_clearly(client, db, editor, data, filename, message):
    response = upload(client, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StagedUpload.id))) == 0


def test_uploading_nothing_asks_for_a_file(client, db, editor):
    soup = client.post_page("/admin/spend/import", {}, status=400)
    assert "Select a spend file (CSV) to upload" in text_of(soup.select_one(".error-summary"))


@pytest.mark.parametrize(
    "columns, message",
    [
        ({"date": "0", "supplier": "0", "amount": "5", "reference": ""}, "Select a different column for the supplier"),
        ({"date": "", "supplier": "3", "amount": "5", "reference": ""}, "Select the column that holds the payment date"),
        ({"date": "0", "supplier": "3", "amount": "99", "reference": ""}, "Select the column that holds the amount"),
        ({"date": "0", "supplier": "3", "amount": "abc", "reference": ""}, "Select the column that holds the amount"),
        ({"date": "0", "supplier": "3", "amount": "-1", "reference": ""}, "Select the column that holds the amount"),
    ],
)
def test_bad_column_choices_get_an_instruction(client, db, editor, columns, message):
    response = upload(client, VARIANTS["A"].encode())
    response = client.post(response.headers["Location"], data=columns)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_wrong_mapping_makes_errors_not_a_crash(client, db, editor):
    response = upload(client, VARIANTS["A"].encode())
    token = response.headers["Location"].split("/")[-2]
    client.post(response.headers["Location"], data={"date": "1", "supplier": "3", "amount": "2", "reference": ""})
    page = text_of(client.get_page("admin.spend_import_preview", token=token))
    assert "2 rows with errors" in page


def test_the_upload_waits_in_the_database_between_steps(client, db, editor):
    response = upload(client, VARIANTS["A"].encode(), "held.csv")
    staged = db.session.scalar(select(StagedUpload))
    assert staged.filename == "held.csv" and staged.data == VARIANTS["A"].encode()
    assert staged.staff_id == editor.id
    import_via_admin(client, VARIANTS["B"].encode())
    assert db.session.scalar(select(func.count(StagedUpload.id))) == 1  # the B upload is gone, held.csv waits
    assert response.headers["Location"].endswith("/columns")


def test_stale_uploads_are_purged(db):
    user = make_staff(db)
    staged = staging.stage(db.session, "old.csv", VARIANTS["A"].encode(), user.id)
    later = utcnow() + timedelta(hours=7)
    assert staging.get_staged(db.session, staged.token, user.id, now=later) is None
    assert staging.purge_stale(db.session, now=later) == 1
    db.session.commit()
    assert db.session.scalar(select(func.count(StagedUpload.id))) == 0


def test_someone_elses_upload_cannot_be_used(client, db, editor):
    other = make_staff(db)
    staged = staging.stage(db.session, "theirs.csv", VARIANTS["A"].encode(), other.id)
    response = client.get(f"/admin/spend/import/{staged.token}/columns")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/spend/import")
    assert client.post(f"/admin/spend/import/{staged.token}/preview").status_code == 302
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 0
    assert client.get("/admin/spend/import/not-a-token/preview").status_code == 302


def test_cancelling_an_upload_forgets_it(client, db, editor):
    response = upload(client, VARIANTS["A"].encode())
    token = response.headers["Location"].split("/")[-2]
    assert client.post(f"/admin/spend/import/{token}/cancel").status_code == 302
    assert db.session.scalar(select(func.count(StagedUpload.id))) == 0


def test_import_is_audited(client, db, editor):
    import_via_admin(client, VARIANTS["A"].encode(), "audited.csv")
    event_row = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "spend_import"))
    assert event_row.action == "import" and event_row.staff_id == editor.id
    assert event_row.after["added_count"] == 2 and event_row.after["filename"] == "audited.csv"


# ---------------------------------------------------------------------------
# Yearly totals and the supplier register
# ---------------------------------------------------------------------------

TOTALS_FILE = (
    HEADER_A + "\n"
    "01/04/2023,x,y,Preston Plumbing Ltd,P1,1000.00\n"
    "01/05/2023,x,y,Manchester Metals,P2,500.00\n"
    "01/06/2023,x,y,London Laptops plc,P3,300.00\n"
    "01/07/2023,x,y,Unknown Newco,P4,200.00\n"
    "01/08/2023,x,y,Redacted,,100.00\n"
    "01/04/2024,x,y,Preston Plumbing Ltd,P5,40.00\n"
)


@pytest.fixture
def register(db):
    make_supplier(db, "Preston Plumbing Limited", "lancashire", postcode="PR1 1AA", is_sme=True)
    make_supplier(db, "Manchester Metals", "north_west", postcode="M1 1AA", is_vcse=True)
    make_supplier(db, "London Laptops", "elsewhere", postcode="SW1A 1AA")


def test_yearly_totals_are_worked_out_from_the_payments(client, db, editor, register):
    import_via_admin(client, TOTALS_FILE.encode())
    year = db.session.scalar(select(FinancialYear).where(FinancialYear.start_year == 2023))
    assert year.computed_from_spend and year.source_text == totals.COMPUTED_SOURCE
    assert (year.total_spend_pence, year.lancashire_spend_pence, year.north_west_spend_pence,
            year.sme_spend_pence, year.vcse_spend_pence) == (210000, 100000, 150000, 100000, 50000)
    assert "£200 went to suppliers whose location is not yet known" in year.notes
    assert "£100 went to people whose names were withheld" in year.notes
    next_year = db.session.scalar(select(FinancialYear).where(FinancialYear.start_year == 2024))
    assert next_year.total_spend_pence == 4000
    public = text_of(client.application.test_client().get_page("public.figures_page"))
    assert "2023/24" in public and totals.COMPUTED_SOURCE in public


def test_documented_years_are_never_overwritten(client, db, editor, register):
    documented = make_year(db, 2023, total_spend_pence=46_000_000_00, source_text="Policy document")
    import_via_admin(client, TOTALS_FILE.encode())
    db.session.refresh(documented)
    assert documented.total_spend_pence == 46_000_000_00 and not documented.computed_from_spend
    page = text_of(client.get_page("admin.years"))
    assert "Imported payments for 2023/24 add up to £2,100, £1,000 in Lancashire" in page
    assert client.post(f"/admin/spend-by-year/{documented.id}/use-computed").status_code == 403  # editors cannot
    signed_in(client, make_staff(db, role="publisher"))
    client.post(f"/admin/spend-by-year/{documented.id}/use-computed")
    db.session.refresh(documented)
    assert documented.total_spend_pence == 210000 and documented.computed_from_spend
    event_row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "use_computed"))
    assert event_row.before["total_spend_pence"] == 46_000_000_00 and event_row.after["total_spend_pence"] == 210000


def test_editing_a_computed_year_makes_it_documented(client, db, editor, register):
    import_via_admin(client, TOTALS_FILE.encode())
    year = db.session.scalar(select(FinancialYear).where(FinancialYear.start_year == 2023))
    signed_in(client, make_staff(db, role="publisher"))  # the table is public at once, so publishers change it
    client.post(f"/admin/spend-by-year/{year.id}/edit", data={
        "start_year": "2023", "total_spend_pence": "£5,000", "source_text": "Annual report"})
    db.session.refresh(year)
    assert not year.computed_from_spend
    import_via_admin(client, (HEADER_A + "\n02/04/2023,x,y,Preston Plumbing Ltd,P9,7.00\n").encode())
    db.session.refresh(year)
    assert year.total_spend_pence == 5_000_00


def test_totals_are_one_sql_aggregation(db, register):
    user = make_staff(db)
    spend_import.import_data(db.session, "t.csv", TOTALS_FILE.encode(),
                             {"date": 0, "supplier": 3, "amount": 5, "reference": 4}, user)
    publish_everything(db)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        by_year = totals.computed_totals(db.session)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "GROUP BY" in statements[0] and "sum(" in statements[0].lower()
    assert by_year[2023].payments == 5 and by_year[2023].unclassified_pence == 20000


def test_unmatched_suppliers_are_listed_and_can_be_added(client, db, editor, register):
    import_via_admin(client, TOTALS_FILE.encode())
    page = client.get_page("admin.suppliers_unmatched")
    assert "Unknown Newco" in text_of(page) and "Redacted" not in text_of(page.select_one("tbody"))
    link = next(a["href"] for a in page.select("tbody a") if "Add to register" in a.get_text())
    form = client.get_page("admin.supplier_new", query={"name": "Unknown Newco"})
    assert form.find("input", attrs={"name": "name"})["value"] == "Unknown Newco"
    assert "name=Unknown+Newco" in link
    client.post("/admin/suppliers/new", data={"name": "Unknown Newco", "postcode": "BB7 1AA",
                                              "location_choice": "auto", "council_area": ""})
    supplier = db.session.scalar(select(Supplier).where(Supplier.name == "Unknown Newco"))
    assert supplier.location == "lancashire" and supplier.council_area == "ribble-valley"
    assert db.session.scalar(select(SpendTransaction.supplier_id).where(SpendTransaction.reference == "P4")) == supplier.id
    publish_everything(db)
    year = db.session.scalar(select(FinancialYear).where(FinancialYear.start_year == 2023))
    assert year.lancashire_spend_pence == 120000
    assert "Every supplier in the imported payments is in the register" in text_of(
        client.get_page("admin.suppliers_unmatched"))


def test_an_unmatched_name_can_be_matched_to_a_registered_supplier(client, db, editor, register):
    import_via_admin(client, TOTALS_FILE.encode())
    key = values.normalise_supplier_name("Unknown Newco")
    soup = client.post_page(f"/admin/suppliers/unmatched/match?key={key}", {"supplier_name": "Nobody Ltd"}, status=400)
    assert "Enter the name of a supplier in the register" in text_of(soup)
    response = client.post(f"/admin/suppliers/unmatched/match?key={key}", data={"supplier_name": "manchester metals"})
    assert response.status_code == 302
    alias = db.session.scalar(select(SupplierAlias))
    assert alias.name == "Unknown Newco" and alias.supplier.name == "Manchester Metals"
    publish_everything(db)
    year = db.session.scalar(select(FinancialYear).where(FinancialYear.start_year == 2023))
    assert year.north_west_spend_pence == 170000
    # The next file with that name matches straight away.
    import_via_admin(client, (HEADER_A + "\n02/07/2023,x,y,UNKNOWN NEWCO LTD,P99,1.00\n").encode())
    assert db.session.scalar(
        select(SpendTransaction.supplier_id).where(SpendTransaction.reference == "P99")) == alias.supplier_id


def test_removing_an_import_takes_its_payments_and_totals_out(client, db, editor, register):
    import_via_admin(client, TOTALS_FILE.encode(), "wrong.csv")
    record = db.session.scalar(select(SpendImport))
    assert client.get("/admin/spend/imports/1/remove").status_code == 403  # approved: a publisher's step
    signed_in(client, make_staff(db, role="publisher"))
    client.get_page("admin.spend_import_remove", import_id=record.id)
    assert client.post(f"/admin/spend/imports/{record.id}/remove").status_code == 302
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 0
    assert db.session.scalar(select(func.count(FinancialYear.id))) == 0
    import_via_admin(client, TOTALS_FILE.encode(), "right.csv")  # and it can be imported again
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 6


def test_pages_after_import_pass_the_page_checks(client, db, editor, register):
    import_via_admin(client, TOTALS_FILE.encode())
    record = db.session.scalar(select(SpendImport))
    client.get_page("admin.spend_import_detail", import_id=record.id)
    client.get_page("admin.spend_import")
    client.get_page("admin.years")
    client.get_page("admin.dashboard")


# ---------------------------------------------------------------------------
# flask spend import
# ---------------------------------------------------------------------------


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_cli_import_with_column_names(runner, db, tmp_path):
    path = write(tmp_path, "b.csv", VARIANTS["B"])
    result = runner.invoke(args=["spend", "import", path, "--mapping",
                                 "date=Payment Date,supplier=Supplier Name,amount=Net Amount,reference=Transaction Number"])
    assert result.exit_code == 0, result.output
    assert "Imported 2 new payments" in result.output
    assert len(payments(db)) == 2
    again = runner.invoke(args=["spend", "import", path, "--mapping", "date=1,supplier=3,amount=4"])
    assert again.exit_code == 1 and "already imported" in again.output


def test_cli_import_with_indexes_and_messy_rows(runner, db, tmp_path):
    path = write(tmp_path, "messy.csv", MESSY, "cp1252")
    result = runner.invoke(args=["spend", "import", path, "--mapping", "date=0,supplier=3,amount=5,reference=4"])
    assert result.exit_code == 0, result.output
    assert "Line 8: Amount 'not known' is not a number" in result.output
    assert len(payments(db)) == 5


def test_cli_import_without_a_mapping_uses_the_proposal(runner, db, tmp_path):
    result = runner.invoke(args=["spend", "import", write(tmp_path, "c.csv", VARIANTS["C"])])
    assert result.exit_code == 0, result.output
    assert "Using the proposed mapping" in result.output and len(payments(db)) == 2


def test_cli_dry_run_saves_nothing(runner, db, tmp_path):
    result = runner.invoke(args=["spend", "import", write(tmp_path, "a.csv", VARIANTS["A"]), "--dry-run"])
    assert result.exit_code == 0 and "Dry run" in result.output
    assert payments(db) == []


@pytest.mark.parametrize(
    "mapping, message",
    [
        ("date=Nope,supplier=Supplier,amount=Amount", "No column called 'Nope'"),
        ("date=0,supplier=0,amount=5", "Select a different column"),
        ("date=0,amount=5", "Select the column that holds the supplier"),
        ("when=0,supplier=3,amount=5", "is not a field=column pair"),
        ("date=0,supplier=3,amount=99", "Select one of the file’s columns"),
    ],
)
def test_cli_bad_mappings_fail_clearly(runner, db, tmp_path, mapping, message):
    result = runner.invoke(args=["spend", "import", write(tmp_path, "a.csv", VARIANTS["A"]), "--mapping", mapping])
    assert result.exit_code == 1 and message in result.output
    assert payments(db) == []


def test_cli_refuses_a_file_that_is_not_csv(runner, db, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    result = runner.invoke(args=["spend", "import", str(path)])
    assert result.exit_code == 1 and "Excel workbook" in result.output


def test_cli_recompute(runner, db, register):
    user = make_staff(db)
    spend_import.import_data(db.session, "t.csv", TOTALS_FILE.encode(),
                             {"date": 0, "supplier": 3, "amount": 5, "reference": 4}, user)
    publish_everything(db)
    result = runner.invoke(args=["spend", "recompute"])
    assert result.exit_code == 0 and "Updated 2 years" in result.output


def test_a_file_with_no_good_rows_cannot_be_imported(client, db, editor):
    response = upload(client, (HEADER_A + "\n01/04/2024,x,y,Acme,T1,oops\n").encode())
    token = response.headers["Location"].split("/")[-2]
    client.post(response.headers["Location"], data={"date": "0", "supplier": "3", "amount": "5", "reference": "4"})
    response = client.post(f"/admin/spend/import/{token}/preview", data={"accept_errors": "y"})
    assert response.status_code == 302
    assert "There are no payments to import" in text_of(client.get_page("admin.spend_import_preview", token=token))
    assert db.session.scalar(select(func.count(SpendImport.id))) == 0
