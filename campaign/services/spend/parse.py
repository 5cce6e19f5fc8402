"""Parse UK public-body "spend over £500" transparency CSV files.

Every council, police force and fire authority publishes these files in its
own shape: different headers, encodings, date styles and ways of writing
credit notes.  This module turns the raw bytes of one file into plain rows
(date, supplier, amount in whole pence, reference) plus a list of
human-readable problems, so staff can preview an import before saving it.

Money is always an ``int`` number of pence; floats are never used.
"""

from __future__ import annotations

import csv
import datetime
import gc
import hashlib
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from campaign.services.spend.columns import (
    FIELD_LABELS,
    FIELDS,
    KNOWN_HEADERS,
    REQUIRED_FIELDS,
    clean_header,
    normalise_header,
)
from campaign.services.spend.values import is_redacted, normalise_supplier_name, parse_amount, parse_date

REDACTED_LABEL = "Redacted personal data"

# A header row is searched for only this far into the file; real preambles are
# a title line or two, and scanning further risks mistaking data for headers.
_HEADER_SCAN_ROWS = 30


class MappingError(ValueError):
    """The column mapping is missing a required field or points at no column."""


class FileFormatError(ValueError):
    """The file cannot be read as a CSV table at all."""


@dataclass(frozen=True)
class ParsedTable:
    """A CSV file split into cleaned headers and numbered data rows."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    header_line: int


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One good payment row from a spend file."""

    line: int
    paid_on: datetime.date
    supplier_name: str
    amount_pence: int
    reference: str | None
    redacted: bool
    # Counts earlier rows in the same file with identical date, supplier,
    # amount and reference, so genuine duplicate payments stay distinct.
    occurrence: int = 0


@dataclass(frozen=True)
class RowError:
    """A row that could not be imported (or was skipped), with the reason."""

    line: int
    message: str


@dataclass
class Preview:
    """The result of parsing a whole file with a column mapping."""

    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)
    total_pence: int = 0
    credit_total_pence: int = 0
    row_count: int = 0
    min_date: datetime.date | None = None
    max_date: datetime.date | None = None


# ---------------------------------------------------------------------------
# Decoding and reading the table
# ---------------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """Decode file bytes as UTF-8 (with or without BOM), else cp1252, else latin-1."""
    # Excel's "Unicode text" export is UTF-16 with a BOM; without this check it
    # would fall through to latin-1 and come out as NUL-riddled nonsense.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Most files that are not UTF-8 come from Excel on Windows, where £ is
        # the single byte 0xA3 and curly quotes live in 0x80-0x9F.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 accepts every byte, so
        # this never fails and at worst garbles a stray character.
        return data.decode("latin-1")


_SPACE_RE = re.compile(r"\s+")


def _read_records(text: str) -> list[tuple[int, list[str]]]:
    """Split text into CSV records numbered as spreadsheet rows (1-based)."""
    # newline="" lets the csv module see \r\n inside quoted cells correctly.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        # Numbering by record rather than physical line keeps "Line 7" equal to
        # row 7 in Excel even when a quoted cell contains a line break.
        return list(enumerate(reader, start=1))
    except csv.Error as exc:
        raise FileFormatError(f"Line {reader.line_num}: the file could not be read as CSV ({exc})") from exc


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects."""
    # Parsing allocates a list and a tuple per CSV row but never creates
    # reference cycles, so the collector only rescans the growing row list
    # again and again: about a third of the time for a 100,000-row file.
    # Plain reference counting still frees everything as usual.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_table(data: bytes) -> ParsedTable:
    """Decode and split a CSV file into cleaned headers and numbered rows."""
    text = decode_csv(data)
    if "\x00" in text:
        raise FileFormatError("This does not look like a CSV file (it contains binary data)")
    with _gc_paused():
        # Joining the cells tests "every cell blank" in C; this runs on every row.
        records = [(line, cells) for line, cells in _read_records(text) if "".join(cells).strip()]
    if not records:
        raise FileFormatError("The file is empty")

    header_index = 0
    for index, (_, cells) in enumerate(records[:_HEADER_SCAN_ROWS]):
        filled = [c for c in cells if c.strip()]
        known = sum(1 for c in filled if normalise_header(c) in KNOWN_HEADERS)
        if len(filled) >= 3 and known >= 2:
            header_index = index
            break

    header_line, raw_headers = records[header_index]
    headers = [clean_header(h) for h in raw_headers]
    return ParsedTable(headers=headers, rows=records[header_index + 1 :], header_line=header_line)


_is_redacted_cached = lru_cache(maxsize=16384)(is_redacted)

# ---------------------------------------------------------------------------
# Previewing a file
# ---------------------------------------------------------------------------

_TOTAL_LABELS = frozenset(
    {
        "total",
        "totals",
        "grand total",
        "sub total",
        "subtotal",
        "total spend",
        "total expenditure",
        "total for period",
        "total for month",
        "overall total",
        "net total",
        "page total",
    }
)


def _is_total_label(cell: str) -> bool:
    """True when a cell is just a 'Total' style label."""
    text = cell.strip().lower()
    # Cheap substring test first: this runs on every row of large files.
    if "total" not in text:
        return False
    return _SPACE_RE.sub(" ", text.rstrip(":")).strip() in _TOTAL_LABELS


def _validate_mapping(mapping: dict[str, int | None], headers: list[str]) -> tuple[int, int, int, int | None]:
    """Check the mapping and return the (date, supplier, amount, reference) columns."""
    missing = [FIELD_LABELS[f] for f in REQUIRED_FIELDS if mapping.get(f) is None]
    if missing:
        raise MappingError("Choose which column holds: " + ", ".join(missing))
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise MappingError("Unknown field in mapping: " + ", ".join(unknown))
    seen: dict[int, str] = {}
    for field_name in FIELDS:
        index = mapping.get(field_name)
        if index is None:
            continue
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(headers):
            raise MappingError(f"{FIELD_LABELS[field_name]} points at a column that is not in the file")
        if index in seen:
            raise MappingError(f"{FIELD_LABELS[field_name]} and {FIELD_LABELS[seen[index]]} cannot use the same column")
        seen[index] = field_name
    by_field = {name: index for index, name in seen.items()}
    return by_field["date"], by_field["supplier"], by_field["amount"], by_field.get("reference")


def preview(data: bytes, mapping: dict[str, int | None]) -> Preview:
    """Parse every row of a spend file with the given column mapping."""
    table = read_table(data)
    date_col, supplier_col, amount_col, reference_col = _validate_mapping(mapping, table.headers)
    with _gc_paused():
        return _preview_rows(table, date_col, supplier_col, amount_col, reference_col)


def _preview_rows(
    table: ParsedTable, date_col: int, supplier_col: int, amount_col: int, reference_col: int | None
) -> Preview:
    """Turn the table's rows into good rows, errors and skipped rows."""

    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    skipped: list[RowError] = []
    occurrences: dict[tuple[object, ...], int] = {}
    total_pence = credit_total_pence = 0
    # Locals rather than attribute and global look-ups: this loop runs once per
    # row of files that can reach six figures.
    append_row = rows.append
    for line, cells in table.rows:
        width = len(cells)
        date_text = cells[date_col].strip() if date_col < width else ""
        supplier_text = cells[supplier_col].strip() if supplier_col < width else ""
        amount_text = cells[amount_col].strip() if amount_col < width else ""
        reference_text = cells[reference_col].strip() if reference_col is not None and reference_col < width else ""

        if (
            _is_total_label(supplier_text)
            or _is_total_label(date_text)
            or (not date_text and not supplier_text and any(_is_total_label(c) for c in cells))
        ):
            skipped.append(RowError(line, f"Line {line}: skipped a totals row"))
            continue
        if not supplier_text and not amount_text:
            # Footnotes such as "Figures exclude VAT" carry no money, so there is
            # nothing to lose by skipping them, and flagging them as errors
            # would bury the real problems.
            skipped.append(RowError(line, f"Line {line}: skipped a row with no supplier or amount"))
            continue

        problems: list[str] = []
        paid_on: datetime.date | None = None
        amount_pence = 0
        try:
            paid_on = parse_date(date_text)
        except ValueError as exc:
            problems.append(str(exc))
        if not supplier_text:
            problems.append("Supplier is blank")
        try:
            amount_pence = parse_amount(amount_text)
        except ValueError as exc:
            problems.append(str(exc))
        if problems or paid_on is None:
            errors.append(RowError(line, f"Line {line}: " + "; ".join(problems)))
            continue

        redacted = _is_redacted_cached(supplier_text)
        supplier_name = REDACTED_LABEL if redacted else supplier_text
        reference = reference_text or None
        key = (paid_on, _supplier_key(supplier_name, redacted), amount_pence, reference)
        occurrence = occurrences.get(key, 0)
        occurrences[key] = occurrence + 1
        append_row(ParsedRow(line, paid_on, supplier_name, amount_pence, reference, redacted, occurrence))
        total_pence += amount_pence
        if amount_pence < 0:
            credit_total_pence += amount_pence

    dates = [row.paid_on for row in rows]
    return Preview(
        rows=rows,
        errors=errors,
        skipped=skipped,
        total_pence=total_pence,
        credit_total_pence=credit_total_pence,
        row_count=len(rows),
        min_date=min(dates, default=None),
        max_date=max(dates, default=None),
    )


# Supplier names repeat heavily within a file, so caching keeps a 100,000-row
# preview from normalising the same few thousand names over and over.
@lru_cache(maxsize=16384)
def _supplier_key(supplier_name: str, redacted: bool) -> str:
    """Matching key for a supplier; every redacted row shares one fixed key."""
    return "\x00redacted" if redacted else normalise_supplier_name(supplier_name)


def row_fingerprint(row: ParsedRow) -> str:
    """Return a stable key for a row so re-importing the same file adds nothing."""
    # The reference alone is not unique: one transaction is often split over
    # several lines (one per expense area), so date, supplier and amount are
    # always included, and the occurrence index separates true duplicates.
    parts = (
        row.reference or "",
        row.paid_on.isoformat(),
        _supplier_key(row.supplier_name, row.redacted),
        str(row.amount_pence),
        str(row.occurrence),
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
