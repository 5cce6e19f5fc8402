"""Parse UK public-body "spend over £500" files, CSV or Excel workbook, into payments.

Every council, police force and fire authority publishes these files in its
own shape: different headers, encodings, date styles, sheets and ways of writing
credit notes.  This module turns the raw bytes of one file into plain rows
(date, supplier, amount in whole pence, reference, category) plus a list of
human-readable problems and a summary per sheet, so staff can preview an import
before saving it.  Reading the file itself is reading.py's job.

Money is always an ``int`` number of pence; floats are never used.
"""

from __future__ import annotations

import datetime
import gc
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from campaign.services.spend.columns import (
    ALL_FIELDS,
    FIELD_LABELS,
    FIRST_ROW_IS_DATA,
    REQUIRED_FIELDS,
    normalise_header,
)
from campaign.services.spend.reading import (
    FileFormatError,
    FileTooLargeError,
    Sheet,
    csv_sheet,
    decode_csv,
    read_sheets,
)
from campaign.services.spend.values import (
    amount_pence,
    cell_date,
    cell_text,
    default_withheld_names,
    normalise_supplier_name,
    withheld_key,
    withheld_keys,
)

__all__ = ["FileFormatError", "FileTooLargeError", "decode_csv"]  # re-exported: callers know them from here

REDACTED_LABEL = "Redacted personal data"


class MappingError(ValueError):
    """The column mapping is missing a required field or points at no column."""


@dataclass(frozen=True)
class ParsedTable:
    """A CSV file split into cleaned headers and numbered data rows."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    header_line: int | None


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
    category: str | None = None
    sheet: str | None = None


@dataclass(frozen=True)
class RowError:
    """A row that could not be imported (or was skipped), with the reason."""

    line: int
    message: str
    sheet: str | None = None


@dataclass
class SheetSummary:
    """What one sheet (or a whole CSV) holds: the rows read, their total and the credits among them."""

    name: str | None
    header_line: int | None
    row_count: int = 0
    total_pence: int = 0
    credit_count: int = 0
    credit_total_pence: int = 0
    error_count: int = 0
    skipped_count: int = 0
    blank_rows: int = 0
    title_lines: int = 0

    @property
    def label(self) -> str:
        """The sheet's name as staff see it."""
        return self.name if self.name is not None else "The whole file"


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
    headers: list[str] = field(default_factory=list)
    sheets: list[SheetSummary] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    credit_count: int = 0


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


def read_table(data: bytes, first_row_is_data: bool = False) -> ParsedTable:
    """Decode and split a CSV file into cleaned headers and numbered rows."""
    with _gc_paused():
        sheet = csv_sheet(data, first_row_is_data)
        rows = [(line, list(cells)) for line, cells in sheet.rows]
    if not rows and not sheet.headers:
        raise FileFormatError("The file is empty")
    return ParsedTable(headers=sheet.headers, rows=rows, header_line=sheet.header_line)


# ---------------------------------------------------------------------------
# Previewing a file
# ---------------------------------------------------------------------------

_SPACE_RE = re.compile(r"\s+")
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


def _validate_mapping(mapping: dict[str, int | None], headers: list[str]) -> dict[str, int]:
    """Check the mapping against the headers and return the column of each mapped field."""
    missing = [FIELD_LABELS[f] for f in REQUIRED_FIELDS if mapping.get(f) is None]
    if missing:
        raise MappingError("Choose which column holds: " + ", ".join(missing))
    unknown = sorted(set(mapping) - set(ALL_FIELDS) - {FIRST_ROW_IS_DATA})
    if unknown:
        raise MappingError("Unknown field in mapping: " + ", ".join(unknown))
    seen: dict[int, str] = {}
    for field_name in ALL_FIELDS:
        index = mapping.get(field_name)
        if index is None:
            continue
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(headers):
            raise MappingError(f"{FIELD_LABELS[field_name]} points at a column that is not in the file")
        if index in seen:
            raise MappingError(f"{FIELD_LABELS[field_name]} and {FIELD_LABELS[seen[index]]} cannot use the same column")
        seen[index] = field_name
    return {name: index for index, name in seen.items()}


def _trimmed(headers: list[str]) -> list[str]:
    """Headers compared across sheets: normalised, without trailing empty columns."""
    normalised = [normalise_header(header) for header in headers]
    while normalised and not normalised[-1]:
        normalised.pop()
    return normalised


def _sheet_columns(sheet: Sheet, first: list[str], columns: dict[str, int], by_index: bool) -> dict[str, int] | str:
    """The mapped columns in a later sheet, found by header name; or the name of one it lacks."""
    if by_index or _trimmed(sheet.headers) == _trimmed(first):
        return columns
    # Sheets of one workbook usually share headers, but a month can gain or move a column.
    here = [normalise_header(header) for header in sheet.headers]
    found: dict[str, int] = {}
    for name, index in columns.items():
        wanted = normalise_header(first[index])
        if not wanted or wanted not in here:
            return first[index] or f"column {index + 1}"
        found[name] = here.index(wanted)
    return found


def preview(
    data: bytes, mapping: dict[str, int | None], withheld: tuple[str, ...] | None = None, row_cap: int | None = None
) -> Preview:
    """Parse every row of every sheet of a spend file with the given column mapping."""
    by_index = bool(mapping.get(FIRST_ROW_IS_DATA))
    names = withheld_keys(tuple(withheld) if withheld is not None else default_withheld_names())
    result = Preview()
    state = _State(names)
    columns: dict[str, int] | None = None
    with _gc_paused():
        for sheet in read_sheets(data, by_index, row_cap):
            summary = SheetSummary(sheet.name, sheet.header_line)
            result.sheets.append(summary)
            if columns is None and (sheet.headers or sheet.header_line):
                result.headers = sheet.headers
                columns = _validate_mapping(mapping, sheet.headers)
                sheet_columns: dict[str, int] | str = columns
                if not sheet.header_found:
                    result.notes.append(f"{_place(sheet)}: no row looked like column headings, so row "
                                        f"{sheet.header_line} was taken as the headings")
            elif columns is None:
                sheet_columns = {}
            else:
                sheet_columns = _sheet_columns(sheet, result.headers, columns, by_index)
            if isinstance(sheet_columns, str):
                _leave_out(sheet, summary, sheet_columns, result)
            else:
                _read_rows(sheet, sheet_columns, summary, state, result)
            summary.blank_rows, summary.title_lines = sheet.counts.blank_rows, sheet.counts.title_lines
            if sheet.header_last:
                result.notes.append(f"{_place(sheet)}: the column headings are on the last row ({sheet.header_line})")
    if columns is None:
        raise FileFormatError("The file is empty")
    result.rows = state.rows
    result.row_count = len(state.rows)
    result.total_pence = sum(s.total_pence for s in result.sheets)
    result.credit_total_pence = sum(s.credit_total_pence for s in result.sheets)
    result.credit_count = sum(s.credit_count for s in result.sheets)
    result.min_date = min(state.dates, default=None)
    result.max_date = max(state.dates, default=None)
    return result


def _place(sheet: Sheet) -> str:
    """'The file' for a CSV, 'Sheet Apr' in a workbook."""
    return "The file" if sheet.name is None else f"Sheet {sheet.name}"


def _leave_out(sheet: Sheet, summary: SheetSummary, missing: str, result: Preview) -> None:
    """Count a sheet whose columns do not match the first sheet's, and say it is left out."""
    left = sum(1 for _ in sheet.rows)
    summary.error_count = left
    where = sheet.where(sheet.header_line) if sheet.header_line else _place(sheet)
    result.errors.append(RowError(
        sheet.header_line or 0,
        f"{where}: this sheet has no column headed '{missing}' like the first sheet, so its {left:,} rows "
        "were left out. Give it the same headings and import the file again",
        sheet.name,
    ))


@dataclass
class _State:
    """What reading the rows of a whole file builds up across its sheets."""

    withheld: frozenset[str]
    rows: list[ParsedRow] = field(default_factory=list)
    dates: set[datetime.date] = field(default_factory=set)
    occurrences: dict[tuple[object, ...], int] = field(default_factory=dict)


def _read_rows(sheet: Sheet, columns: dict[str, int], summary: SheetSummary, state: _State, result: Preview) -> None:
    """Turn one sheet's rows into good rows, errors and skipped rows."""
    date_col, supplier_col, amount_col = columns.get("date", -1), columns.get("supplier", -1), columns.get("amount", -1)
    reference_col, category_col = columns.get("reference"), columns.get("category")
    append_row, occurrences, where = state.rows.append, state.occurrences, sheet.where
    for line, cells in sheet.rows:
        width = len(cells)
        date_cell = cells[date_col] if 0 <= date_col < width else None
        amount_cell = cells[amount_col] if 0 <= amount_col < width else None
        date_text = cell_text(date_cell)
        supplier_text = cell_text(cells[supplier_col]) if 0 <= supplier_col < width else ""
        amount_blank = amount_cell is None or (type(amount_cell) is str and not amount_cell.strip())

        if (
            _is_total_label(supplier_text)
            or _is_total_label(date_text)
            or (not date_text and not supplier_text and any(isinstance(c, str) and _is_total_label(c) for c in cells))
        ):
            result.skipped.append(RowError(line, f"{where(line)}: skipped a totals row", sheet.name))
            summary.skipped_count += 1
            continue
        if not supplier_text and amount_blank:
            # Footnotes such as "Figures exclude VAT" carry no money, so there is
            # nothing to lose by skipping them, and flagging them as errors
            # would bury the real problems.
            result.skipped.append(RowError(line, f"{where(line)}: skipped a row with no supplier or amount", sheet.name))
            summary.skipped_count += 1
            continue

        problems: list[str] = []
        paid_on: datetime.date | None = None
        pence = 0
        try:
            paid_on = cell_date(date_cell) if date_text else cell_date("")
        except ValueError as exc:
            problems.append(str(exc))
        if not supplier_text:
            problems.append("Supplier is blank")
        try:
            pence = amount_pence(amount_cell if not amount_blank else "")
        except ValueError as exc:
            problems.append(str(exc))
        if problems or paid_on is None:
            result.errors.append(RowError(line, f"{where(line)}: " + "; ".join(problems), sheet.name))
            summary.error_count += 1
            continue

        redacted = withheld_key(supplier_text) in state.withheld
        supplier_name = REDACTED_LABEL if redacted else supplier_text
        reference = (cell_text(cells[reference_col]) if reference_col is not None and reference_col < width else "") or None
        category = (cell_text(cells[category_col]) if category_col is not None and category_col < width else "") or None
        key = (paid_on, _supplier_key(supplier_name, redacted), pence, reference)
        occurrence = occurrences.get(key, 0)
        occurrences[key] = occurrence + 1
        append_row(ParsedRow(line, paid_on, supplier_name, pence, reference, redacted, occurrence,
                             " ".join(category.split()) if category else None, sheet.name))
        state.dates.add(paid_on)
        summary.row_count += 1
        summary.total_pence += pence
        if pence < 0:
            summary.credit_count += 1
            summary.credit_total_pence += pence


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
