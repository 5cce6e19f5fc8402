"""Reading the files public bodies publish: every layout, encoding and workbook quirk, the withheld
names, and the caps on rows and bytes. Files are written here, small, one quirk each."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest

from campaign.services.spend import staging
from campaign.services.spend.columns import propose_category, propose_mapping
from campaign.services.spend.parse import REDACTED_LABEL, FileFormatError, FileTooLargeError, preview, read_table
from campaign.services.spend.reading import decode_csv, read_sheets
from campaign.services.spend.values import amount_pence, cell_date, is_redacted, parse_amount
from config import DEFAULT_WITHHELD_SUPPLIER_NAMES

D = datetime.date
MAP = {"date": 0, "supplier": 1, "amount": 2}


def workbook(*sheets: tuple[str, list[tuple]]) -> bytes:
    """An .xlsx file with these sheets of rows."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def summary(result) -> list[tuple]:
    """Each sheet's name, payments, total and credits."""
    return [(s.name, s.row_count, s.total_pence, s.credit_count, s.credit_total_pence) for s in result.sheets]


# ---------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------

TEXT = "Date,Supplier,Amount\n01/04/2024,Café Crème Ltd,£600.00\n02/04/2024,O’Neill & Co,\"£1,000.50\"\n"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode("utf-8"),
        TEXT.encode("cp1252"),
        TEXT.encode("utf-16"),  # with its BOM
        TEXT.encode("utf-16-le"),  # without
        TEXT.encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "cp1252", "utf-16", "utf-16-le-no-bom", "utf-16-be-no-bom"],
)
def test_every_encoding_reads_the_same_payments(data: bytes) -> None:
    result = preview(data, MAP)
    assert [(r.supplier_name, r.amount_pence) for r in result.rows] == [("Café Crème Ltd", 60000), ("O’Neill & Co", 100050)]
    assert result.total_pence == 160050


def test_cp1252_pound_sign_is_one_byte() -> None:
    assert b"\xa3600.00" in TEXT.encode("cp1252")
    assert preview(TEXT.encode("cp1252"), MAP).rows[0].amount_pence == 60000


@pytest.mark.parametrize("data", [TEXT.encode("utf-16")[:-1], TEXT.encode("utf-16-le")[:-1]])
def test_utf16_with_an_odd_byte_length_is_refused_with_a_message(data: bytes) -> None:
    with pytest.raises(FileFormatError, match="odd number of bytes"):
        decode_csv(data)


def test_utf16_with_a_lone_surrogate_is_refused_with_a_message() -> None:
    with pytest.raises(FileFormatError, match="damaged at byte"):
        decode_csv(b"\xff\xfe" + "Date,".encode("utf-16-le") + b"\x00\xd8" + "x".encode("utf-16-le"))


# ---------------------------------------------------------------------------
# Where the header row is
# ---------------------------------------------------------------------------


def test_header_under_title_and_blank_lines() -> None:
    data = b"OPCC for Lancashire\nPayments over \xa3500, April 2024\n\n\nDate,Supplier,Amount\n01/04/2024,Acme,600\n"
    result = preview(data, MAP)
    assert [(r.line, r.amount_pence) for r in result.rows] == [(6, 60000)]
    assert result.sheets[0].title_lines == 2 and result.sheets[0].blank_rows == 2


@pytest.mark.parametrize("extra", [0, 40])  # a short file, and one longer than the header scan
def test_header_on_the_last_line_loses_no_payment(extra: int) -> None:
    rows = "".join(f"0{1 + i % 9}/04/2024,Supplier {i},{100 + i}.00\n" for i in range(2 + extra))
    data = (rows + "Date,Supplier,Amount\n").encode()
    result = preview(data, MAP)
    assert result.row_count == 2 + extra
    assert result.rows[0].supplier_name == "Supplier 0" and result.rows[0].line == 1
    assert result.headers == ["Date", "Supplier", "Amount"]
    assert any("last row" in note for note in result.notes)


def test_a_file_with_no_header_is_never_missing_its_first_payment() -> None:
    data = b"01/04/2024,Acme,600\n02/04/2024,Ribble,700\n"
    assert read_table(data).headers == ["Column 1", "Column 2", "Column 3"]
    assert preview(data, MAP).row_count == 2


def test_first_row_is_data_choice() -> None:
    data = b"Acme Widgets,Ribble Builders,Lune Ltd\n01/04/2024,Acme,600\n"
    assert preview(data, MAP).row_count == 1  # the first row is taken as headings
    result = preview(data, MAP | {"first_row_is_data": True})
    assert result.headers == ["Column 1", "Column 2", "Column 3"]
    assert [e.message for e in result.errors] == ["Line 1: Date 'Acme Widgets' is not a date we recognise; "
                                                  "use a format like 31/03/2024; Amount 'Lune Ltd' is not a number"]


def test_multi_line_quoted_cells_keep_spreadsheet_row_numbers() -> None:
    data = b'Date,Supplier,Amount\n01/04/2024,"Acme\nWidgets Ltd",600\n02/04/2024,Ribble,oops\n'
    result = preview(data, MAP)
    assert result.rows[0].supplier_name == "Acme\nWidgets Ltd"
    assert [e.message for e in result.errors] == ["Line 3: Amount 'oops' is not a number"]


def test_blank_and_total_rows_are_skipped_and_reported() -> None:
    data = b"Date,Supplier,Amount\n01/04/2024,Acme,600\n,,\n\n,TOTAL,600\n"
    result = preview(data, MAP)
    assert result.row_count == 1 and not result.errors
    assert [s.message for s in result.skipped] == ["Line 5: skipped a totals row"]
    assert result.sheets[0].blank_rows == 2


# ---------------------------------------------------------------------------
# Amounts and dates
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pence"),
    [("106,396.00-", -10639600), ("(250.00)", -25000), ("£1,234.56", 123456), ("875.6899999999999", 87569),
     ("-2470.7", -247070)],
)
def test_amounts_as_published(text: str, pence: int) -> None:
    assert parse_amount(text) == pence


@pytest.mark.parametrize(
    ("value", "pence"),
    [(875.6899999999999, 87569), (9533.910000000003, 953391), (0.125, 13), (-0.125, -13), (22000, 2200000),
     (-2470.7, -247070)],
)
def test_workbook_numbers_round_half_up_to_the_penny(value: float, pence: int) -> None:
    assert amount_pence(value) == pence


def test_credits_with_a_trailing_minus_are_totalled_apart() -> None:
    data = b'Date,Supplier,Amount\n01/04/2024,Acme,"1,000.00"\n02/04/2024,Acme,"106,396.00-"\n'
    result = preview(data, MAP)
    assert result.total_pence == 100000 - 10639600
    assert (result.credit_count, result.credit_total_pence) == (1, -10639600)


@pytest.mark.parametrize(
    ("cell", "day"),
    [(45044, D(2023, 4, 28)), (45044.0, D(2023, 4, 28)), ("45044", D(2023, 4, 28)),
     (datetime.datetime(2024, 4, 1, 0, 0), D(2024, 4, 1)), ("1 April 2024", D(2024, 4, 1)), ("2024-04-01", D(2024, 4, 1))],
)
def test_excel_serial_dates_and_text_dates(cell: object, day: datetime.date) -> None:
    assert cell_date(cell) == day


def test_serial_numbers_outside_spend_years_are_refused() -> None:
    with pytest.raises(ValueError, match="not a date"):
        cell_date(12)


# ---------------------------------------------------------------------------
# Workbooks
# ---------------------------------------------------------------------------

OPCC_HEADERS = ("* Expenditure Category", "* Date", "TOTAL", "* SUPPLIER FINAL")


def test_every_sheet_of_a_workbook_is_read_with_its_own_totals() -> None:
    data = workbook(
        ("Apr", [OPCC_HEADERS, ("Vehicle Purchase", datetime.datetime(2023, 4, 3), 875.6899999999999, "WILKER UK LTD"),
                 ("Rents", 45044, -100, "WYRE BOROUGH COUNCIL"), (None, None, None, None)]),
        ("May", [OPCC_HEADERS + (None, None), ("Fuel", datetime.datetime(2023, 5, 2), 22000, "THIRD PARTY SUPPLIER",
                                              "junk", 1)]),
        ("Notes", []),
    )
    headers = staging.read_headers(data)
    mapping = propose_mapping(headers)
    assert mapping == {"date": 1, "supplier": 3, "amount": 2, "reference": None}
    mapping["category"] = propose_category(headers, set(mapping.values()))
    assert mapping["category"] == 0
    result = preview(data, mapping)
    assert summary(result) == [("Apr", 2, 77569, 1, -10000), ("May", 1, 2200000, 0, 0), ("Notes", 0, 0, 0, 0)]
    assert [(r.sheet, r.line, r.paid_on, r.category) for r in result.rows] == [
        ("Apr", 2, D(2023, 4, 3), "Vehicle Purchase"), ("Apr", 3, D(2023, 4, 28), "Rents"), ("May", 2, D(2023, 5, 2), "Fuel")]
    assert result.rows[2].supplier_name == REDACTED_LABEL and result.rows[2].redacted


def test_workbook_errors_name_the_sheet_and_row() -> None:
    data = workbook(("Jan 25", [("Date", "Supplier", "Amount"), (datetime.datetime(2025, 1, 3), "Acme", "lots")]))
    assert [e.message for e in preview(data, MAP).errors] == ["Sheet Jan 25, row 2: Amount 'lots' is not a number"]


def test_a_sheet_with_moved_columns_is_read_by_header_name() -> None:
    data = workbook(
        ("Apr", [("Date", "Supplier", "Amount"), (datetime.datetime(2024, 4, 1), "Acme", 10)]),
        ("May", [("Supplier", "Amount", "Date"), ("Ribble", 20, datetime.datetime(2024, 5, 1))]),
        ("Jun", [("When", "Who", "How much"), (datetime.datetime(2024, 6, 1), "Lune", 30)]),
    )
    result = preview(data, MAP)
    assert [(r.supplier_name, r.amount_pence) for r in result.rows] == [("Acme", 1000), ("Ribble", 2000)]
    assert result.errors[0].message.startswith("Sheet Jun, row 1: this sheet has no column headed 'Date'")


@pytest.mark.parametrize("data", [b"PK\x03\x04" + b"\x00" * 100, b"PK\x03\x04garbage" * 10])
def test_a_damaged_workbook_gets_a_message(data: bytes) -> None:
    with pytest.raises(staging.SpendImportError, match="Excel workbook"):
        staging.read_headers(data)


# ---------------------------------------------------------------------------
# Withheld names
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["THIRD PARTY SUPPLIER", " third party supplier ", "Third Party", "REDACTED",
                                  "Redacted - personal data", "redacted – personal data", "Individual"])
def test_withheld_placeholders_match_exactly(name: str) -> None:
    assert is_redacted(name)


@pytest.mark.parametrize("name", ["Redactive Publishing Ltd", "THIRD PARTY FORENSIC SERVICES", "Individual Homes Ltd",
                                  "Personal Best Life Coaching", "The Redacted Company", "Third Party Supplier Ltd"])
def test_names_that_contain_a_placeholder_are_suppliers(name: str) -> None:
    assert not is_redacted(name)


def test_the_withheld_list_is_a_setting(app) -> None:
    assert app.config["WITHHELD_SUPPLIER_NAMES"] == DEFAULT_WITHHELD_SUPPLIER_NAMES
    data = b"Date,Supplier,Amount\n01/04/2024,Name Held Back,600\n01/04/2024,REDACTED,600\n"
    app.config["WITHHELD_SUPPLIER_NAMES"] = ("Name held back",)
    assert [r.redacted for r in preview(data, MAP).rows] == [True, False]
    assert is_redacted("name held back") and not is_redacted("REDACTED")


# ---------------------------------------------------------------------------
# Caps
# ---------------------------------------------------------------------------


def test_a_file_over_the_row_cap_is_refused_clearly(app) -> None:
    app.config["SPEND_MAX_ROWS"] = 10
    data = ("Date,Supplier,Amount\n" + "01/04/2024,Acme,1\n" * 10).encode()
    with pytest.raises(FileTooLargeError, match="more than 10 rows"):
        preview(data, MAP)
    with pytest.raises(staging.SpendImportError, match="too big to import.*SPEND_MAX_ROWS"):
        staging.check_file(data)
    assert preview(data[: data.rindex(b"01/04")], MAP).row_count == 9


def test_a_workbook_over_the_row_cap_is_refused(app) -> None:
    app.config["SPEND_MAX_ROWS"] = 5
    data = workbook(("A", [("Date", "Supplier", "Amount")] + [(45044, "Acme", 1)] * 3),
                    ("B", [("Date", "Supplier", "Amount")] + [(45044, "Acme", 1)] * 3))
    with pytest.raises(FileTooLargeError):
        list(sheet_rows for sheet in read_sheets(data) for sheet_rows in sheet.rows)


def test_a_file_over_the_byte_cap_is_refused(app) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    with pytest.raises(FileTooLargeError, match="MAX_UPLOAD_MB"):
        preview(b"Date,Supplier,Amount\n" + b"01/04/2024,Acme,1\n" * 70_000, MAP)
