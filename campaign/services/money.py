"""Amounts typed by staff: pounds and pence to whole pence, percentages to hundredths of a per cent.

Everything goes through Decimal, never float, so "£1,234.56" is exactly 123456 pence.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Thousands separators must sit in threes ("1,234,567"); "12,34" is a typo, not a number.
_NUMBER_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")
MAX_PENCE = 10_000_000_000 * 100  # £10bn: more than any single figure the campaign could show
MAX_COUNT = 1_000_000_000


def _decimal(text: str, allow_sign: bool) -> Decimal:
    """A plain decimal from text that may carry a pound sign, spaces, commas or a leading minus."""
    compact = "".join(text.split()).replace("£", "").replace("\u2212", "-")
    negative = False
    if allow_sign and compact.startswith("-"):
        negative, compact = True, compact[1:]
    if not _NUMBER_RE.match(compact):
        raise ValueError(text)
    try:
        value = Decimal(compact.replace(",", ""))
    except InvalidOperation:
        raise ValueError(text) from None
    return -value if negative else value


def parse_pounds(text: str, allow_negative: bool = False) -> int:
    """Pounds and pence as typed ("£1,234.56", "1234.5", "600") to whole pence.

    Raises ValueError when the text is not an amount, has more than two decimal
    places, or is negative when that is not allowed.
    """
    value = _decimal(text, allow_sign=True)
    if value < 0 and not allow_negative:
        raise ValueError(text)
    # Size first: quantize() fails on numbers longer than Decimal's precision.
    if abs(value) * 100 > MAX_PENCE or value != value.quantize(Decimal("0.01")):
        raise ValueError(text)
    return int(value * 100)


def parse_percent(text: str) -> int:
    """A percentage as typed ("54", "2.5", "54%") to hundredths of a per cent (5400, 250)."""
    value = _decimal(text.strip().removesuffix("%"), allow_sign=False)
    if value > 100 or value != value.quantize(Decimal("0.01")):
        raise ValueError(text)
    return int(value * 100)


def parse_count(text: str) -> int:
    """A whole number as typed ("1,234" or "1234"), not negative."""
    value = _decimal(text, allow_sign=False)
    if value > MAX_COUNT or value != value.to_integral_value():
        raise ValueError(text)
    return int(value)


def pence_to_text(pence: int | None, separators: bool = True) -> str:
    """Pence as plain pounds for a form field or a spreadsheet: 123456 -> "1,234.56" (or "1234.56")."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    whole, rem = divmod(abs(pence), 100)
    return f"{sign}{whole:,}.{rem:02d}" if separators else f"{sign}{whole}.{rem:02d}"


def basis_points_to_text(value: int | None) -> str:
    """Hundredths of a per cent for a form field: 5400 -> "54", 250 -> "2.5"."""
    if value is None:
        return ""
    return f"{value / 100:.2f}".rstrip("0").rstrip(".")
