"""The public side of pledges: the wall, organisation pages, counts by area, and the open data.

Everything public goes through `PublicPledge`, which has no contact fields at all, so no page,
feed or file can show a contact's name, role or email by mistake. Queries select only the
columns a card needs, so a page of the wall is three queries however many pledges there are.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, false, func, select
from sqlalchemy.orm import Session

from campaign.models import Pledge, StoredImage
from campaign.models.common import utcnow
from campaign.models.pledges import COMMITMENTS, ORG_SIZES, ORG_TYPES, SECTORS
from campaign.services.checkins import reports as checkin_reports
from campaign.services.figures import computed, headline
from campaign.services.pledges.areas import AREAS, area_name
from campaign.services.pledges.common import name_key
from campaign.services.text import without_invisibles
from campaign.services.urls import url_builder

PAGE_SIZE = 24
SORTS = {"newest": "Newest first", "name": "A to Z"}
AVATAR_TONES = 6
LICENCE = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
# A spreadsheet treats a cell starting with these as a formula (OWASP "CSV injection"); fullwidth
# forms are included because some spreadsheets fold them to the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
CSV_FIELDS = [
    "organisation", "page_url", "organisation_type", "size", "sector", "area", "area_code",
    *[f"commits_{key}" for key in COMMITMENTS], "statement", "website", "logo_url", "pledged_on",
    *checkin_reports.CSV_FIELDS,
]

_COLUMNS = (
    Pledge.id, Pledge.slug, Pledge.organisation_name, Pledge.org_type, Pledge.size, Pledge.sector, Pledge.area,
    Pledge.website, Pledge.statement, Pledge.logo_id, Pledge.live_at, Pledge.needs_review, Pledge.is_demo,
    *[getattr(Pledge, f"commit_{key}") for key in COMMITMENTS],
    select(StoredImage.token).where(StoredImage.id == Pledge.logo_id).scalar_subquery().label("logo_token"),
)
_SKIP_WORDS = {"the", "and", "of", "for", "a"}


@dataclass(slots=True)  # not frozen: frozen dataclasses are slow to build, and the CSV builds 10,000
class PublicPledge:
    """What anyone may see of a live pledge: never the contact's details."""

    slug: str
    name: str
    org_type: str
    org_type_name: str
    size: str
    size_name: str
    sector: str
    sector_name: str
    area: str
    area_name: str
    commitments: list[tuple[str, str]]
    statement: str | None
    website: str | None
    logo_id: int | None
    logo_token: str | None
    live_at: datetime
    initials: str
    tone: int
    demo: bool = False  # made up by `flask demo load`: every page showing it says so


@dataclass(frozen=True)
class WallQuery:
    """What a visitor asked the wall for, already checked against the allowed values."""

    q: str = ""
    area: str = ""
    sector: str = ""
    size: str = ""
    commitment: str = ""
    reported: bool = False  # only pledges with an approved check-in in the last 12 months
    sort: str = "newest"
    page: int = 1

    @property
    def filtered(self) -> bool:
        """Whether any search or filter is applied."""
        return bool(self.q or self.area or self.sector or self.size or self.commitment or self.reported)


@dataclass(frozen=True)
class WallPage:
    """One page of the wall."""

    pledges: list[PublicPledge]
    matching: int
    page: int
    pages: int


@dataclass(frozen=True)
class AreaCount:
    """Live pledges in one area."""

    slug: str
    name: str
    count: int
    demo: int = 0  # how many of them are demo data


@dataclass(frozen=True)
class AreaTile:
    """One council area's square on the tile map, with where it sits and how dark it is drawn."""

    slug: str
    name: str
    code: str
    count: int
    x: int
    y: int
    shade: int  # 0 for none, then 1 (fewest) to 4 (most): the count is always written too


@dataclass(frozen=True)
class AreaMap:
    """The 14 council areas as a tile map, laid out for an SVG."""

    size: int
    tile: int
    tiles: list[AreaTile]

    @property
    def codes(self) -> dict[str, str]:
        """Each council area's code on the map, by its slug."""
        return {tile.slug: tile.code for tile in self.tiles}


# Each council area's place on a 5 by 5 grid, roughly as they lie (north at the top), and its
# three-letter code, short enough to read on a tile at 320 px. The table beside the map names them in full.
TILE_LAYOUT = {
    "lancaster": ("LAN", 2, 0),
    "wyre": ("WYR", 1, 1), "ribble-valley": ("RIB", 3, 1), "pendle": ("PEN", 4, 1),
    "blackpool": ("BPL", 0, 2), "fylde": ("FYL", 1, 2), "preston": ("PRE", 2, 2), "hyndburn": ("HYN", 3, 2),
    "burnley": ("BUR", 4, 2),
    "south-ribble": ("SRI", 2, 3), "blackburn-with-darwen": ("BWD", 3, 3), "rossendale": ("ROS", 4, 3),
    "west-lancashire": ("WLA", 1, 4), "chorley": ("CHO", 2, 4),
}
TILE, GAP, GRID = 100, 6, 5


def initials(name: str) -> str:
    """Up to two letters standing for an organisation, for a card without a logo ("Acme Bakery" -> "AB")."""
    words = re.findall(r"[^\W_]+", name or "")
    significant = [word for word in words if word.casefold() not in _SKIP_WORDS] or words
    return "".join(word[0] for word in significant[:2]).upper() or "?"


def tone(slug: str) -> int:
    """A stable colour number for an initials avatar, so a card looks the same on every visit."""
    return sum((slug or "").encode()) % AVATAR_TONES


def to_public(row, hold_unreviewed: bool) -> PublicPledge:
    """The public view of a pledge (a Pledge or a row of its columns).

    With pre-moderation, a statement or logo changed since staff last approved it waits
    (`hold_unreviewed`) and the pledge shows without it.
    """
    held = hold_unreviewed and row.needs_review
    return PublicPledge(
        slug=row.slug,
        name=without_invisibles(row.organisation_name),
        org_type=row.org_type,
        org_type_name=ORG_TYPES.get(row.org_type, row.org_type),
        size=row.size,
        size_name=ORG_SIZES.get(row.size, row.size),
        sector=row.sector,
        sector_name=SECTORS.get(row.sector, row.sector),
        area=row.area,
        area_name=area_name(row.area),
        commitments=[(key, label) for key, label in COMMITMENTS.items() if getattr(row, f"commit_{key}")],
        statement=None if held else without_invisibles(row.statement),
        website=without_invisibles(row.website),
        logo_id=None if held else row.logo_id,
        logo_token=None if held else row.logo_token,
        live_at=row.live_at,
        initials=initials(without_invisibles(row.organisation_name)),
        tone=tone(row.slug),
        demo=bool(row.is_demo),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(query: WallQuery) -> list:
    conditions = [Pledge.status == "live"]
    if query.q:
        key = name_key(query.q)
        # A search of only punctuation matches nothing, rather than everything.
        conditions.append(Pledge.name_key.like(f"%{_escape_like(key)}%", escape="\\") if key else false())
    if query.area:
        conditions.append(Pledge.area == query.area)
    if query.sector:
        conditions.append(Pledge.sector == query.sector)
    if query.size:
        conditions.append(Pledge.size == query.size)
    if query.commitment in COMMITMENTS:
        conditions.append(getattr(Pledge, f"commit_{query.commitment}").is_(True))
    if query.reported:
        conditions.append(checkin_reports.reported_recently(utcnow()))
    return conditions


def search(session: Session, query: WallQuery, hold_unreviewed: bool) -> WallPage:
    """One page of live pledges matching the search and filters, newest first or A to Z."""
    conditions = _conditions(query)
    matching = session.scalar(select(func.count(Pledge.id)).where(*conditions)) or 0
    pages = max(1, -(-matching // PAGE_SIZE))
    if query.page > pages:
        return WallPage([], matching, query.page, pages)  # past the end: no offset beyond what the database can hold
    order = (Pledge.live_at.desc(), Pledge.id.desc()) if query.sort == "newest" else (Pledge.name_key, Pledge.id)
    rows = session.execute(
        select(*_COLUMNS).where(*conditions).order_by(*order).offset((query.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return WallPage([to_public(row, hold_unreviewed) for row in rows], matching, query.page, pages)


def live_total(session: Session) -> int:
    """How many pledges are live."""
    return computed.pledge_count(session)


def area_counts(session: Session) -> list[AreaCount]:
    """Live pledges in each council area, then elsewhere in the North West and elsewhere."""
    found = {
        area: (count, demo or 0)
        for area, count, demo in session.execute(
            select(Pledge.area, func.count(Pledge.id), func.sum(case((Pledge.is_demo.is_(True), 1), else_=0)))
            .where(Pledge.status == "live")
            .group_by(Pledge.area)
        )
    }
    return [AreaCount(slug, name, *found.get(slug, (0, 0))) for slug, name in AREAS.items()]


def area_map(counts: list[AreaCount]) -> AreaMap:
    """Lay out the 14 council areas' counts as a tile map, darker for more pledges."""
    most = max((count.count for count in counts if count.slug in TILE_LAYOUT), default=0) or 1
    tiles = []
    for count in counts:
        if count.slug not in TILE_LAYOUT:
            continue
        code, column, row = TILE_LAYOUT[count.slug]
        shade = 0 if count.count == 0 else max(1, -(-4 * count.count // most))
        tiles.append(AreaTile(count.slug, count.name, code, count.count, column * (TILE + GAP), row * (TILE + GAP), shade))
    return AreaMap(size=GRID * (TILE + GAP) - GAP, tile=TILE, tiles=tiles)


def organisation(session: Session, slug: str, hold_unreviewed: bool) -> PublicPledge | None:
    """A live pledge by its page address."""
    row = session.execute(select(*_COLUMNS).where(Pledge.slug == slug, Pledge.status == "live")).first()
    return to_public(row, hold_unreviewed) if row is not None else None


@dataclass(frozen=True)
class WallSummary:
    """The home page's view of the wall: how many pledges are live, the newest few, and whether any are demo."""

    total: int
    newest: list[PublicPledge]
    demo: bool


def summary(session: Session, hold_unreviewed: bool, newest: int = 5) -> WallSummary:
    """The live count and the newest pledges, for the home page."""
    return WallSummary(live_total(session), latest(session, hold_unreviewed, newest), has_demo(session))


def has_demo(session: Session) -> bool:
    """Whether any live pledge is demo data, so the wall can say so."""
    return session.scalar(select(Pledge.id).where(Pledge.status == "live", Pledge.is_demo.is_(True)).limit(1)) is not None


def latest(session: Session, hold_unreviewed: bool, limit: int = 6) -> list[PublicPledge]:
    """The most recent live pledges, for the home page."""
    rows = session.execute(
        select(*_COLUMNS).where(Pledge.status == "live").order_by(Pledge.live_at.desc(), Pledge.id.desc()).limit(limit)
    )
    return [to_public(row, hold_unreviewed) for row in rows]


# Open data


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will show as text: anything that could start a formula gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def open_records(session: Session, hold_unreviewed: bool) -> list[dict]:
    """Every live pledge's public fields, A to Z, as the CSV and JSON give them."""
    rows = session.execute(
        select(*_COLUMNS).where(Pledge.status == "live").order_by(Pledge.name_key, Pledge.id)
    )
    url = url_builder()
    reported = checkin_reports.open_data(session)
    records = []
    for row in rows:
        pledge = to_public(row, hold_unreviewed)
        records.append(
            {
                "organisation": pledge.name,
                "page_url": url("pledges.organisation", slug=pledge.slug),
                "organisation_type": pledge.org_type_name,
                "size": pledge.size_name,
                "sector": pledge.sector_name,
                "area": pledge.area_name,
                "area_code": pledge.area,
                "commitments": [key for key, _ in pledge.commitments],
                "statement": pledge.statement,
                "website": pledge.website,
                "logo_url": url("public.image", token=pledge.logo_token) if pledge.logo_token else None,
                "pledged_on": pledge.live_at.date().isoformat(),
                "reports": reported.get(row.id, []),  # approved yearly check-ins: self-reported, not audited
            }
        )
    return records


def csv_text(records: list[dict]) -> str:
    """The records as CSV, one row per pledge, with formula-like cells escaped."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for record in records:
        chosen = set(record["commitments"])
        values = [
            record["organisation"], record["page_url"], record["organisation_type"], record["size"],
            record["sector"], record["area"], record["area_code"],
            *["yes" if key in chosen else "no" for key in COMMITMENTS],
            record["statement"], record["website"], record["logo_url"], record["pledged_on"],
            *checkin_reports.csv_values(record["reports"]),
        ]
        writer.writerow([safe_cell(value) for value in values])
    return output.getvalue()


def figures_document(session: Session, now: datetime) -> dict:
    """The headline figures, each with its source and date, and the live pledge counts."""
    counts = area_counts(session)
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "figures": [
            {
                "slug": item.slug,
                "label": item.label,
                "value": item.value,
                "unit": item.unit,
                "unit_note": {"pounds": "pence", "percent": "hundredths of a per cent", "count": "count"}.get(item.unit),
                "text": item.text,
                "period": item.period,
                "source": item.source_text,
                "source_url": item.source_url,
                "as_of": item.as_of.isoformat() if item.as_of else None,
                "computed": item.computed,
                "demo": item.is_demo,
            }
            for item in headline.headline(session)
        ],
        "pledges": {
            "live": sum(count.count for count in counts),
            "source": "Backing Lancashire pledge wall",
            "as_of": now.isoformat(timespec="seconds"),
            "by_area": [{"area": count.name, "area_code": count.slug, "count": count.count} for count in counts],
        },
    }
