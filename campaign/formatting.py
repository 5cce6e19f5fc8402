"""How money, percentages, counts and dates read on the site, as Jinja filters."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup

from campaign.services.money import pence_to_text

UK = ZoneInfo("Europe/London")  # staff choose X post times in UK time, and the wall shows times in it

QUALIFIER_TEXT = {"": "", "about": "about", "around": "around", "approximately": "approximately",
                  "over": "over", "more than": "more than"}


def pounds(pence: int | None, exact: bool = False) -> str:
    """Whole pence as people read money: £62m, £6.3m, £12,500 or £1,234.56."""
    if pence is None:
        return "not known"
    sign = "-" if pence < 0 else ""
    pence = abs(pence)
    whole, rem = divmod(pence, 100)
    if not exact and whole >= 1_000_000:
        millions = pence / 100_000_000
        text = f"{millions:.1f}".rstrip("0").rstrip(".")
        return f"{sign}£{text}m"
    if rem and (exact or whole < 10_000):
        return f"{sign}£{whole:,}.{rem:02d}"
    return f"{sign}£{whole:,}"


def pounds_and_pence(pence: int) -> str:
    """Whole pence with every penny shown, as a file's total is checked: £1,234.00 or -£56.78."""
    whole, rem = divmod(abs(pence), 100)
    return f"{'-' if pence < 0 else ''}£{whole:,}.{rem:02d}"


def percent(basis_points: int | None) -> str:
    """Hundredths of a per cent as a percentage: 5400 reads 54%, 250 reads 2.5%."""
    if basis_points is None:
        return "not known"
    text = f"{basis_points / 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def count(value: int | None) -> str:
    """A count with thousands separators."""
    return "not known" if value is None else f"{value:,}"


def figure_value(unit: str, value: int | None, qualifier: str = "") -> str:
    """A headline figure's value in words and numbers, with its qualifier ("about 54%")."""
    text = {"pounds": pounds, "percent": percent, "count": count}[unit](value)
    prefix = QUALIFIER_TEXT.get(qualifier, "")
    return f"{prefix} {text}".strip() if value is not None else text


def long_date(value: date | datetime | None) -> str:
    """A date as GOV.UK writes it: 23 August 2019."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def pence_to_pounds_input(pence: int | None) -> str:
    """Pence as an editable amount in pounds, for a form field."""
    return pence_to_text(pence, separators=False)


def year_label(start_year: int) -> str:
    """A financial year as people write it: 2023 reads 2023/24."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def nl2br(text: str | None) -> Markup:
    """Escape text and keep its line breaks."""
    escaped = Markup.escape(text or "")
    return Markup("<br>\n").join(escaped.split("\n"))


def register(app: Flask) -> None:
    """Make the filters available in every template."""
    app.jinja_env.filters.update(
        pounds=pounds,
        percent=percent,
        count=count,
        figure_value=figure_value,
        long_date=long_date,
        nl2br=nl2br,
        pence_to_pounds_input=pence_to_pounds_input,
        year_label=year_label,
    )
