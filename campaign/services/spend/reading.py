"""Reading the files public bodies publish: every sheet of an .xlsx workbook, or a CSV in any common encoding.

A file becomes sheets (a CSV is one sheet). Each sheet finds its own header row, under title lines
or as its last line, and streams its data rows, so a large file is read once and never held twice.
Every file is capped in bytes and rows as it is read (MAX_UPLOAD_MB, SPEND_MAX_ROWS).
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any

from flask import current_app, has_app_context

from campaign.services.spend.columns import KNOWN_HEADERS, clean_header, normalise_header
from campaign.services.spend.values import parse_amount, parse_date

DEFAULT_MAX_ROWS = 250_000  # rows (blank ones included) in one file; the OPCC's busiest year has about 9,300
_HEADER_SCAN_ROWS = 30  # real preambles are a title line or two; further down, data could pass for headers
_MAX_COLUMNS = 200  # cells kept per row: a spend sheet has a dozen, a hostile one could have 16,384
_MAX_UNZIPPED_RATIO = 40  # an .xlsx unpacks to about 5-10 times its size; far more is a zip bomb

OLD_EXCEL = b"\xd0\xcf\x11\xe0"  # the start of an .xls file (and other OLE documents)
Cell = Any  # str from a CSV; str, int, float, datetime, date, time, bool or None from a workbook
Record = tuple[int, Sequence[Cell]]


class FileFormatError(ValueError):
    """The file cannot be read as a spend table at all."""


class FileTooLargeError(FileFormatError):
    """The file is over the size or row cap."""


def setting(name: str, default: Any) -> Any:
    """A setting from the running app's config, or the default outside an app (as in unit tests)."""
    return current_app.config.get(name, default) if has_app_context() else default


def max_rows() -> int:
    """The most rows one file may have (SPEND_MAX_ROWS)."""
    return int(setting("SPEND_MAX_ROWS", DEFAULT_MAX_ROWS))


def check_size(size: int) -> None:
    """Refuse a file bigger than MAX_UPLOAD_MB, saying what the cap is."""
    limit = setting("MAX_CONTENT_LENGTH", None)
    if limit and size > limit:
        raise FileTooLargeError(
            f"The file is {size / 1024 / 1024:.1f}MB, more than the {limit / 1024 / 1024:.0f}MB one import can take "
            "(MAX_UPLOAD_MB). Split it into smaller files, a few months each, and import them one by one"
        )


def is_workbook(data: bytes) -> bool:
    """True for an .xlsx workbook (a zip file)."""
    return data.startswith(b"PK\x03\x04")


# ---------------------------------------------------------------------------
# Decoding CSV text
# ---------------------------------------------------------------------------


def _bomless_utf16(data: bytes) -> str | None:
    """The UTF-16 byte order of text saved without a BOM, judged by where the zero bytes fall."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even_zeros, odd_zeros = sample[0::2].count(0), sample[1::2].count(0)
    # ASCII text in UTF-16 has a zero in every other byte; binary files have zeros all over.
    if odd_zeros > 0.4 * half and even_zeros < 0.05 * half:
        return "utf-16-le"
    if even_zeros > 0.4 * half and odd_zeros < 0.05 * half:
        return "utf-16-be"
    return None


def _decode_utf16(data: bytes, encoding: str) -> str:
    """Decode UTF-16 text, or say plainly that the file is damaged."""
    if len(data) % 2:
        raise FileFormatError(
            "The file looks like UTF-16 text but has an odd number of bytes, so it was cut short or damaged. "
            "Save it again as “CSV UTF-8” and upload that"
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise FileFormatError(
            f"The file looks like UTF-16 text but is damaged at byte {error.start:,}. "
            "Save it again as “CSV UTF-8” and upload that"
        ) from None


def decode_csv(data: bytes) -> str:
    """Decode file bytes as UTF-16 (with or without BOM), UTF-8 (with or without BOM), else cp1252, else latin-1."""
    # Excel's "Unicode text" export is UTF-16; read as latin-1 it would be NUL-riddled nonsense.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_utf16(data, "utf-16")
    if encoding := _bomless_utf16(data):
        return _decode_utf16(data, encoding)
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


# ---------------------------------------------------------------------------
# Raw records: CSV lines and workbook rows
# ---------------------------------------------------------------------------


def _csv_records(text: str) -> Iterator[Record]:
    """CSV records numbered as spreadsheet rows (1-based), even when a quoted cell spans lines."""
    # newline="" lets the csv module see \r\n inside quoted cells correctly.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise FileFormatError(f"Line {reader.line_num}: the file could not be read as CSV ({error})") from None


def _open_workbook(data: bytes):
    """Open an .xlsx workbook for streaming, refusing damaged files and zip bombs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise FileFormatError(
            "The file looks like an Excel workbook but could not be opened: it is damaged or not really .xlsx. "
            "Save it again from Excel, or as CSV, and upload that"
        ) from None
    if unzipped > _MAX_UNZIPPED_RATIO * max(len(data), 1_000_000):
        raise FileTooLargeError("The Excel workbook unpacks to far more data than a spend file holds, so it was refused")
    # Imported here: openpyxl is only needed by the few requests that read a workbook.
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds (KeyError, XML errors, its own) for a damaged file
        raise FileFormatError(
            f"The file looks like an Excel workbook but could not be opened ({type(error).__name__}). "
            "Save it again from Excel as .xlsx, or as CSV, and upload that"
        ) from None


def _worksheet_records(worksheet) -> Iterator[Record]:
    """A worksheet's rows, numbered as Excel numbers them."""
    try:
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, row[:_MAX_COLUMNS]
    except FileFormatError:  # the row cap, raised by the reader of these rows
        raise
    except Exception as error:  # damaged sheet XML surfaces only while reading it
        raise FileFormatError(f"Sheet {worksheet.title}: the sheet could not be read ({type(error).__name__})") from None


def _raw_sheets(data: bytes) -> Iterator[tuple[str | None, Iterator[Record]]]:
    """Each sheet's name (None for a CSV) and its numbered records."""
    if data.startswith(OLD_EXCEL):
        raise FileFormatError(
            "it is an old-style Excel workbook (.xls). Open it in Excel, save it as .xlsx or CSV, and upload that"
        )
    if is_workbook(data):
        workbook = _open_workbook(data)
        try:
            for worksheet in workbook.worksheets:
                yield worksheet.title, _worksheet_records(worksheet)
        finally:
            workbook.close()
        return
    text = decode_csv(data)
    if "\x00" in text:
        raise FileFormatError("This does not look like a CSV file (it contains binary data)")
    yield None, _csv_records(text)


# ---------------------------------------------------------------------------
# Sheets with their header rows found
# ---------------------------------------------------------------------------


@dataclass
class SheetCounts:
    """What reading a sheet left out: blank rows, and title lines above the header."""

    blank_rows: int = 0
    title_lines: int = 0


@dataclass
class Sheet:
    """One sheet (or a whole CSV): its headers, and its data rows streamed as they are read."""

    name: str | None
    headers: list[str]
    header_line: int | None  # None when there is no header row: every row is a payment
    rows: Iterator[Record]
    counts: SheetCounts = field(default_factory=SheetCounts)
    header_found: bool = True  # False when no row looked like headings and the first row was taken
    header_last: bool = False

    def where(self, line: int) -> str:
        """Where a row is, as people find it: 'Line 7' in a CSV, 'Sheet Apr, row 7' in a workbook."""
        return f"Line {line}" if self.name is None else f"Sheet {self.name}, row {line}"


def _is_blank(cells: Sequence[Cell]) -> bool:
    """True when every cell is empty or spaces."""
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _non_blank(records: Iterator[Record], counts: SheetCounts, budget: list[int]) -> Iterator[Record]:
    """The records with content, counting blank ones and every record against the file's row cap."""
    for line, cells in records:
        budget[0] -= 1
        if budget[0] < 0:
            raise FileTooLargeError(
                f"The file has more than {budget[1]:,} rows, the most one import can take (SPEND_MAX_ROWS). "
                "Split it into smaller files, a year or a few months each, and import them one by one"
            )
        # Joining tests "every cell blank" in C for CSV rows, the bulk of large files.
        if (not "".join(cells).strip()) if type(cells) is list else _is_blank(cells):
            counts.blank_rows += 1
            continue
        yield line, cells


def _header_text(cell: Cell) -> str:
    """A header cell as clean text."""
    return clean_header(cell if isinstance(cell, str) else "" if cell is None else str(cell))


def _looks_like_headers(cells: Sequence[Cell]) -> bool:
    """True for a row that names at least two of the columns spend files have."""
    filled = [cell for cell in cells if isinstance(cell, str) and cell.strip()]
    known = sum(1 for cell in filled if normalise_header(cell) in KNOWN_HEADERS)
    return len(filled) >= 3 and known >= 2


def _is_date(cell: Cell) -> bool:
    """True for a date cell, typed or written out."""
    if isinstance(cell, (datetime.date, datetime.datetime)):
        return True
    try:
        return isinstance(cell, str) and bool(parse_date(cell))
    except ValueError:
        return False


def _is_amount(cell: Cell) -> bool:
    """True for a money cell, typed or written out."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return True
    try:
        return isinstance(cell, str) and parse_amount(cell) is not None
    except ValueError:
        return False


def looks_like_payment(cells: Sequence[Cell]) -> bool:
    """True for a row holding a date and, in another cell, an amount: data, not headings."""
    dates = {index for index, cell in enumerate(cells) if _is_date(cell)}
    return bool(dates) and any(_is_amount(cell) for index, cell in enumerate(cells) if index not in dates)


def column_names(records: Sequence[Record]) -> list[str]:
    """Names for the columns of a file with no header row: Column 1, Column 2, ..."""
    width = max((len(cells) for _, cells in records), default=0)
    return [f"Column {number}" for number in range(1, width + 1)]


def _sheet(name: str | None, records: Iterator[Record], first_row_is_data: bool, budget: list[int]) -> Sheet:
    """Find a sheet's header row and set its data rows streaming."""
    counts = SheetCounts()
    rows = _non_blank(records, counts, budget)
    head = list(islice(rows, _HEADER_SCAN_ROWS))
    if first_row_is_data or not head:
        return Sheet(name, column_names(head), None, chain(head, rows), counts)
    index = next((i for i, (_, cells) in enumerate(head) if _looks_like_headers(cells)), None)
    if index is not None:
        after = chain(head[index + 1:], rows)
        following = next(after, None)
        if following is None and index > 0 and any(looks_like_payment(cells) for _, cells in head[:index]):
            # The header is the last line, under the payments it names.
            return Sheet(name, [_header_text(c) for c in head[index][1]], head[index][0], iter(head[:index]),
                         counts, header_last=True)
        counts.title_lines = index
        after = chain([following] if following is not None else [], after)
        return Sheet(name, [_header_text(c) for c in head[index][1]], head[index][0], after, counts)
    # No heading row near the top: read on, since some files put it on their last line.
    everything = head + list(rows)
    if len(everything) > 1 and _looks_like_headers(everything[-1][1]):
        line, cells = everything[-1]
        return Sheet(name, [_header_text(c) for c in cells], line, iter(everything[:-1]), counts, header_last=True)
    if looks_like_payment(everything[0][1]):
        # Taking a payment for headings would lose it without a word.
        return Sheet(name, column_names(everything), None, iter(everything), counts, header_found=False)
    line, cells = everything[0]
    return Sheet(name, [_header_text(c) for c in cells], line, iter(everything[1:]), counts, header_found=False)


def read_sheets(data: bytes, first_row_is_data: bool = False, row_cap: int | None = None) -> Iterator[Sheet]:
    """Every sheet of a file with its header row found; read each sheet's rows before asking for the next."""
    check_size(len(data))
    cap = row_cap if row_cap is not None else max_rows()
    budget = [cap, cap]  # rows left, and the cap itself for the message
    for name, records in _raw_sheets(data):
        yield _sheet(name, records, first_row_is_data, budget)


def csv_sheet(data: bytes, first_row_is_data: bool = False, row_cap: int | None = None) -> Sheet:
    """A CSV file as one sheet with its header row found (a workbook is refused as binary)."""
    check_size(len(data))
    text = decode_csv(data)
    if "\x00" in text:
        raise FileFormatError("This does not look like a CSV file (it contains binary data)")
    cap = row_cap if row_cap is not None else max_rows()
    return _sheet(None, _csv_records(text), first_row_is_data, [cap, cap])


def first_sheet(data: bytes, first_row_is_data: bool = False) -> tuple[Sheet, list[Record]]:
    """The first sheet with any content, and its first five data rows, for choosing columns."""
    for sheet in read_sheets(data, first_row_is_data):
        sample = list(islice(sheet.rows, 5))
        if sheet.headers or sample:
            return sheet, sample
    raise FileFormatError("The file is empty")


def check_whole_file(data: bytes, first_row_is_data: bool = False) -> int:
    """Read every row of every sheet once, so a broken or oversized file is refused at upload; returns the rows."""
    count = 0
    for sheet in read_sheets(data, first_row_is_data):
        for _ in sheet.rows:
            count += 1
        count += sheet.header_line is not None
    if not count:
        raise FileFormatError("The file is empty")
    return count
