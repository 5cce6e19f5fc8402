"""Issue 12: /pledges shows a tile map of the 14 council areas beside its table, and folds its filters."""

from __future__ import annotations

import re
from pathlib import Path

from campaign.services.pledges import wall
from campaign.services.pledges.areas import COUNCIL_SLUGS
from tests.pages import text_of
from tests.test_pledge_helpers import live
from tests.test_social_helpers import make_pledge

CSS = Path(__file__).resolve().parents[1] / "campaign" / "static" / "css" / "wall.css"


def test_every_council_area_has_one_place_and_code():
    assert sorted(wall.TILE_LAYOUT) == sorted(COUNCIL_SLUGS) and len(COUNCIL_SLUGS) == 14
    places = [(column, row) for _, column, row in wall.TILE_LAYOUT.values()]
    codes = [code for code, _, _ in wall.TILE_LAYOUT.values()]
    assert len(set(places)) == 14 and len(set(codes)) == 14
    assert all(0 <= column < wall.GRID and 0 <= row < wall.GRID for column, row in places)


def test_shades_grow_with_the_count_and_none_is_its_own():
    counts = [wall.AreaCount(slug, slug, number) for number, slug in enumerate(COUNCIL_SLUGS)]
    shades = {tile.slug: tile.shade for tile in wall.area_map(counts).tiles}
    assert shades[COUNCIL_SLUGS[0]] == 0 and shades[COUNCIL_SLUGS[-1]] == 4
    ordered = [shades[slug] for slug in COUNCIL_SLUGS]
    assert ordered == sorted(ordered) and min(ordered[1:]) == 1


def test_the_links_over_the_tiles_sit_where_the_tiles_are_drawn():
    css = CSS.read_text()
    size = wall.GRID * (wall.TILE + wall.GAP) - wall.GAP
    for slug, (_, column, row) in wall.TILE_LAYOUT.items():
        match = re.search(rf"\.tile-map__link--{slug} {{ left: ([\d.]+)%; top: ([\d.]+)%; }}", css)
        assert match, slug
        assert abs(float(match[1]) - 100 * column * (wall.TILE + wall.GAP) / size) < 0.01
        assert abs(float(match[2]) - 100 * row * (wall.TILE + wall.GAP) / size) < 0.01
    assert f"width: {100 * wall.TILE / size:.3f}%" in css


def test_the_map_shows_counts_links_each_area_and_has_a_short_name(client, db):
    live(db)  # Pendle
    live(db, organisation_name="Another", contact_email="b@example.com", postcode="PR1 2AB", area="pendle")
    soup = client.get_page("pledges.wall")
    svg = soup.find("svg", class_="tile-map__svg")
    assert svg["role"] == "img" and len(text_of(svg.find("title"))) < 100
    tiles = svg.find_all("g", class_="tile-map__tile")
    assert len(tiles) == 14
    pendle = next(tile for tile in tiles if "PEN" in tile.get_text())
    assert "tile-map__tile--4" in pendle["class"] and pendle.find(class_="tile-map__count").get_text() == "2"
    empty = next(tile for tile in tiles if "PRE" in tile.get_text())
    assert "tile-map__tile--0" in empty["class"] and empty.find(class_="tile-map__count").get_text() == "0"
    # Nothing focusable inside the picture (an image's children are presentational).
    assert not svg.find("a")
    overlay = soup.find("ul", class_="tile-map__links")
    assert overlay["aria-hidden"] == "true"
    links = overlay.find_all("a")
    assert len(links) == 14 and all(link["tabindex"] == "-1" for link in links)
    assert soup.find("a", class_="tile-map__link--pendle")["href"] == "/pledges?area=pendle"
    # Keyboards and screen readers get the same links, and the numbers, once, in the table.
    table_links = {a["href"] for a in soup.select(".area-layout table tbody a")}
    assert {link["href"] for link in links} <= table_links
    assert "Darker squares have more; dashed squares have none" in text_of(soup.find("figcaption"))


def test_filters_fold_unless_a_search_shows_or_needs_correcting(client, db):
    make_pledge(db)
    folded = client.get_page("pledges.wall").find("details", attrs={"data-wall-filters": True})
    assert not folded.has_attr("open") and folded.find("summary") and folded.find("form")
    filtered = client.get_page("pledges.wall", query={"area": "elsewhere"})
    assert filtered.find("details", attrs={"data-wall-filters": True}).has_attr("open")
    errored = client.get_page("pledges.wall", status=400, query={"q": "x" * 101})
    assert errored.find("details", attrs={"data-wall-filters": True}).has_attr("open")


def test_the_wall_says_when_demo_pledges_are_on_it(client, db):
    make_pledge(db)
    assert "Demo data" not in text_of(client.get_page("pledges.wall"))
    make_pledge(db, name="Demo Bakery 1 (demo)", slug="demo-bakery-1-demo", is_demo=True)
    assert "Demo data" in text_of(client.get_page("pledges.wall"))
    assert "Demo data" in text_of(client.get_page("pledges.organisation", slug="demo-bakery-1-demo"))
    assert "Demo data" not in text_of(client.get_page("pledges.organisation", slug="acme-bakery-ltd"))
