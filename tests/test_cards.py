"""Share cards: 1200 × 630 PNGs drawn with Pillow, named by what they show, redrawn when that changes."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from campaign.models import CaseStudy, HeadlineFigure, StoredImage
from campaign.services.sharing import cards
from tests.test_social_helpers import make_pledge


def png_image(data: bytes) -> Image.Image:
    """Open PNG bytes, checking they really are a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    image.verify()
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def get_card(client, url: str, **headers):
    """Fetch a card and check it is a 1200 × 630 PNG."""
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    assert response.mimetype == "image/png"
    assert png_image(response.data).size == (1200, 630)
    return response


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts with nothing drawn."""
    cards.clear_cache()
    yield
    cards.clear_cache()


def test_campaign_card_shows_the_leading_figure_and_changes_with_it(client, seeded):
    first = get_card(client, "/cards/campaign.png")
    spec = cards.campaign_card(seeded.session)
    assert spec.headline == "£62m"
    assert first.headers["ETag"] == f'"{spec.key}"'

    figure = seeded.session.scalar(select(HeadlineFigure).where(HeadlineFigure.slug == "invested-since-2017"))
    figure.value = 75_000_000_00
    seeded.session.commit()
    second = get_card(client, "/cards/campaign.png")

    assert cards.campaign_card(seeded.session).headline == "£75m"
    assert second.headers["ETag"] != first.headers["ETag"]
    assert second.data != first.data


def test_campaign_card_without_figures_still_draws(client, db):
    response = get_card(client, "/cards/campaign.png")
    assert cards.campaign_card(db.session).headline.startswith("Spend locally")
    assert response.headers["ETag"]


def test_a_card_is_named_by_its_content_so_caches_can_keep_it(client, seeded):
    first = get_card(client, "/cards/campaign.png")
    etag = first.headers["ETag"]
    assert "max-age=600" in first.headers["Cache-Control"]

    unchanged = client.get("/cards/campaign.png", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""

    key = etag.strip('"')
    versioned = get_card(client, f"/cards/campaign.png?v={key}")
    assert "immutable" in versioned.headers["Cache-Control"]
    assert "max-age=31536000" in versioned.headers["Cache-Control"]
    # An out-of-date version gets today's card, but only briefly cached.
    stale = get_card(client, "/cards/campaign.png?v=0123456789")
    assert "immutable" not in stale.headers["Cache-Control"]


def test_drawing_is_deterministic_and_cached(seeded):
    spec = cards.campaign_card(seeded.session)
    assert cards.render(spec) == cards.render(spec)
    assert cards.png(spec) is cards.png(spec)  # the second comes from the cache


def test_case_study_card_has_its_key_figure(client, seeded):
    get_card(client, "/cards/case-studies/west-division-police-headquarters.png")
    spec = cards.case_study_card(seeded.session, "west-division-police-headquarters")
    assert spec.headline == "Over £6.3m"
    assert "West Division" in spec.alt and "£6.3m" in spec.alt

    study = seeded.session.scalar(select(CaseStudy).where(CaseStudy.slug == "west-division-police-headquarters"))
    before = spec.key
    study.key_figure = "Over £7m"
    seeded.session.commit()
    assert cards.case_study_card(seeded.session, study.slug).key != before


def test_case_study_without_a_figure_shows_its_title(client, seeded):
    get_card(client, "/cards/case-studies/hay-for-the-mounted-division.png")
    spec = cards.case_study_card(seeded.session, "hay-for-the-mounted-division")
    assert spec.headline == "Hay for the mounted division"


def test_unpublished_or_unknown_case_studies_have_no_card(client, seeded):
    study = seeded.session.scalar(select(CaseStudy).where(CaseStudy.slug == "hay-for-the-mounted-division"))
    study.status = "draft"
    seeded.session.commit()
    assert client.get("/cards/case-studies/hay-for-the-mounted-division.png").status_code == 404
    assert client.get("/cards/case-studies/no-such-study.png").status_code == 404


def _logo(colour=(20, 80, 160)) -> StoredImage:
    """A stored logo, as the upload check leaves it."""
    from campaign.services import images

    buffer = io.BytesIO()
    Image.new("RGB", (400, 200), colour).save(buffer, "PNG")
    return images.verify_and_store(buffer.getvalue())


def test_organisation_card_names_the_organisation_and_shows_its_logo(client, db):
    pledge = make_pledge(db)
    plain = get_card(client, "/cards/pledges/acme-bakery-ltd.png")
    spec = cards.organisation_card(db.session, "acme-bakery-ltd")
    assert spec.headline == "Acme Bakery Ltd" and spec.body == "is Backing Lancashire"
    assert spec.alt == "Acme Bakery Ltd is Backing Lancashire."

    pledge.logo = _logo()
    db.session.commit()
    with_logo = get_card(client, "/cards/pledges/acme-bakery-ltd.png")
    assert with_logo.headers["ETag"] != plain.headers["ETag"]
    image = png_image(with_logo.data).convert("RGB")
    # The logo's blue sits on its white tile at the left of the card.
    assert image.getpixel((64 + 135, 330)) == (20, 80, 160)
    assert "logo" in cards.organisation_card(db.session, "acme-bakery-ltd").alt


def test_a_logo_staff_have_not_seen_stays_off_the_card_with_pre_moderation(client, app, db):
    pledge = make_pledge(db)
    pledge.logo = _logo()
    pledge.needs_review = True
    db.session.commit()
    assert cards.organisation_card(db.session, pledge.slug, hold_unreviewed=True).logo_id is None
    assert cards.organisation_card(db.session, pledge.slug, hold_unreviewed=False).logo_id is not None
    image = png_image(get_card(client, "/cards/pledges/acme-bakery-ltd.png").data).convert("RGB")
    assert image.getpixel((64 + 135, 330)) != (20, 80, 160)


@pytest.mark.parametrize("status", ["pending", "confirmed", "hidden", "withdrawn"])
def test_only_live_pledges_have_a_card(client, db, status):
    make_pledge(db, status=status)
    assert client.get("/cards/pledges/acme-bakery-ltd.png").status_code == 404


def test_a_changed_name_redraws_the_card(db):
    pledge = make_pledge(db)
    before = cards.organisation_card(db.session, pledge.slug).key
    pledge.organisation_name = "Acme Bakery and Café Ltd"
    db.session.commit()
    assert cards.organisation_card(db.session, pledge.slug).key != before


LONG_NAMES = [
    "The Very Long Named Lancashire and North West Regional Community Interest Company of Builders, "
    "Plumbers, Electricians and Joiners Limited",
    "Supercalifragilisticexpialidocious" * 4,
    "W" * 200,
    "Ünïcödé Çafé & Søns — Ærø Bäckerei",
]


@pytest.mark.parametrize("name", LONG_NAMES)
@pytest.mark.parametrize("with_logo", [False, True])
def test_long_names_wrap_and_never_overflow(name, with_logo):
    logo = _logo_bytes() if with_logo else None
    spec = cards.CardSpec(
        kind="organisation",
        kicker="Signed the Backing Lancashire pledge",
        headline=name,
        body="is Backing Lancashire",
        alt="",
        logo_sha256="x" if with_logo else None,
    )
    image = png_image(cards.render(spec, logo)).convert("RGB")
    _assert_margins_clear(image)


@pytest.mark.parametrize(
    "headline, body",
    [
        ("£" + "9" * 60, "word " * 300),
        ("A case study title that goes on and on and on and never seems to end at all, really", "x" * 500),
    ],
)
def test_long_figures_and_labels_wrap_and_never_overflow(headline, body):
    spec = cards.CardSpec(
        kind="case_study", kicker="Case study: " + "Long title " * 30, headline=headline, body=body, alt=""
    )
    _assert_margins_clear(png_image(cards.render(spec)).convert("RGB"))


def _logo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 900), (20, 80, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def _assert_margins_clear(image: Image.Image) -> None:
    """Nothing is drawn in the right-hand margin or the gap above the footer: the text stayed inside."""
    right = image.crop((1200 - 40, cards.BAR_HEIGHT + cards.STRIPE + 1, 1200, cards.FOOTER_TOP))
    gap = image.crop((0, cards.CONTENT_BOTTOM + 4, 1200, cards.FOOTER_TOP))
    for region in (right, gap):
        colours = {colour for _, colour in region.getcolors(maxcolors=10_000)}
        assert colours == {cards.CREAM}, f"something was drawn outside the text area: {colours}"


def test_fit_shrinks_then_ends_with_an_ellipsis():
    block = cards.fit("Short", cards.BOLD, 1000, 200, 100, 40)
    assert block.lines == ["Short"] and block.font.size == 100
    long_text = "many words " * 100
    block = cards.fit(long_text, cards.REGULAR, 600, 150, 60, 30, max_lines=3)
    assert block.font.size == 30
    assert len(block.lines) <= 3 and block.lines[-1].endswith("…")
    assert block.height <= 150
    assert all(block.font.getlength(line) <= 600 for line in block.lines)


def test_cards_use_the_shipped_font():
    assert cards.REGULAR.is_file() and cards.BOLD.is_file()
    assert (cards.FONT_DIR / "LICENSE-DejaVu.txt").is_file()
    assert cards._font(cards.BOLD, 40).getname()[0] == "DejaVu Sans"


def test_a_figure_with_no_value_yet_does_not_lead_the_card(seeded):
    seeded.session.add(
        HeadlineFigure(
            slug="spend-2030",
            label="spent in 2030/31",
            unit="pounds",
            kind="computed",
            computation="spend_in_year",
            computation_param=2030,
            period="2030/31",
            source_text="Spend data",
            position=-1,
            published=True,
        )
    )
    seeded.session.commit()
    assert cards.campaign_card(seeded.session).headline == "£62m"
