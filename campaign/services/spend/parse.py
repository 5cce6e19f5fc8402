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
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

FIELDS: tuple[str, ...] = ("date", "supplier", "amount", "reference")
REQUIRED_FIELDS: tuple[str, ...] = ("date", "supplier", "amount")
FIELD_LABELS: dict[str, str] = {
    "date": "Date",
    "supplier": "Supplier",
    "amount": "Amount",
    "reference": "Reference",
}
REDACTED_LABEL = "Redacted personal data"

# £10bn in pence: no single payment by a Lancashire body comes near this, so a
# bigger number is a mangled cell (for example an account code in the amount
# column), not real spend.
MAX_AMOUNT_PENCE = 10_000_000_000 * 100

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
_HEADER_WORD_RE = re.compile(r"[^a-z0-9£]+")


def _clean_header(text: str) -> str:
    """Strip BOMs, odd spaces and trailing colons from a header cell."""
    text = text.replace("\ufeff", "").replace("\u00a0", " ")
    text = _SPACE_RE.sub(" ", text).strip()
    return text.rstrip(":").strip()


def _normalise_header(text: str) -> str:
    """Reduce a header to lower-case words for matching, e.g. 'Net Amount(£):' -> 'net amount'."""
    words = _HEADER_WORD_RE.sub(" ", _clean_header(text).lower()).split()
    # Currency markers say nothing about which column this is, but a column
    # headed only "£" is an amount column, so keep it when nothing else is left.
    meaningful = [w for w in words if w not in ("£", "gbp")]
    if meaningful:
        return " ".join(meaningful)
    return "£" if words else ""


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
        known = sum(1 for c in filled if _normalise_header(c) in _KNOWN_HEADERS)
        if len(filled) >= 3 and known >= 2:
            header_index = index
            break

    header_line, raw_headers = records[header_index]
    headers = [_clean_header(h) for h in raw_headers]
    return ParsedTable(headers=headers, rows=records[header_index + 1 :], header_line=header_line)


def header_signature(headers: list[str]) -> str:
    """Return a stable hash of the headers, to recognise the same layout next time."""
    normalised = [_normalise_header(h) for h in headers]
    # Trailing empty columns come and go between exports of the same system
    # and do not move any named column, so they must not change the signature.
    while normalised and not normalised[-1]:
        normalised.pop()
    joined = "\x1f".join(normalised)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# Proposing a column mapping
# ---------------------------------------------------------------------------

# Aliases are in order of preference: the first one present wins.
_ALIASES: dict[str, tuple[str, ...]] = {
    "date": (
        "payment date",
        "date paid",
        "paid date",
        "date of payment",
        "pay date",
        "payment run date",
        "transaction date",
        "date of transaction",
        "date",
        "posting date",
        "posted date",
        "clearing date",
        "value date",
        "effective date",
        "invoice paid date",
        "invoice date",
        "document date",
    ),
    "supplier": (
        "supplier name",
        "supplier",
        "supplier payee",
        "payee name",
        "payee",
        "vendor name",
        "vendor",
        "merchant name",
        "merchant",
        "beneficiary name",
        "beneficiary",
        "creditor name",
        "creditor",
        "recipient name",
        "recipient",
        "paid to",
        "supplier company name",
        "company name",
        "contractor",
        "name",
    ),
    # Net before plain "amount" before gross: transparency totals are reported
    # net of VAT, and a VAT-only column must never be taken as the amount.
    "amount": (
        "net amount",
        "amount net",
        "net",
        "net value",
        "net total",
        "amount excluding vat",
        "amount excl vat",
        "amount exc vat",
        "amount ex vat",
        "net amount excluding vat",
        "amount",
        "amount paid",
        "payment amount",
        "transaction amount",
        "invoice amount",
        "line amount",
        "value",
        "spend",
        "expenditure",
        "£",
        "total",
        "total amount",
        "gross amount",
        "gross",
        "amount including vat",
        "amount inc vat",
        "gross value",
    ),
    "reference": (
        "transaction number",
        "transaction no",
        "trans no",
        "transaction id",
        "transaction reference",
        "transaction ref",
        "trans ref",
        "unique transaction id",
        "ref no",
        "reference",
        "reference number",
        "ref number",
        "ref",
        "payment reference",
        "payment ref",
        "payment number",
        "payment id",
        "invoice number",
        "invoice no",
        "invoice ref",
        "invoice reference",
        "document number",
        "document no",
        "doc no",
        "voucher number",
    ),
}

# Headers that are common in spend files but are none of our four fields;
# they only help recognise the header row under a preamble.
_OTHER_KNOWN_HEADERS = (
    "body",
    "body name",
    "organisation",
    "organisation name",
    "department",
    "directorate",
    "service",
    "service area",
    "service division",
    "service cost centre",
    "cost centre",
    "cost centre name",
    "expense type",
    "expense area",
    "expense category",
    "expenditure category",
    "account detail",
    "account description",
    "description",
    "narrative",
    "purpose",
    "purpose of spend",
    "vat",
    "vat amount",
    "supplier id",
    "supplier number",
    "vat registration number",
    "merchant category",
    "procurement category",
    "capital or revenue",
)

_KNOWN_HEADERS: frozenset[str] = frozenset(_OTHER_KNOWN_HEADERS).union(*_ALIASES.values())

# Words that turn an otherwise matching header into a different column,
# e.g. "Supplier ID" is a code, not a name.
_ID_WORDS = frozenset({"id", "number", "no", "code", "ref", "reference", "type", "postcode", "category"})
_SUPPLIER_WORDS = frozenset({"supplier", "payee", "vendor", "merchant", "beneficiary", "creditor", "recipient"})
_NOT_SUPPLIER_WORDS = _ID_WORDS | {"body", "vat", "organisation", "department", "address"}
_VAT_WORDS = frozenset({"vat", "tax"})
_EX_VAT_WORDS = frozenset({"ex", "exc", "excl", "excluding", "net", "before", "less"})
_NOT_AMOUNT_WORDS = _ID_WORDS | {"date", "description"}


def _fallback_match(field_name: str, words: set[str]) -> bool:
    """Loose word-based match used when no exact alias is present."""
    if field_name == "date":
        return "date" in words
    if field_name == "supplier":
        return bool(words & _SUPPLIER_WORDS) and not words & _NOT_SUPPLIER_WORDS
    if field_name == "amount":
        if not words & {"amount", "value", "net"}:
            return False
        if words & _NOT_AMOUNT_WORDS:
            return False
        # "Amount ex VAT" is the net amount; "VAT amount" is not an amount at all.
        return not (words & _VAT_WORDS) or bool(words & _EX_VAT_WORDS)
    if field_name == "reference":
        if words & _SUPPLIER_WORDS:
            return False
        return bool(words & {"ref", "reference"}) or ("transaction" in words and bool(words & {"number", "no", "id"}))
    return False


def propose_mapping(headers: list[str]) -> dict[str, int | None]:
    """Guess which column holds each field from the header names."""
    normalised = [_normalise_header(h) for h in headers]
    mapping: dict[str, int | None] = {}
    used: set[int] = set()
    for field_name in FIELDS:
        choice: int | None = None
        aliases = _ALIASES[field_name]
        best_rank = len(aliases)
        for index, header in enumerate(normalised):
            if index in used or not header:
                continue
            try:
                rank = aliases.index(header)
            except ValueError:
                continue
            if rank < best_rank:
                best_rank, choice = rank, index
        if choice is None:
            for index, header in enumerate(normalised):
                if index not in used and header and _fallback_match(field_name, set(header.split())):
                    choice = index
                    break
        mapping[field_name] = choice
        if choice is not None:
            used.add(choice)
    return mapping


# ---------------------------------------------------------------------------
# Values: amounts, dates, suppliers
# ---------------------------------------------------------------------------

# After all spaces are removed: an optional sign, optional £ (or the "Â£" left
# by a double-encoded file), optional brackets, the number, then an optional
# trailing minus or CR/DR marker.
_AMOUNT_RE = re.compile(
    r"""
    ^(?P<sign>[-\u2212])?
    (?:Â?£|GBP)?
    (?P<sign2>[-\u2212])?
    (?P<open>\()?
    (?:Â?£|GBP)?
    (?P<number>\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)
    (?P<close>\))?
    (?P<suffix>-|CR|DR)?$
    """,
    re.VERBOSE,
)
# Most cells are a bare number like "600.00"; matching that first skips the
# general pattern for the bulk of a large file.
_PLAIN_AMOUNT_RE = re.compile(r"\d+(?:\.\d{1,2})?")
_TWO_PLACES = Decimal("0.01")


def parse_amount(text: str) -> int:
    """Parse a money cell such as '£1,234.56', '(250.00)' or '250.00 CR' into pence."""
    shown = text.strip()
    if not shown:
        raise ValueError("Amount is blank")
    if _PLAIN_AMOUNT_RE.fullmatch(shown):
        pence = int(Decimal(shown) * 100)
        if pence > MAX_AMOUNT_PENCE:
            raise ValueError(f"Amount '{shown}' is more than £10bn, which cannot be right")
        return pence
    # str.split() with no argument also splits on non-breaking and thin spaces,
    # which Excel uses as thousands separators in some locales.
    match = _AMOUNT_RE.match("".join(shown.split()).upper())
    if match is None or bool(match["open"]) != bool(match["close"]):
        raise ValueError(f"Amount '{shown}' is not a number")
    negative_markers = (
        bool(match["sign"]) + bool(match["sign2"]) + bool(match["open"]) + (match["suffix"] in ("-", "CR"))
    )
    if negative_markers > 1:
        # "-(250)" or "-250 CR" could mean either sign; refuse rather than guess.
        raise ValueError(f"Amount '{shown}' is not a number (it is marked negative twice)")
    try:
        value = Decimal(match["number"].replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(f"Amount '{shown}' is not a number") from exc
    # Checked before quantize(), which raises on numbers longer than the
    # decimal context's precision.
    if value * 100 > MAX_AMOUNT_PENCE:
        raise ValueError(f"Amount '{shown}' is more than £10bn, which cannot be right")
    rounded = value.quantize(_TWO_PLACES)
    if rounded != value:
        # Only non-zero digits past the pence are refused: "12.500" is exactly
        # £12.50, but "12.345" would need rounding and we never round money.
        raise ValueError(f"Amount '{shown}' has more than 2 decimal places")
    pence = int(rounded * 100)
    return -pence if negative_markers else pence


_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("jan", "january"),
        ("feb", "february"),
        ("mar", "march"),
        ("apr", "april"),
        ("may",),
        ("jun", "june"),
        ("jul", "july"),
        ("aug", "august"),
        ("sep", "sept", "september"),
        ("oct", "october"),
        ("nov", "november"),
        ("dec", "december"),
    ),
    start=1,
):
    for _name in _names:
        _MONTHS[_name] = _number

_TIME = r"(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}|[AaPp][Mm]))?)?"
_ISO_DATE_RE = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME + r"$")
_DMY_DATE_RE = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})" + _TIME + r"$")
_DAY_MONTH_NAME_RE = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?[\s/.-]*([A-Za-z]+)\.?,?[\s/.-]*(\d{4}|\d{2})" + _TIME + r"$"
)
_MONTH_NAME_DAY_RE = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _TIME + r"$")

# Spend data is modern; a year outside this range is a typo such as "0024".
_MIN_YEAR, _MAX_YEAR = 1990, 2099


@lru_cache(maxsize=8192)
def _parse_date_cached(text: str) -> datetime.date:
    """Parse a stripped, non-empty date string; cached because files repeat dates."""
    year = month = day = None
    if match := _DMY_DATE_RE.match(text):
        day, month, year = int(match[1]), int(match[3]), match[4]
    elif match := _ISO_DATE_RE.match(text):
        year, month, day = match[1], int(match[3]), int(match[4])
    elif match := _DAY_MONTH_NAME_RE.match(text):
        day, month, year = int(match[1]), _MONTHS.get(match[2].lower()), match[3]
    elif match := _MONTH_NAME_DAY_RE.match(text):
        month, day, year = _MONTHS.get(match[1].lower()), int(match[2]), match[3]
    if year is None or month is None:
        raise ValueError(f"Date '{text}' is not a date we recognise; use a format like 31/03/2024")
    # Two-digit years are always this century: spend files start in 2010.
    full_year = 2000 + int(year) if len(year) == 2 else int(year)
    if not _MIN_YEAR <= full_year <= _MAX_YEAR:
        raise ValueError(f"Date '{text}' has an unlikely year ({full_year})")
    try:
        return datetime.date(full_year, month, day)
    except ValueError:
        raise ValueError(f"Date '{text}' is not a real date (day {day}, month {month})") from None


def parse_date(text: str) -> datetime.date:
    """Parse a UK-style date (day first, never US month-first) into a date."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("Date is blank")
    return _parse_date_cached(stripped)


_REDACTION_WORD_RE = re.compile(r"\b(redact\w*|withheld|anonymi[sz]ed|undisclosed)\b")
_PERSONAL_DATA_RE = re.compile(r"\b(personal|private|sensitive) (data|information|details)\b")
_REDACTED_EXACT = frozenset(
    {
        "individual",
        "individuals",
        "private individual",
        "private individuals",
        "an individual",
        "private",
        "anonymous",
        "not disclosed",
        "name not disclosed",
        "gdpr",
        "data protection",
        "personal",
        "private person",
        "member of the public",
    }
)
_REDACT_PUNCT_RE = re.compile(r"[^a-z0-9]+")


def is_redacted(supplier_text: str) -> bool:
    """True when a supplier cell marks a payment to a person whose name was withheld."""
    words = _REDACT_PUNCT_RE.sub(" ", supplier_text.lower()).strip()
    if not words:
        return False
    # Loose patterns only for words that never appear in a company's name;
    # short words like "individual" must be the whole cell ("Individual Homes
    # Ltd" is a real builder).
    return bool(words in _REDACTED_EXACT or _REDACTION_WORD_RE.search(words) or _PERSONAL_DATA_RE.search(words))


_SUPPLIER_DROP_RE = re.compile(r"['’`.]")
_SUPPLIER_SPLIT_RE = re.compile(r"[^a-z0-9]+")
_LEGAL_SUFFIXES = frozenset({"ltd", "limited", "plc", "llp", "cic"})


def normalise_supplier_name(name: str) -> str:
    """Reduce a supplier name to a matching key: 'A.B. Smith & Sons Ltd.' -> 'ab smith and sons'."""
    # NFKD then dropping accents makes "Café" and "Cafe" the same supplier.
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ").replace("+", " and ")
    # Dots and apostrophes join letters ("A.B." -> "ab", "O'Neill" -> "oneill");
    # other punctuation separates words.
    text = _SUPPLIER_DROP_RE.sub("", text)
    words = [w for w in _SUPPLIER_SPLIT_RE.split(text) if w]
    full = list(words)
    if words and words[0] == "the":
        words = words[1:]
    while words and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    # A name that is nothing but suffixes ("The Ltd") keeps its words so it
    # does not collapse to an empty key shared with every blank cell.
    return " ".join(words or full)


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
