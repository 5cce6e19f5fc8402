"""Tests for parsing "spend over £500" CSV files: headers, messy values, errors and totals."""

from __future__ import annotations

import dataclasses
import datetime
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

# Run as `.venv/bin/pytest --noconftest ...` the project root is not on
# sys.path (no conftest and no pythonpath setting), so add it before importing.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from campaign.services.spend.columns import FIELDS, header_signature, propose_mapping  # noqa: E402
from campaign.services.spend.parse import (  # noqa: E402
    REDACTED_LABEL,
    FileFormatError,
    MappingError,
    ParsedRow,
    decode_csv,
    preview,
    read_table,
    row_fingerprint,
)
from campaign.services.spend.values import (  # noqa: E402
    is_redacted,
    normalise_supplier_name,
    parse_amount,
    parse_date,
)

D = datetime.date

HEADER_A = "Date,Expense Type,Expense Area,Supplier,Transaction Number,Amount"
HEADER_B = "Body Name,Payment Date,Transaction Number,Supplier Name,Net Amount,VAT"
HEADER_C = "Service Cost Centre,Account Detail,Description,Ref no,Name,Payment date,Net Amount(£)"


def utf8(text: str) -> bytes:
    """Encode a test CSV the way most modern exports are written."""
    return text.encode("utf-8")


# ---------------------------------------------------------------------------
# decode_csv
# ---------------------------------------------------------------------------


def test_decode_utf8_without_bom() -> None:
    assert decode_csv("Amount\n£250\n".encode()) == "Amount\n£250\n"


def test_decode_utf8_with_bom_strips_it() -> None:
    assert decode_csv(b"\xef\xbb\xbfDate,Amount\n") == "Date,Amount\n"


def test_decode_cp1252_pound_sign_and_curly_quote() -> None:
    # 0xA3 is £ and 0x92 is a right single quote in Windows-1252.
    assert decode_csv(b"\xa3250,O\x92Neill\n") == "£250,O\u2019Neill\n"


def test_decode_falls_back_to_latin1_for_bytes_cp1252_lacks() -> None:
    # 0x81 is undefined in cp1252, so only latin-1 can take it.
    assert decode_csv(b"caf\xe9 \x81") == "café \x81"


def test_decode_utf16_with_bom() -> None:
    assert decode_csv("Date,Amount\n".encode("utf-16")) == "Date,Amount\n"


# ---------------------------------------------------------------------------
# read_table
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER_A, ["Date", "Expense Type", "Expense Area", "Supplier", "Transaction Number", "Amount"]),
        (HEADER_B, ["Body Name", "Payment Date", "Transaction Number", "Supplier Name", "Net Amount", "VAT"]),
        (
            HEADER_C,
            ["Service Cost Centre", "Account Detail", "Description", "Ref no", "Name", "Payment date", "Net Amount(£)"],
        ),
    ],
)
def test_read_table_header_variants(header: str, expected: list[str]) -> None:
    table = read_table(utf8(header + "\n" + ",".join("x" * len(expected)) + "\n"))
    assert table.headers == expected
    assert table.header_line == 1
    assert table.rows == [(2, ["x"] * len(expected))]


def test_read_table_cleans_stray_spaces_colons_and_bom() -> None:
    data = b"\xef\xbb\xbf Date: ,  Supplier  Name ,Amount (\xc2\xa3):,\xc2\xa0VAT \n1,2,3,4\n"
    assert read_table(data).headers == ["Date", "Supplier Name", "Amount (£)", "VAT"]


def test_read_table_keeps_quoted_commas_in_one_cell() -> None:
    data = utf8('Date,Supplier,Amount\n01/04/2024,"Smith, Jones & Co Ltd","£1,234.56"\n')
    assert read_table(data).rows == [(2, ["01/04/2024", "Smith, Jones & Co Ltd", "£1,234.56"])]


def test_read_table_skips_blank_rows_and_trailing_blank_rows_but_keeps_line_numbers() -> None:
    data = utf8("Date,Supplier,Amount\n\n01/04/2024,A,1\n,,\n  ,  , \n02/04/2024,B,2\n\n,,\n\n")
    assert read_table(data).rows == [(3, ["01/04/2024", "A", "1"]), (6, ["02/04/2024", "B", "2"])]


def test_read_table_handles_crlf_line_endings() -> None:
    data = b"Date,Supplier,Amount\r\n01/04/2024,A,1\r\n02/04/2024,B,2\r\n"
    assert [line for line, _ in read_table(data).rows] == [2, 3]


def test_read_table_finds_header_under_preamble_lines() -> None:
    data = utf8(
        "Lancashire County Council\n"
        "Spend over £500,April 2024\n"
        "\n"
        "Date,Expense Type,Expense Area,Supplier,Transaction Number,Amount\n"
        "01/04/2024,Fuel,Fleet,Acme Ltd,T1,£600.00\n"
    )
    table = read_table(data)
    assert table.header_line == 4
    assert table.headers[3] == "Supplier"
    assert table.rows == [(5, ["01/04/2024", "Fuel", "Fleet", "Acme Ltd", "T1", "£600.00"])]


def test_read_table_uses_first_non_blank_row_when_no_header_is_recognised() -> None:
    data = utf8("\n\nColumn One,Column Two,Column Three\na,b,c\n")
    table = read_table(data)
    assert table.headers == ["Column One", "Column Two", "Column Three"]
    assert table.header_line == 3
    assert table.rows == [(4, ["a", "b", "c"])]


def test_read_table_numbers_rows_as_a_spreadsheet_does_when_a_cell_has_a_line_break() -> None:
    data = utf8('Date,Supplier,Amount\n01/04/2024,"Two\nLines Ltd",1\n02/04/2024,B,2\n')
    assert [line for line, _ in read_table(data).rows] == [2, 3]


@pytest.mark.parametrize("data", [b"", b"\n\n", b",,,\n , ,\n", b"\xef\xbb\xbf"])
def test_read_table_rejects_an_empty_file(data: bytes) -> None:
    with pytest.raises(FileFormatError, match="empty"):
        read_table(data)


def test_read_table_rejects_binary_data() -> None:
    with pytest.raises(FileFormatError, match="binary"):
        read_table(b"PK\x03\x04\x00\x00\x08\x00")


# ---------------------------------------------------------------------------
# header_signature
# ---------------------------------------------------------------------------


def test_header_signature_ignores_case_spacing_colons_and_trailing_empty_columns() -> None:
    base = header_signature(["Date", "Supplier Name", "Net Amount (£)"])
    assert len(base) == 64
    assert header_signature([" date: ", "SUPPLIER  NAME", "Net Amount(£)"]) == base
    assert header_signature(["Date", "Supplier Name", "Net Amount (£)", "", ""]) == base


def test_header_signature_changes_when_columns_change_or_move() -> None:
    base = header_signature(["Date", "Supplier", "Amount"])
    assert header_signature(["Date", "Amount", "Supplier"]) != base
    assert header_signature(["Date", "Supplier", "Amount", "VAT"]) != base


# ---------------------------------------------------------------------------
# propose_mapping
# ---------------------------------------------------------------------------


def test_fields_constant() -> None:
    assert FIELDS == ("date", "supplier", "amount", "reference")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER_A, {"date": 0, "supplier": 3, "amount": 5, "reference": 4}),
        (HEADER_B, {"date": 1, "supplier": 3, "amount": 4, "reference": 2}),
        (HEADER_C, {"date": 5, "supplier": 4, "amount": 6, "reference": 3}),
    ],
)
def test_propose_mapping_for_each_example_header(header: str, expected: dict[str, int]) -> None:
    assert propose_mapping(read_table(utf8(header + "\n")).headers) == expected


def test_propose_mapping_never_maps_vat_to_amount() -> None:
    assert propose_mapping(["Date", "Supplier", "VAT"])["amount"] is None
    assert propose_mapping(["Date", "Supplier", "VAT Amount", "VAT (£)"])["amount"] is None


def test_propose_mapping_prefers_net_over_gross_and_vat() -> None:
    headers = ["Date", "Supplier", "Gross Amount", "VAT", "Net Amount"]
    assert propose_mapping(headers)["amount"] == 4
    assert propose_mapping(["Date", "Supplier", "VAT Amount", "Amount ex VAT"])["amount"] == 3
    assert propose_mapping(["Date", "Supplier", "Total", "Amount"])["amount"] == 3


def test_propose_mapping_never_maps_body_name_to_supplier() -> None:
    assert propose_mapping(["Body Name", "Date", "Amount"])["supplier"] is None
    assert propose_mapping(["Body Name", "Date", "Amount", "Name"])["supplier"] == 3


@pytest.mark.parametrize(
    ("headers", "field", "expected"),
    [
        (["Date Paid", "Payee", "Value"], "date", 0),
        (["Date Paid", "Payee", "Value"], "supplier", 1),
        (["Date Paid", "Payee", "Value"], "amount", 2),
        (["Transaction Date", "Vendor Name", "£", "Document Number"], "amount", 2),
        (["Transaction Date", "Vendor Name", "£", "Document Number"], "reference", 3),
        (["Invoice Date", "Merchant", "Amount (£)", "Trans No"], "reference", 3),
        (["Paid Date", "Beneficiary", "Amount (£)", "Invoice Number"], "supplier", 1),
        # Word-based fallback when no exact alias is present.
        (["Date of Invoice Payment", "Supplier (Trading Name)", "Amount Paid GBP"], "date", 0),
        (["Date of Invoice Payment", "Supplier (Trading Name)", "Amount Paid GBP"], "supplier", 1),
        (["Date of Invoice Payment", "Supplier (Trading Name)", "Amount Paid GBP"], "amount", 2),
        (["Supplier ID", "Date", "Amount"], "supplier", None),
        (["Date", "Supplier", "Amount", "Our Ref"], "reference", 3),
    ],
)
def test_propose_mapping_common_names(headers: list[str], field: str, expected: int | None) -> None:
    assert propose_mapping(headers)[field] == expected


def test_propose_mapping_never_uses_one_column_twice() -> None:
    mapping = propose_mapping(["Date", "Supplier", "Amount", "Reference"])
    used = [v for v in mapping.values() if v is not None]
    assert len(used) == len(set(used)) == 4


# ---------------------------------------------------------------------------
# parse_amount
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("£1,234.56", 123456),
        ("1234.5", 123450),
        ("1234", 123400),
        ("1,234", 123400),
        ("0.01", 1),
        (".5", 50),
        ("-250.00", -25000),
        ("(250.00)", -25000),
        ("£(1,234.00)", -123400),
        ("(£1,234.00)", -123400),
        ("-£250", -25000),
        ("£-250", -25000),
        ("\u2212250.00", -25000),
        ("250-", -25000),
        ("250.00 CR", -25000),
        ("250.00CR", -25000),
        ("250.00 cr", -25000),
        ("250.00 DR", 25000),
        ("  £ 1 234.56  ", 123456),
        ("£1\u00a0234.56", 123456),
        ("\u00a0£600.00\u00a0", 60000),
        ("GBP 250.00", 25000),
        ("Â£250.00", 25000),
        ("12.500", 1250),
        ("1234.", 123400),
        ("-0.00", 0),
        ("10,000,000,000.00", 1_000_000_000_000),
    ],
)
def test_parse_amount_accepts_messy_forms(text: str, pence: int) -> None:
    result = parse_amount(text)
    assert result == pence
    assert type(result) is int


@pytest.mark.parametrize(
    "text",
    ["abc", "£", "12,34", "1,2345.00", "1.2E+05", "--250", "(250", "250)", "-(250.00)", "-250 CR", "£12.5.0", "N/A"],
)
def test_parse_amount_rejects_garbage_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match=r"^Amount '.*' is not a number"):
        parse_amount(text)


def test_parse_amount_message_quotes_the_value() -> None:
    with pytest.raises(ValueError) as info:
        parse_amount(" abc ")
    assert str(info.value) == "Amount 'abc' is not a number"


def test_parse_amount_rejects_blank() -> None:
    with pytest.raises(ValueError, match="^Amount is blank$"):
        parse_amount("   ")


@pytest.mark.parametrize("text", ["1.234", "£0.001", "(12.345)", "250.005 CR"])
def test_parse_amount_rejects_more_than_two_decimal_places(text: str) -> None:
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["10,000,000,000.01", "£99999999999", "-£20,000,000,000", "9" * 60])
def test_parse_amount_rejects_absurd_magnitudes(text: str) -> None:
    with pytest.raises(ValueError, match="more than £10bn"):
        parse_amount(text)


@given(st.integers(min_value=-1_000_000_000_000, max_value=1_000_000_000_000))
def test_parse_amount_round_trips_formatted_pence(pence: int) -> None:
    sign, whole, frac = ("-" if pence < 0 else ""), abs(pence) // 100, abs(pence) % 100
    assert parse_amount(f"{sign}£{whole:,}.{frac:02d}") == pence
    assert parse_amount(f"{whole}.{frac:02d}") == abs(pence)
    if pence < 0:
        assert parse_amount(f"(£{whole:,}.{frac:02d})") == pence
        assert parse_amount(f"{whole:,}.{frac:02d} CR") == pence


# ---------------------------------------------------------------------------
# parse_date
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01/04/2024", D(2024, 4, 1)),
        ("1/4/2024", D(2024, 4, 1)),
        ("1/4/24", D(2024, 4, 1)),
        ("31/12/99", D(2099, 12, 31)),
        ("01-04-2024", D(2024, 4, 1)),
        ("01.04.2024", D(2024, 4, 1)),
        ("2024-04-01", D(2024, 4, 1)),
        ("2024-04-01T00:00:00", D(2024, 4, 1)),
        ("2024-04-01 00:00:00", D(2024, 4, 1)),
        ("2024-04-01T13:45:10.123Z", D(2024, 4, 1)),
        ("2024/04/01", D(2024, 4, 1)),
        ("01-Apr-2024", D(2024, 4, 1)),
        ("01-APR-24", D(2024, 4, 1)),
        ("1 April 2024", D(2024, 4, 1)),
        ("1st April 2024", D(2024, 4, 1)),
        ("22nd Sept 2023", D(2023, 9, 22)),
        ("3 Sep 2023", D(2023, 9, 3)),
        ("April 1, 2024", D(2024, 4, 1)),
        ("01/04/2024 00:00", D(2024, 4, 1)),
        ("01/04/2024 14:30:00", D(2024, 4, 1)),
        ("01/04/2024 2:30 PM", D(2024, 4, 1)),
        ("  05/03/2024  ", D(2024, 3, 5)),
        # Day first, always: this is 4 January, never 1 April.
        ("04/01/2024", D(2024, 1, 4)),
        ("29/02/2024", D(2024, 2, 29)),
    ],
)
def test_parse_date_formats(text: str, expected: datetime.date) -> None:
    assert parse_date(text) == expected


def test_parse_date_never_reads_us_month_first() -> None:
    with pytest.raises(ValueError, match="not a real date"):
        parse_date("04/13/2024")


@pytest.mark.parametrize("text", ["31/02/2024", "29/02/2023", "00/01/2024", "32/01/2024"])
def test_parse_date_rejects_impossible_dates(text: str) -> None:
    with pytest.raises(ValueError, match=rf"^Date '{text}' is not a real date"):
        parse_date(text)


@pytest.mark.parametrize("text", ["yesterday", "2024", "45383", "01/04", "1 Foo 2024", "2024-04-01X", "01/04-2024"])
def test_parse_date_rejects_unrecognised_text(text: str) -> None:
    with pytest.raises(ValueError, match=rf"^Date '{text}' is not a date we recognise"):
        parse_date(text)


def test_parse_date_rejects_blank_and_unlikely_years() -> None:
    with pytest.raises(ValueError, match="^Date is blank$"):
        parse_date(" ")
    with pytest.raises(ValueError, match="unlikely year"):
        parse_date("01/04/0024")


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31)))
def test_parse_date_round_trips_common_formats(day: datetime.date) -> None:
    for fmt in ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%b-%Y", "%d %B %Y", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S"):
        assert parse_date(day.strftime(fmt)) == day


# ---------------------------------------------------------------------------
# is_redacted and normalise_supplier_name
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "REDACTED",
        "Redacted",
        "[Redacted]",
        "Redacted personal data",
        "Personal data redacted",
        "Personal Data",
        "Personal Information",
        "PERSONAL INFORMATION - REDACTED",
        "Individual",
        "individual",
        "Private individual",
        "Private Individuals",
        "Withheld",
        "Name withheld",
        "Supplier name withheld (data protection)",
        "Redaction - personal data",
        "GDPR",
        "Anonymised",
    ],
)
def test_is_redacted_true(text: str) -> None:
    assert is_redacted(text)


@pytest.mark.parametrize(
    "text",
    ["", "Acme Ltd", "Individual Homes Ltd", "Private Eye Ltd", "Personal Touch Florists", "Total Gas & Power", "   "],
)
def test_is_redacted_false(text: str) -> None:
    assert not is_redacted(text)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("A.B. Smith & Sons Ltd.", "ab smith and sons"),
        ("A B Smith and Sons Limited", "a b smith and sons"),
        ("AB Smith & Sons", "ab smith and sons"),
        ("The Widget Company PLC", "widget company"),
        ("  Acme   Widgets,  LLP ", "acme widgets"),
        ("Café Nero Ltd", "cafe nero"),
        ("O'Neill's Bakery C.I.C.", "oneills bakery"),
        ("Smith-Jones Limited (Preston)", "smith jones limited preston"),
        ("Ltd", "ltd"),
    ],
)
def test_normalise_supplier_name(name: str, expected: str) -> None:
    assert normalise_supplier_name(name) == expected


def test_normalise_supplier_name_makes_variants_equal() -> None:
    assert normalise_supplier_name("A.B. Smith & Sons Ltd.") == normalise_supplier_name("ab smith and sons")


# ---------------------------------------------------------------------------
# preview
# ---------------------------------------------------------------------------

MESSY_FILE = (
    "Date,Expense Type,Expense Area,Supplier,Transaction Number,Amount\n"  # line 1
    '01/04/2024,Fuel,Fleet,Acme Fuels Ltd,T100,"£1,234.56"\n'  # 2
    '02/04/2024,Rent,Estates,"Smith, Jones & Co",T101,600\n'  # 3
    "\n"  # 4 (blank)
    "03/04/2024,Refund,Estates,Acme Fuels Ltd,T102,(250.00)\n"  # 5
    "2024-04-04,Care,Children,REDACTED,,750.00\n"  # 6
    "05/04/2024,Fuel,Fleet,Acme Fuels Ltd,T103,abc\n"  # 7
    "31/02/2024,Fuel,Fleet,Acme Fuels Ltd,T104,600\n"  # 8
    "06/04/2024,Fuel,Fleet,,T105,600\n"  # 9
    "1 May 2024,Care,Children,Personal data redacted,,500.00 CR\n"  # 10
    ",,,,Total,12345\n"  # 11
    ",,,Grand Total,,99999\n"  # 12
    "Figures exclude VAT,,,,,\n"  # 13 (footnote: no supplier, no amount)
    ",,,,,\n"  # 14
    "\n"  # 15
)


@pytest.fixture()
def messy_preview():
    data = utf8(MESSY_FILE)
    return preview(data, propose_mapping(read_table(data).headers))


def test_preview_good_rows(messy_preview) -> None:
    rows = messy_preview.rows
    assert [r.line for r in rows] == [2, 3, 5, 6, 10]
    assert rows[0] == ParsedRow(
        line=2,
        paid_on=D(2024, 4, 1),
        supplier_name="Acme Fuels Ltd",
        amount_pence=123456,
        reference="T100",
        redacted=False,
    )
    assert rows[1].supplier_name == "Smith, Jones & Co"
    assert rows[2].amount_pence == -25000


def test_preview_keeps_redacted_rows_under_a_fixed_label(messy_preview) -> None:
    redacted = [r for r in messy_preview.rows if r.redacted]
    assert [r.line for r in redacted] == [6, 10]
    assert {r.supplier_name for r in redacted} == {REDACTED_LABEL}
    assert [r.amount_pence for r in redacted] == [75000, -50000]
    assert all(r.reference is None for r in redacted)


def test_preview_totals_and_dates(messy_preview) -> None:
    assert messy_preview.row_count == 5
    assert messy_preview.total_pence == 123456 + 60000 - 25000 + 75000 - 50000
    assert messy_preview.credit_total_pence == -25000 - 50000
    assert messy_preview.min_date == D(2024, 4, 1)
    assert messy_preview.max_date == D(2024, 5, 1)


def test_preview_errors_name_line_column_and_value(messy_preview) -> None:
    assert [(e.line, e.message) for e in messy_preview.errors] == [
        (7, "Line 7: Amount 'abc' is not a number"),
        (8, "Line 8: Date '31/02/2024' is not a real date (day 31, month 2)"),
        (9, "Line 9: Supplier is blank"),
    ]


def test_preview_skips_totals_and_footnote_rows_without_counting_them(messy_preview) -> None:
    assert [(s.line, s.message) for s in messy_preview.skipped] == [
        (11, "Line 11: skipped a totals row"),
        (12, "Line 12: skipped a totals row"),
        (13, "Line 13: skipped a row with no supplier or amount"),
    ]


def test_preview_reports_every_problem_in_a_row_in_one_error() -> None:
    data = utf8("Date,Supplier,Amount\nnope,,1.234\n")
    result = preview(data, {"date": 0, "supplier": 1, "amount": 2, "reference": None})
    assert len(result.errors) == 1
    message = result.errors[0].message
    assert message.startswith("Line 2: Date 'nope'")
    assert "Supplier is blank" in message and "more than 2 decimal places" in message


def test_preview_treats_short_rows_as_errors_not_crashes() -> None:
    data = utf8("Date,Supplier,Amount\n01/04/2024,Acme\n")
    result = preview(data, {"date": 0, "supplier": 1, "amount": 2})
    assert [e.message for e in result.errors] == ["Line 2: Amount is blank"]


def test_preview_skips_footnote_rows_with_nothing_in_the_mapped_columns() -> None:
    data = utf8("Date,Supplier,Amount,Notes\n01/04/2024,Acme,600,\n,,,Source: finance system\n")
    result = preview(data, {"date": 0, "supplier": 1, "amount": 2})
    assert result.row_count == 1 and not result.errors
    assert [s.line for s in result.skipped] == [3]


@pytest.mark.parametrize(
    ("body", "mapping"),
    [
        (
            HEADER_A + "\n01/04/2024,Fuel,Fleet,Acme Ltd,T1,£600.00\n",
            {"date": 0, "supplier": 3, "amount": 5, "reference": 4},
        ),
        (
            HEADER_B + "\nLancashire PCC,01/04/2024,T1,Acme Ltd,600.00,120.00\n",
            {"date": 1, "supplier": 3, "amount": 4, "reference": 2},
        ),
        (
            HEADER_C + "\nHQ,Fuel,Diesel,T1,Acme Ltd,01/04/2024,600\n",
            {"date": 5, "supplier": 4, "amount": 6, "reference": 3},
        ),
    ],
)
def test_preview_each_header_variant_end_to_end(body: str, mapping: dict[str, int]) -> None:
    data = utf8(body)
    assert propose_mapping(read_table(data).headers) == mapping
    result = preview(data, mapping)
    assert not result.errors
    assert [(r.paid_on, r.supplier_name, r.amount_pence, r.reference) for r in result.rows] == [
        (D(2024, 4, 1), "Acme Ltd", 60000, "T1")
    ]


def test_preview_cp1252_file_with_pound_signs() -> None:
    data = (
        "Payment Date,Supplier Name,Net Amount (£)\n"
        "01/04/2024,Caf\u00e9 \u2018Bean\u2019 Ltd,\u00a3600.00\n"
        '02/04/2024,Acme Ltd,"\u00a3(1,000.00)"\n'
    ).encode("cp1252")
    assert b"\xa3" in data
    table = read_table(data)
    assert table.headers[2] == "Net Amount (£)"
    result = preview(data, propose_mapping(table.headers))
    assert [(r.supplier_name, r.amount_pence) for r in result.rows] == [
        ("Caf\u00e9 \u2018Bean\u2019 Ltd", 60000),
        ("Acme Ltd", -100000),
    ]


def test_preview_utf8_bom_file() -> None:
    data = b"\xef\xbb\xbf" + utf8("Date,Supplier,Amount\n01/04/2024,Acme Ltd,\u00a3600\n")
    table = read_table(data)
    assert table.headers[0] == "Date"
    result = preview(data, propose_mapping(table.headers))
    assert result.total_pence == 60000


def test_preview_line_numbers_count_preamble_lines() -> None:
    data = utf8("Spend over £500\nApril 2024\nDate,Supplier,Amount\n01/04/2024,Acme,600\n02/04/2024,Acme,xyz\n")
    result = preview(data, {"date": 0, "supplier": 1, "amount": 2})
    assert [r.line for r in result.rows] == [4]
    assert [e.message for e in result.errors] == ["Line 5: Amount 'xyz' is not a number"]


def test_preview_empty_table_has_no_dates() -> None:
    result = preview(utf8("Date,Supplier,Amount\n"), {"date": 0, "supplier": 1, "amount": 2})
    assert result.row_count == 0 and result.total_pence == 0
    assert result.min_date is None and result.max_date is None


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"date": 0, "supplier": 1}, "Choose which column holds: Amount"),
        ({"date": None, "supplier": None, "amount": 2}, "Choose which column holds: Date, Supplier"),
        ({}, "Choose which column holds: Date, Supplier, Amount"),
        ({"date": 0, "supplier": 1, "amount": 9}, "Amount points at a column that is not in the file"),
        ({"date": 0, "supplier": 1, "amount": -1}, "Amount points at a column that is not in the file"),
        ({"date": 0, "supplier": 0, "amount": 2}, "Supplier and Date cannot use the same column"),
        ({"date": 0, "supplier": 1, "amount": 2, "colour": 3}, "Unknown field in mapping: colour"),
    ],
)
def test_preview_rejects_bad_mappings(mapping: dict[str, int | None], message: str) -> None:
    with pytest.raises(MappingError) as info:
        preview(utf8("Date,Supplier,Amount\n01/04/2024,Acme,600\n"), mapping)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


# ---------------------------------------------------------------------------
# row_fingerprint
# ---------------------------------------------------------------------------


def test_row_fingerprint_is_stable_across_reimports() -> None:
    data = utf8(MESSY_FILE)
    mapping = propose_mapping(read_table(data).headers)
    first = [row_fingerprint(r) for r in preview(data, mapping).rows]
    second = [row_fingerprint(r) for r in preview(data, mapping).rows]
    assert first == second
    assert len(set(first)) == len(first)


def test_row_fingerprint_keeps_identical_payments_apart_and_ignores_row_order() -> None:
    body = "01/04/2024,Acme Ltd,600\n01/04/2024,ACME LIMITED,600\n02/04/2024,Other,100\n"
    mapping = {"date": 0, "supplier": 1, "amount": 2}
    rows = preview(utf8("Date,Supplier,Amount\n" + body), mapping).rows
    assert [r.occurrence for r in rows] == [0, 1, 0]
    keys = {row_fingerprint(r) for r in rows}
    assert len(keys) == 3
    reordered = "02/04/2024,Other,100\n01/04/2024,ACME LIMITED,600\n01/04/2024,Acme Ltd,600\n"
    assert {row_fingerprint(r) for r in preview(utf8("Date,Supplier,Amount\n" + reordered), mapping).rows} == keys


def test_row_fingerprint_uses_reference_and_every_value() -> None:
    row = ParsedRow(
        line=2, paid_on=D(2024, 4, 1), supplier_name="Acme Ltd", amount_pence=600, reference=None, redacted=False
    )
    base = row_fingerprint(row)
    assert row_fingerprint(dataclasses.replace(row, line=99)) == base
    assert row_fingerprint(dataclasses.replace(row, supplier_name="ACME LIMITED")) == base
    changes: list[dict[str, object]] = [
        {"reference": "T1"},
        {"amount_pence": 601},
        {"paid_on": D(2024, 4, 2)},
        {"occurrence": 1},
        {"supplier_name": "Acme Two Ltd"},
    ]
    for change in changes:
        assert row_fingerprint(dataclasses.replace(row, **change)) != base


def test_row_fingerprint_treats_all_redacted_rows_alike() -> None:
    data = utf8("Date,Supplier,Amount\n01/04/2024,REDACTED,600\n01/04/2024,Personal data redacted,600\n")
    rows = preview(data, {"date": 0, "supplier": 1, "amount": 2}).rows
    assert [r.occurrence for r in rows] == [0, 1]
    assert len({row_fingerprint(r) for r in rows}) == 2


# ---------------------------------------------------------------------------
# Speed
# ---------------------------------------------------------------------------


def test_preview_100k_rows(capsys: pytest.CaptureFixture[str]) -> None:
    # Varied suppliers and amounts so the caches inside preview() do not
    # flatter the timing; the time is printed, not asserted, because shared CI
    # machines vary too much for a hard limit.
    amount_forms = ["£{:,}.{:02d}", "{}.{:02d}", "({:,}.{:02d})", '"£{:,}.{:02d}"', "{}.{:02d} CR"]
    lines = [HEADER_A]
    for i in range(100_000):
        day = D(2024, 4, 1) + datetime.timedelta(days=i % 365)
        supplier = "REDACTED" if i % 50 == 0 else f"Supplier {i % 3000} Ltd"
        pence = 50_000 + (i * 7919) % 5_000_000
        amount = amount_forms[i % 5].format(pence // 100, pence % 100)
        if "," in amount and not amount.startswith('"'):
            amount = f'"{amount}"'
        lines.append(f"{day:%d/%m/%Y},Expense {i % 40},Area {i % 12},{supplier},T{i},{amount}")
    data = utf8("\n".join(lines) + "\n")
    wall, cpu = time.perf_counter(), time.process_time()
    result = preview(data, propose_mapping(read_table(data).headers))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.row_count == 100_000
    assert not result.errors
    with capsys.disabled():
        print(f"\npreview of 100,000 rows: {wall:.2f}s wall, {cpu:.2f}s CPU")
