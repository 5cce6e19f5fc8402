"""Classify UK postcodes as Lancashire, elsewhere in the North West, or elsewhere.

"Lancashire" here means the Lancashire Police and Crime Commissioner's area:
the twelve district councils under Lancashire County Council plus the two
unitary councils, Blackburn with Darwen and Blackpool.

Classification works on the postcode district (the outward code, e.g. "PR1")
using campaign/data/postcode_districts.csv.  Postcode districts do not follow
council boundaries, so a district that spans several councils, or crosses the
county line, is flagged ``needs_confirmation`` and staff confirm the council
rather than the site guessing silently.  See campaign/data/README.md for where
the table comes from.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LOCATIONS: tuple[str, ...] = ("lancashire", "north_west", "elsewhere")

COUNCIL_AREAS: list[tuple[str, str]] = [
    ("burnley", "Burnley"),
    ("chorley", "Chorley"),
    ("fylde", "Fylde"),
    ("hyndburn", "Hyndburn"),
    ("lancaster", "Lancaster"),
    ("pendle", "Pendle"),
    ("preston", "Preston"),
    ("ribble-valley", "Ribble Valley"),
    ("rossendale", "Rossendale"),
    ("south-ribble", "South Ribble"),
    ("west-lancashire", "West Lancashire"),
    ("wyre", "Wyre"),
    ("blackburn-with-darwen", "Blackburn with Darwen"),
    ("blackpool", "Blackpool"),
]
_COUNCIL_NAMES: dict[str, str] = dict(COUNCIL_AREAS)

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "postcode_districts.csv"

INVALID_POSTCODE_MESSAGE = "Enter a real UK postcode, like PR1 2AB"

# Royal Mail's rules for which letters may appear where; they reject common
# typos (e.g. a letter O typed for a zero in the inward code) instead of
# letting them through as unknown districts.
_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_FULL_RE = re.compile(rf"^({_OUTWARD})({_INWARD})$")
_OUTWARD_RE = re.compile(rf"^{_OUTWARD}$")
_AREA_RE = re.compile(r"^[A-Z]+")
_STRIP_RE = re.compile(r"[\s\u00a0\-]+")


@dataclass(frozen=True)
class Classification:
    """Where a postcode is, for campaign purposes."""

    location: str
    council_area: str | None
    candidates: tuple[str, ...]
    needs_confirmation: bool
    reason: str


@dataclass(frozen=True)
class _Rule:
    """One row of the postcode district table."""

    district: str
    location: str
    council_areas: tuple[str, ...]
    straddles: bool
    note: str


def normalise_postcode(text: str) -> str | None:
    """Return a postcode as 'PR1 2AB' (or an outward code as 'PR1'), or None if invalid."""
    compact = _STRIP_RE.sub("", text or "").upper()
    if not compact:
        return None
    if match := _FULL_RE.match(compact):
        return f"{match[1]} {match[2]}"
    if _OUTWARD_RE.match(compact):
        return compact
    return None


def outward_code(postcode: str) -> str:
    """Return the outward code (district) of a postcode, e.g. 'PR1' for 'pr1 2ab'."""
    normalised = normalise_postcode(postcode)
    if normalised is None:
        raise ValueError(INVALID_POSTCODE_MESSAGE)
    return normalised.split(" ", 1)[0]


def council_area_name(slug: str) -> str:
    """Return the display name of a Lancashire council area slug."""
    try:
        return _COUNCIL_NAMES[slug]
    except KeyError:
        raise KeyError(f"Unknown council area: {slug!r}") from None


@cache
def _load_rules() -> tuple[dict[str, _Rule], dict[str, _Rule]]:
    """Read the district table once: (exact districts, whole-area rules)."""
    districts: dict[str, _Rule] = {}
    areas: dict[str, _Rule] = {}
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        for line_number, row in enumerate(csv.DictReader(handle), start=2):
            rule = _parse_rule(row, line_number)
            target = areas if rule.district.endswith("*") else districts
            key = rule.district.rstrip("*")
            if key in target:
                raise ValueError(f"{DATA_FILE.name} line {line_number}: {rule.district} is listed twice")
            target[key] = rule
    return districts, areas


def _parse_rule(row: dict[str, str], line_number: int) -> _Rule:
    """Validate one CSV row; a bad table must fail loudly, not misfile supporters."""
    where = f"{DATA_FILE.name} line {line_number}"
    district = (row.get("district") or "").strip().upper()
    location = (row.get("location") or "").strip()
    councils = tuple(c.strip() for c in (row.get("council_areas") or "").split(";") if c.strip())
    straddles_text = (row.get("straddles") or "").strip()
    if not district or not (_OUTWARD_RE.match(district) or re.fullmatch(r"[A-Z]{1,2}\*", district)):
        raise ValueError(f"{where}: {district!r} is not a postcode district or area rule")
    if location not in LOCATIONS:
        raise ValueError(f"{where}: unknown location {location!r}")
    unknown = [c for c in councils if c not in _COUNCIL_NAMES]
    if unknown:
        raise ValueError(f"{where}: unknown council area {', '.join(unknown)}")
    if straddles_text not in ("0", "1"):
        raise ValueError(f"{where}: straddles must be 0 or 1")
    straddles = straddles_text == "1"
    if len(councils) > 1 and not straddles:
        raise ValueError(f"{where}: {district} lists several councils so must have straddles=1")
    return _Rule(district, location, councils, straddles, (row.get("note") or "").strip())


def classify_postcode(text: str) -> Classification:
    """Classify a full postcode or outward code as lancashire, north_west or elsewhere."""
    normalised = normalise_postcode(text)
    if normalised is None:
        raise ValueError(INVALID_POSTCODE_MESSAGE)
    district = normalised.split(" ", 1)[0]
    area_match = _AREA_RE.match(district)
    area = area_match[0] if area_match else ""
    districts, areas = _load_rules()
    rule = districts.get(district) or areas.get(area)
    if rule is None:
        return Classification(
            location="elsewhere",
            council_area=None,
            candidates=(),
            needs_confirmation=False,
            reason=f"{district} is outside Lancashire and the North West",
        )
    # A council is only suggested for Lancashire postcodes; for a North West
    # or elsewhere district the candidates are just the Lancashire councils a
    # few of its addresses fall in, for staff to check.
    council = rule.council_areas[0] if rule.location == "lancashire" and rule.council_areas else None
    return Classification(
        location=rule.location,
        council_area=council,
        candidates=rule.council_areas,
        needs_confirmation=rule.straddles,
        reason=f"{district}: {rule.note}" if rule.note else district,
    )
