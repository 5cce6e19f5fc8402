"""Tests for postcode classification: Lancashire, the rest of the North West, or elsewhere."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

# Run as `.venv/bin/pytest --noconftest ...` the project root is not on
# sys.path (no conftest and no pythonpath setting), so add it before importing.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from campaign.services import geography  # noqa: E402
from campaign.services.geography import (  # noqa: E402
    COUNCIL_AREAS,
    Classification,
    classify_postcode,
    council_area_name,
    normalise_postcode,
    outward_code,
)

SLUGS = {slug for slug, _ in COUNCIL_AREAS}


def table_rows() -> list[dict[str, str]]:
    """The raw rows of the district table, read independently of the module."""
    with geography.DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------------------
# Council areas
# ---------------------------------------------------------------------------


def test_council_areas_are_the_fourteen_in_order() -> None:
    assert COUNCIL_AREAS == [
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


@pytest.mark.parametrize(("slug", "name"), COUNCIL_AREAS)
def test_council_area_name(slug: str, name: str) -> None:
    assert council_area_name(slug) == name


def test_council_area_name_unknown_slug() -> None:
    with pytest.raises(KeyError, match="sefton"):
        council_area_name("sefton")


# ---------------------------------------------------------------------------
# normalise_postcode and outward_code
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PR1 2AB", "PR1 2AB"),
        ("pr12ab", "PR1 2AB"),
        ("  pr1   2ab  ", "PR1 2AB"),
        ("PR1\u00a02AB", "PR1 2AB"),
        ("pr1-2ab", "PR1 2AB"),
        ("PR25 1AB", "PR25 1AB"),
        ("pr251ab", "PR25 1AB"),
        ("sw1a1aa", "SW1A 1AA"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("M1 1AE", "M1 1AE"),
        ("L40 2AB", "L40 2AB"),
        ("PR1", "PR1"),
        ("pr1", "PR1"),
        ("sw1a", "SW1A"),
        ("BB18", "BB18"),
    ],
)
def test_normalise_postcode_valid(text: str, expected: str) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "junk", "12345", "PR1 2A", "PR1 2ABC", "PR1 OAB", "QR1 2AB", "P", "PR", "PR123 4AB", "PR1 2AC", "£PR1"],
)
def test_normalise_postcode_invalid(text: str) -> None:
    assert normalise_postcode(text) is None


def test_outward_code() -> None:
    assert outward_code("pr1 2ab") == "PR1"
    assert outward_code("SW1A1AA") == "SW1A"
    assert outward_code("BB18") == "BB18"
    with pytest.raises(ValueError, match="Enter a real UK postcode, like PR1 2AB"):
        outward_code("nonsense")


# ---------------------------------------------------------------------------
# classify_postcode: the facts in the brief
# ---------------------------------------------------------------------------


def test_pr1_is_preston() -> None:
    result = classify_postcode("PR1 2AB")
    assert result.location == "lancashire"
    assert result.council_area == "preston"
    assert "preston" in result.candidates


@pytest.mark.parametrize("postcode", ["PR8 1AA", "PR8", "PR9 9AA", "pr9"])
def test_southport_is_north_west_not_lancashire(postcode: str) -> None:
    result = classify_postcode(postcode)
    assert result.location == "north_west"
    assert result.council_area is None
    assert "Southport" in result.reason and "Sefton" in result.reason


def test_pr9_flags_its_west_lancashire_edge() -> None:
    result = classify_postcode("PR9 8AA")
    assert result.needs_confirmation
    assert result.candidates == ("west-lancashire",)
    assert "Banks" in result.reason


@pytest.mark.parametrize("postcode", ["LA2 0AA", "LA6 1AA", "LA2", "LA6"])
def test_la2_and_la6_cross_the_county_line(postcode: str) -> None:
    result = classify_postcode(postcode)
    assert result.location == "lancashire"
    assert result.council_area == "lancaster"
    assert result.needs_confirmation


def test_bb1_spans_councils() -> None:
    result = classify_postcode("BB1 1AA")
    assert result.location == "lancashire"
    assert result.needs_confirmation
    assert result.council_area == "blackburn-with-darwen"
    assert set(result.candidates) == {"blackburn-with-darwen", "hyndburn", "ribble-valley"}


def test_fy8_is_fylde() -> None:
    assert classify_postcode("FY8 1LW") == Classification(
        location="lancashire",
        council_area="fylde",
        candidates=("fylde",),
        needs_confirmation=False,
        reason=classify_postcode("FY8").reason,
    )
    assert "Lytham" in classify_postcode("FY8").reason


def test_m1_is_north_west() -> None:
    result = classify_postcode("M1 1AE")
    assert result.location == "north_west"
    assert result.council_area is None
    assert result.candidates == ()
    assert not result.needs_confirmation


def test_sw1a_is_elsewhere() -> None:
    result = classify_postcode("SW1A 1AA")
    assert result.location == "elsewhere"
    assert result.council_area is None
    assert not result.needs_confirmation
    assert "SW1A" in result.reason


@pytest.mark.parametrize("text", ["junk", "", "12345", "PR1 OAB", "not a postcode at all"])
def test_junk_raises_a_friendly_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"^Enter a real UK postcode, like PR1 2AB$"):
        classify_postcode(text)


# ---------------------------------------------------------------------------
# classify_postcode: more of the table
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "location", "council", "flagged"),
    [
        ("BB3 1AA", "lancashire", "blackburn-with-darwen", False),
        ("BB4 5AA", "lancashire", "rossendale", False),
        ("BB7 2AA", "lancashire", "ribble-valley", False),
        ("BB9 7AA", "lancashire", "pendle", False),
        ("BB11 1AA", "lancashire", "burnley", False),
        ("BB5 1AA", "lancashire", "hyndburn", True),
        ("FY1 1AA", "lancashire", "blackpool", False),
        ("FY7 6AA", "lancashire", "wyre", False),
        ("FY5 1AA", "lancashire", "wyre", True),
        ("FY4 1AA", "lancashire", "blackpool", True),
        ("PR2 9AA", "lancashire", "preston", False),
        ("PR25 1AA", "lancashire", "south-ribble", False),
        ("PR6 0AA", "lancashire", "chorley", False),
        ("PR4 2AA", "lancashire", "fylde", True),
        ("LA1 1AA", "lancashire", "lancaster", False),
        ("LA4 5AA", "lancashire", "lancaster", False),
        ("WN8 6AA", "lancashire", "west-lancashire", False),
        ("L39 2AA", "lancashire", "west-lancashire", False),
        ("L40 2AA", "lancashire", "west-lancashire", True),
        ("OL13 9AA", "lancashire", "rossendale", True),
        ("LA9 4AA", "north_west", None, False),
        ("LA23 1AA", "north_west", None, False),
        ("L1 1AA", "north_west", None, False),
        ("WA1 1AA", "north_west", None, False),
        ("CA1 1AA", "north_west", None, False),
        ("CH1 1AA", "north_west", None, False),
        ("CW1 2AA", "north_west", None, False),
        ("SK1 1AA", "north_west", None, False),
        ("WN1 1AA", "north_west", None, False),
        ("BL1 1AA", "north_west", None, False),
        ("OL1 1AA", "north_west", None, False),
        ("BL0 0AA", "north_west", None, True),
        ("WN6 9AA", "north_west", None, True),
        ("OL12 8AA", "north_west", None, True),
        ("CH7 1AA", "elsewhere", None, False),
        ("SK17 6AA", "elsewhere", None, False),
        ("OL14 5AA", "elsewhere", None, True),
        ("BD23 1AA", "elsewhere", None, True),
        ("LS1 1AA", "elsewhere", None, False),
        ("EH1 1AA", "elsewhere", None, False),
    ],
)
def test_classify_examples(postcode: str, location: str, council: str | None, flagged: bool) -> None:
    result = classify_postcode(postcode)
    assert (result.location, result.council_area, result.needs_confirmation) == (location, council, flagged)
    assert result.reason.startswith(postcode.split()[0])


@pytest.mark.parametrize(
    ("postcode", "candidate"),
    [
        ("BL0 0AA", "rossendale"),
        ("BL6 7AA", "chorley"),
        ("BL7 0AA", "blackburn-with-darwen"),
        ("OL12 8AA", "rossendale"),
        ("L37 1AA", "west-lancashire"),
        ("WN6 9AA", "west-lancashire"),
    ],
)
def test_outside_districts_name_their_lancashire_edge(postcode: str, candidate: str) -> None:
    result = classify_postcode(postcode)
    assert result.location != "lancashire"
    assert result.needs_confirmation
    assert candidate in result.candidates


@pytest.mark.parametrize("postcode", ["BB13 1AA", "FY9 1AA", "PR10 1AA", "LA24 1AA"])
def test_unknown_districts_in_lancashire_areas_are_flagged(postcode: str) -> None:
    result = classify_postcode(postcode)
    assert result.needs_confirmation
    assert result.council_area is None
    assert "do not recognise" in result.reason


@pytest.mark.parametrize("postcode", ["BB0 1AA", "FY0 1AA", "PR0 1AA"])
def test_non_geographic_districts_ask_for_a_home_postcode(postcode: str) -> None:
    result = classify_postcode(postcode)
    assert result.needs_confirmation
    assert "Non-geographic" in result.reason


def test_outward_code_alone_classifies_like_a_full_postcode() -> None:
    assert classify_postcode("BB10") == classify_postcode("bb10 3aa")


# ---------------------------------------------------------------------------
# The data table itself
# ---------------------------------------------------------------------------


def test_table_has_every_bb_fy_la_pr_district() -> None:
    districts = {row["district"] for row in table_rows()}
    expected = (
        {f"BB{n}" for n in (*range(0, 13), 18)}
        | {f"FY{n}" for n in range(0, 9)}
        | {f"LA{n}" for n in range(1, 24)}
        | {f"PR{n}" for n in (*range(0, 10), 25, 26)}
    )
    assert expected <= districts


def test_table_covers_every_north_west_area() -> None:
    districts = {row["district"] for row in table_rows()}
    for area in ("BB", "BL", "FY", "LA", "PR", "OL", "WN", "L", "WA", "M", "CH", "CW", "CA", "SK"):
        assert f"{area}*" in districts, area


def test_table_rows_are_consistent() -> None:
    seen: set[str] = set()
    for row in table_rows():
        assert set(row) == {"district", "location", "council_areas", "straddles", "note"}
        assert row["district"] not in seen
        seen.add(row["district"])
        councils = [c for c in row["council_areas"].split(";") if c]
        assert row["location"] in ("lancashire", "north_west", "elsewhere")
        assert set(councils) <= SLUGS, row
        assert row["straddles"] in ("0", "1")
        assert row["note"], row
        if len(councils) > 1:
            assert row["straddles"] == "1", row
        if row["location"] == "lancashire" and not row["district"].endswith("*"):
            assert councils, row


def test_every_council_area_is_reachable() -> None:
    reachable = {
        c for row in table_rows() if row["location"] == "lancashire" for c in row["council_areas"].split(";") if c
    }
    assert reachable == SLUGS
    primary = {
        row["council_areas"].split(";")[0]
        for row in table_rows()
        if row["location"] == "lancashire" and row["council_areas"]
    }
    # Every council is the first suggestion for at least one district, so the
    # suggested council is never impossible to reach without confirmation.
    assert primary == SLUGS


def test_bad_table_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "postcode_districts.csv"
    bad.write_text("district,location,council_areas,straddles,note\nPR1,lancashire,sefton,0,Wrong\n", encoding="utf-8")
    monkeypatch.setattr(geography, "DATA_FILE", bad)
    geography._load_rules.cache_clear()
    try:
        with pytest.raises(ValueError, match="unknown council area sefton"):
            classify_postcode("PR1 1AA")
    finally:
        monkeypatch.undo()
        geography._load_rules.cache_clear()
    assert classify_postcode("PR1 1AA").council_area == "preston"
