"""The values in a spend file's cells: amounts to whole pence, dates in any common style, supplier names.

Money is always an ``int`` number of pence; floats are never used.
"""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from flask import current_app, has_app_context

from campaign.services.text import fold_accents, without_company_suffix
from config import DEFAULT_WITHHELD_SUPPLIER_NAMES

# £10bn in pence: no single payment by a Lancashire body comes near this, so a
# bigger number is a mangled cell (for example an account code in the amount
# column), not real spend.
MAX_AMOUNT_PENCE = 10_000_000_000 * 100


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
_FLOAT_NOISE = Decimal("0.000001")  # closer than this to a whole penny is float noise, not a real fraction


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
    if rounded != value and abs(rounded - value) < _FLOAT_NOISE:
        # "875.6899999999999" is a spreadsheet float written out in full, not a fraction of a penny.
        rounded = value.quantize(_TWO_PLACES, rounding=ROUND_HALF_UP)
    elif rounded != value:
        # Only non-zero digits past the pence are refused: "12.500" is exactly
        # £12.50, but "12.345" would need rounding and we never round money.
        raise ValueError(f"Amount '{shown}' has more than 2 decimal places")
    pence = int(rounded * 100)
    return -pence if negative_markers else pence


def round_to_pence(value: float | int | Decimal) -> int:
    """A spreadsheet number in pence, rounded half-up: 875.6899999999999 is 87569."""
    # repr() gives the shortest text that is the same float, so the float's binary noise is not amplified.
    exact = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    if not exact.is_finite():
        raise ValueError(f"Amount '{value}' is not a number")
    if abs(exact) * 100 > MAX_AMOUNT_PENCE:
        raise ValueError(f"Amount '{value}' is more than £10bn, which cannot be right")
    return int((exact * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def amount_pence(cell: object) -> int:
    """A money cell from a CSV (text) or a workbook (a number) in pence."""
    if isinstance(cell, str):
        return parse_amount(cell)
    if isinstance(cell, bool) or not isinstance(cell, (int, float, Decimal)):
        raise ValueError("Amount is blank" if cell is None else f"Amount '{cell}' is not a number")
    return round_to_pence(cell)


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


_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # day 0 of Excel's 1900 date system (after its 1900 leap-year bug)
# Serial numbers for 1 January 1990 to 31 December 2099: the years parse_date accepts.
_MIN_SERIAL, _MAX_SERIAL = 32874, 73415


def excel_serial_date(serial: float | int) -> datetime.date:
    """The date an Excel serial number stands for, such as 45044 for 28/04/2023."""
    if not _MIN_SERIAL <= serial <= _MAX_SERIAL:
        raise ValueError(f"Date '{serial}' is not a date we recognise; use a format like 31/03/2024")
    return _EXCEL_EPOCH + datetime.timedelta(days=int(serial))


_SERIAL_RE = re.compile(r"\d{5}(?:\.0+)?")


def cell_date(cell: object) -> datetime.date:
    """A date cell from a CSV (text, or an Excel serial number written out) or a workbook (a date or a serial)."""
    if isinstance(cell, str):
        stripped = cell.strip()
        if _SERIAL_RE.fullmatch(stripped):
            return excel_serial_date(float(stripped))
        return parse_date(stripped)
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return excel_serial_date(cell)
    raise ValueError("Date is blank" if cell is None else f"Date '{cell}' is not a date we recognise")


def cell_text(cell: object) -> str:
    """A cell as trimmed text (a workbook's numbers and dates written as people write them)."""
    if type(cell) is str:
        return cell.strip()
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, (datetime.date, datetime.datetime)):
        return cell.strftime("%d/%m/%Y")
    return str(cell).strip()


_WITHHELD_PUNCT_RE = re.compile(r"[^\w]+")


@lru_cache(maxsize=16384)
def withheld_key(name: str) -> str:
    """A name reduced for the withheld-names match: case folded, punctuation and spacing evened out."""
    return " ".join(_WITHHELD_PUNCT_RE.sub(" ", name.casefold()).split())


@lru_cache(maxsize=8)
def withheld_keys(names: tuple[str, ...]) -> frozenset[str]:
    """The match keys of a list of withheld-name placeholders."""
    return frozenset(filter(None, (withheld_key(name) for name in names)))


def default_withheld_names() -> tuple[str, ...]:
    """WITHHELD_SUPPLIER_NAMES from the running app, or the defaults in config.py outside one."""
    if has_app_context():
        return tuple(current_app.config.get("WITHHELD_SUPPLIER_NAMES", DEFAULT_WITHHELD_SUPPLIER_NAMES))
    return DEFAULT_WITHHELD_SUPPLIER_NAMES


def is_redacted(supplier_text: str, names: tuple[str, ...] | None = None) -> bool:
    """True when a supplier cell is exactly one of the withheld-name placeholders (never a part of a name)."""
    key = withheld_key(supplier_text)
    return bool(key) and key in withheld_keys(tuple(names) if names is not None else default_withheld_names())


_SUPPLIER_DROP_RE = re.compile(r"['’`.]")
_SUPPLIER_SPLIT_RE = re.compile(r"[^a-z0-9]+")


def normalise_supplier_name(name: str) -> str:
    """Reduce a supplier name to a matching key: 'A.B. Smith & Sons Ltd.' -> 'ab smith and sons'."""
    # Dropping accents makes "Café" and "Cafe" the same supplier.
    text = fold_accents(name).lower()
    text = text.replace("&", " and ").replace("+", " and ")
    # Dots and apostrophes join letters ("A.B." -> "ab", "O'Neill" -> "oneill");
    # other punctuation separates words.
    text = _SUPPLIER_DROP_RE.sub("", text)
    words = [w for w in _SUPPLIER_SPLIT_RE.split(text) if w]
    full = list(words)
    if words and words[0] == "the":
        words = words[1:]
    words = without_company_suffix(words)
    # A name that is nothing but suffixes ("The Ltd") keeps its words so it
    # does not collapse to an empty key shared with every blank cell.
    return " ".join(words or full)
