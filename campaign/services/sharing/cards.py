"""Share cards: the 1200 × 630 PNG pictures that X, LinkedIn and others show with a shared link.

A card is drawn with Pillow from a small `CardSpec` (its words, and a logo's hash). Drawing is
deterministic, so the spec's hash names the picture: it is the card's ETag and the `v` in its
URL. A changed figure, pledge or case study makes a new hash, so the card is drawn again and
shared links pick up a new picture. Finished cards are kept in a small in-process cache that is
safe to lose: every instance can redraw any card from the database.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import CaseStudy, Pledge, StoredImage
from campaign.services.figures import headline as figures
from campaign.services.pledges.commitments import card_footer

WIDTH, HEIGHT = 1200, 630
ROSE = (165, 28, 48)  # #a51c30
ROSE_DARK = (125, 21, 36)  # #7d1524
GOLD = (242, 193, 78)  # #f2c14e
CREAM = (250, 246, 239)  # #faf6ef
INK = (27, 31, 36)  # #1b1f24
MUTED = (74, 80, 88)  # #4a5058
WHITE = (255, 255, 255)

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

# Part of every card's hash: bump it when the drawing changes, so every card is drawn anew.
DRAWING_VERSION = "2"

MARGIN = 64
BAR_HEIGHT = 118  # the rose-red band across the top
STRIPE = 10  # the gold line under it, as under the site's header
FOOTER_TOP = HEIGHT - 92
ELLIPSIS = "…"
CACHE_SIZE = 64  # finished cards kept per process (about 60 KB each)
CAMPAIGN_FOOTER = "Spend locally · Pay fairly · Create local jobs"
FOOTER_LEFT = 520  # right of the hashtag


@dataclass(frozen=True)
class CardSpec:
    """Everything a card shows. Two equal specs always draw the same picture."""

    kind: str  # "campaign", "organisation" or "case_study"
    kicker: str  # small words above the main line
    headline: str  # the figure, or the organisation's name
    body: str  # what the figure means
    alt: str  # the card described in words, for og:image:alt
    logo_id: int | None = None
    logo_sha256: str | None = None
    # Bottom right: the campaign's aims, or on an organisation's card only what it committed to.
    footer: str = CAMPAIGN_FOOTER

    @property
    def key(self) -> str:
        """A hash of the spec, the drawing version and the fonts: the picture's name."""
        fields = asdict(self)
        fields.pop("logo_id")  # the logo's content hash already names it
        fields.pop("alt")  # words about the picture, not in it
        blob = json.dumps([DRAWING_VERSION, _font_hash(), fields], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]


# --- what each card says ------------------------------------------------------------------------


def campaign_card(session: Session, headline: list[figures.DisplayFigure] | None = None) -> CardSpec:
    """The campaign's card, with its leading headline figure (or the pledge if none is published).

    A page that already has the headline figures passes them, so they are not worked out twice.
    """
    # A computed figure with no data yet reads "not known": the next one leads instead.
    headline = figures.headline(session) if headline is None else headline
    shown = [figure for figure in headline if figure.value is not None]
    if not shown:
        return CardSpec(
            kind="campaign",
            kicker="A campaign of the Police and Crime Commissioner for Lancashire",
            headline="Spend locally. Pay fairly. Create local jobs.",
            body="Sign the Backing Lancashire pledge for your organisation.",
            alt="Backing Lancashire: spend locally, pay fairly, create local jobs.",
        )
    leading = shown[0]
    headline = leading.text[:1].upper() + leading.text[1:]
    return CardSpec(
        kind="campaign",
        kicker=leading.period,
        headline=headline,
        body=leading.label,
        alt=f"Backing Lancashire: {headline} {leading.label} ({leading.period}).",
    )


def case_study_card(session: Session, slug: str) -> CardSpec | None:
    """A published case study's card, with its key figure where it has one."""
    study = (
        session.scalars(select(CaseStudy).where(CaseStudy.slug == slug, CaseStudy.status == "published"))
        .unique()
        .one_or_none()
    )
    if study is None:
        return None
    if study.key_figure:
        label = study.key_figure_label or study.title
        return CardSpec(
            kind="case_study",
            kicker=f"Case study: {study.title}",
            headline=study.key_figure,
            body=label,
            alt=f"Backing Lancashire case study, {study.title}: {study.key_figure} {label}",
        )
    return CardSpec(
        kind="case_study",
        kicker="Case study",
        headline=study.title,
        body=study.summary,
        alt=f"Backing Lancashire case study: {study.title}",
    )


def organisation_card(session: Session, slug: str, hold_unreviewed: bool = True) -> CardSpec | None:
    """A live pledge's card: "<Organisation> is Backing Lancashire", with its logo if it has one.

    With pre-moderation (`hold_unreviewed`), a logo staff have not yet seen is left off, as it is
    on the organisation's page.
    """
    pledge = session.scalars(select(Pledge).where(Pledge.slug == slug, Pledge.status == "live")).unique().one_or_none()
    if pledge is None or not pledge.organisation_name:
        return None
    logo = None if hold_unreviewed and pledge.needs_review else pledge.logo
    return CardSpec(
        kind="organisation",
        kicker="Signed the Backing Lancashire pledge",
        headline=pledge.organisation_name,
        body="is Backing Lancashire",
        alt=f"{pledge.organisation_name} is Backing Lancashire"
        + (", with the organisation's logo." if logo is not None else "."),
        logo_id=logo.id if logo is not None else None,
        logo_sha256=logo.sha256 if logo is not None else None,
        footer=card_footer(pledge.commitments),
    )


def load_logo(session: Session, spec: CardSpec) -> bytes | None:
    """The stored logo's bytes for a card, or None."""
    if spec.logo_id is None:
        return None
    return session.scalar(select(StoredImage.data).where(StoredImage.id == spec.logo_id))


# --- the cache ---------------------------------------------------------------------------------

_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()


def png(spec: CardSpec, logo: Callable[[], bytes | None] = lambda: None) -> bytes:
    """The card as PNG bytes, drawn now or taken from this process's cache."""
    key = spec.key
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    data = render(spec, logo())
    with _cache_lock:
        _cache[key] = data
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return data


def clear_cache() -> None:
    """Forget every finished card (they are redrawn on demand)."""
    with _cache_lock:
        _cache.clear()


# --- drawing -----------------------------------------------------------------------------------


@cache
def _font_hash() -> str:
    """A short hash of the shipped fonts, so a new font version redraws every card."""
    digest = hashlib.sha256()
    for path in (REGULAR, BOLD):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """The shipped font at a size (loaded once per process)."""
    return ImageFont.truetype(str(path), size)


def _width(font: ImageFont.FreeTypeFont, text: str) -> float:
    """How wide `text` draws in `font`, in pixels."""
    return font.getlength(text)


def _break_word(word: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Split a word too wide for a line into pieces that fit (for long names with no spaces)."""
    pieces, current = [], ""
    for char in word:
        if current and _width(font, current + char) > max_width:
            pieces.append(current)
            current = char
        else:
            current += char
    if current:
        pieces.append(current)
    return pieces


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Break text into lines no wider than `max_width`, breaking over-long words if need be."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _width(font, candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if _width(font, word) <= max_width:
            current = word
        else:
            *whole, current = _break_word(word, font, max_width)
            lines.extend(whole)
    if current:
        lines.append(current)
    return lines


def _with_ellipsis(line: str, font: ImageFont.FreeTypeFont, max_width: int) -> str:
    """End a line with "…", dropping characters until it fits."""
    # No line on a card holds 200 characters even at the smallest size; start there.
    line = line[:200].rstrip(" ,;:-–—")
    while line and _width(font, line + ELLIPSIS) > max_width:
        line = line[:-1].rstrip(" ,;:-–—")
    return line + ELLIPSIS


@dataclass(frozen=True)
class TextBlock:
    """Text fitted into a box: the font chosen, its lines and the height between them."""

    font: ImageFont.FreeTypeFont
    lines: list[str]
    line_height: int

    @property
    def height(self) -> int:
        """How tall the block draws."""
        return self.line_height * len(self.lines)


def fit(
    text: str,
    font_path: Path,
    max_width: int,
    max_height: int,
    largest: int,
    smallest: int,
    max_lines: int = 4,
    leading: float = 1.18,
) -> TextBlock:
    """Fit text in a box: the largest size at which it wraps within the box, else "…" at the smallest."""
    text = " ".join(text.split())
    size = largest
    while True:
        font = _font(font_path, size)
        line_height = round(size * leading)
        lines = wrap(text, font, max_width)
        room = min(max_lines, max(max_height // line_height, 1))
        if len(lines) <= room:
            return TextBlock(font, lines, line_height)
        if size <= smallest:
            # Put everything left over on the last line, then cut it back to fit with "…".
            kept = lines[: room - 1] + [" ".join(lines[room - 1 :])]
            kept[-1] = _with_ellipsis(kept[-1], font, max_width)
            return TextBlock(font, kept, line_height)
        size = max(smallest, size - max(2, size // 12))


def _draw_block(draw: ImageDraw.ImageDraw, block: TextBlock, x: int, y: int, fill: tuple) -> int:
    """Draw a fitted block with its top-left at (x, y); return the y just below it."""
    for line in block.lines:
        # Anchor "ls" puts the baseline at a fixed offset, so lines sit evenly whatever they hold.
        draw.text((x, y + round(block.line_height * 0.8)), line, font=block.font, fill=fill, anchor="ls")
        y += block.line_height
    return y


def _rose(size: int) -> Image.Image:
    """The campaign's rose mark (as in static/img/rose.svg), drawn large and scaled for smooth edges."""
    scale = 4
    canvas = Image.new("RGBA", (64 * scale, 64 * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)

    def circle(cx: float, cy: float, r: float, fill: tuple) -> None:
        draw.ellipse([(cx - r) * scale, (cy - r) * scale, (cx + r) * scale, (cy + r) * scale], fill=fill)

    circle(32, 32, 31, WHITE)
    circle(32, 32, 28.5, ROSE)
    for cx, cy in ((32, 16), (47, 27), (41, 45), (23, 45), (17, 27)):
        circle(cx, cy, 9, WHITE)
    circle(32, 31, 8, ROSE)
    circle(32, 31, 4, GOLD)
    return canvas.resize((size, size), Image.LANCZOS)


def _frame(kicker: str, footer: str = CAMPAIGN_FOOTER) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """The parts every card shares: the red band with the name, the gold line, the hashtag footer."""
    image = Image.new("RGB", (WIDTH, HEIGHT), CREAM)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH, BAR_HEIGHT], fill=ROSE)
    draw.rectangle([0, BAR_HEIGHT, WIDTH, BAR_HEIGHT + STRIPE], fill=GOLD)
    mark = _rose(76)
    image.paste(mark, (MARGIN, (BAR_HEIGHT - 76) // 2), mark)
    draw.text((MARGIN + 100, BAR_HEIGHT // 2), "Backing Lancashire", font=_font(BOLD, 50), fill=WHITE, anchor="lm")

    draw.rectangle([0, FOOTER_TOP, WIDTH, HEIGHT], fill=INK)
    draw.rectangle([0, FOOTER_TOP, 18, HEIGHT], fill=GOLD)
    draw.text((MARGIN, (FOOTER_TOP + HEIGHT) // 2), "#BackingLancashire", font=_font(BOLD, 36), fill=GOLD, anchor="lm")
    if footer:
        # Up to two lines, right-aligned, smaller for an organisation that ticked every commitment.
        block = fit(footer, REGULAR, WIDTH - MARGIN - FOOTER_LEFT, HEIGHT - FOOTER_TOP - 16, 24, 17, max_lines=2)
        y = (FOOTER_TOP + HEIGHT) // 2 - block.height // 2
        for line in block.lines:
            draw.text((WIDTH - MARGIN, y + round(block.line_height * 0.8)), line, font=block.font, fill=WHITE, anchor="rs")
            y += block.line_height
    if kicker:
        block = fit(kicker, BOLD, WIDTH - 2 * MARGIN, 40, 28, 22, max_lines=1)
        _draw_block(draw, block, MARGIN, BAR_HEIGHT + STRIPE + 26, MUTED)
    return image, draw


CONTENT_TOP = BAR_HEIGHT + STRIPE + 82  # below the kicker
CONTENT_BOTTOM = FOOTER_TOP - 30


def _figure_card(spec: CardSpec) -> Image.Image:
    """A big figure in rose red over what it means: the campaign and case study cards."""
    image, draw = _frame(spec.kicker, spec.footer)
    width = WIDTH - 2 * MARGIN
    space = CONTENT_BOTTOM - CONTENT_TOP
    figure = fit(spec.headline, BOLD, width, min(space - 60, 190), 150, 48, max_lines=2, leading=1.08)
    body = fit(spec.body, REGULAR, width, space - figure.height - 16, 40, 26, max_lines=4, leading=1.25)
    # Centre the pair in the space between the kicker and the footer.
    y = CONTENT_TOP + max(0, (space - figure.height - 16 - body.height) // 2)
    draw.rectangle([MARGIN - 24, y + 8, MARGIN - 14, y + figure.height - 8], fill=GOLD)
    y = _draw_block(draw, figure, MARGIN, y, ROSE)
    _draw_block(draw, body, MARGIN, y + 16, INK)
    return image


def _logo_image(data: bytes | None, box: int) -> Image.Image | None:
    """A stored logo scaled to fit a square box, or None if there is none or it cannot be read."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            logo = opened.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    logo.thumbnail((box, box), Image.LANCZOS)
    return logo


def _organisation_card(spec: CardSpec, logo_data: bytes | None) -> Image.Image:
    """ "<Organisation> is Backing Lancashire", with the logo on a white tile when there is one."""
    image, draw = _frame(spec.kicker, spec.footer)
    left = MARGIN
    space = CONTENT_BOTTOM - CONTENT_TOP
    logo = _logo_image(logo_data, 236)
    if logo is not None:
        tile = 270
        top = CONTENT_TOP + (space - tile) // 2
        draw.rounded_rectangle(
            [MARGIN, top, MARGIN + tile, top + tile], radius=16, fill=WHITE, outline=(185, 179, 168), width=2
        )
        image.paste(logo, (MARGIN + (tile - logo.width) // 2, top + (tile - logo.height) // 2), logo)
        left = MARGIN + tile + 48
    width = WIDTH - MARGIN - left
    tagline = fit(spec.body, BOLD, width, 70, 54, 40, max_lines=1)
    name = fit(spec.headline, BOLD, width, space - tagline.height - 12, 84, 36, max_lines=4, leading=1.12)
    y = CONTENT_TOP + max(0, (space - name.height - 12 - tagline.height) // 2)
    y = _draw_block(draw, name, left, y, INK)
    _draw_block(draw, tagline, left, y + 12, ROSE)
    return image


def render(spec: CardSpec, logo_data: bytes | None = None) -> bytes:
    """Draw a card and return it as PNG bytes (the same bytes every time for the same spec)."""
    image = _organisation_card(spec, logo_data) if spec.kind == "organisation" else _figure_card(spec)
    output = io.BytesIO()
    # zlib's default level: "optimize" would save a few kilobytes for four times the drawing time.
    image.save(output, "PNG", compress_level=6)
    return output.getvalue()
