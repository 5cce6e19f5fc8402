"""The "Show your support" badge: the same design as SVG and as PNG, and the HTML to embed it."""

from __future__ import annotations

import io
from functools import lru_cache
from html import escape

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 240, 80  # CSS pixels; the PNG is drawn at twice the size so it stays sharp
ROSE = (165, 28, 48)  # --rose: white text on it is 7:1
GOLD = (242, 193, 78)
WHITE = (255, 255, 255)


def lines(signed: str) -> tuple[str, str, str]:
    """The badge's three lines of text."""
    return ("We're backing", "LANCASHIRE", f"Pledge signed {signed}")


def reported_mark(year: int | None) -> str | None:
    """The "reported" mark for an organisation whose yearly check-in staff approved, or None."""
    return f"Reported {year}" if year else None


@lru_cache(maxsize=64)
def png(signed: str, reported: int | None = None) -> bytes:
    """The badge as a PNG, drawn with Pillow's built-in font (so no font files are needed)."""
    scale = 2
    image = Image.new("RGB", (WIDTH * scale, HEIGHT * scale), ROSE)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 10 * scale, HEIGHT * scale), fill=GOLD)
    top, middle, bottom = lines(signed)
    draw.text((22 * scale, 10 * scale), top, fill=WHITE, font=ImageFont.load_default(size=14 * scale))
    draw.text((22 * scale, 26 * scale), middle, fill=WHITE, font=ImageFont.load_default(size=24 * scale),
              stroke_width=1, stroke_fill=WHITE)
    draw.text((22 * scale, 56 * scale), bottom, fill=GOLD, font=ImageFont.load_default(size=12 * scale))
    mark = reported_mark(reported)
    if mark:
        draw.text(((WIDTH - 8) * scale, 10 * scale), mark, fill=GOLD, anchor="ra",
                  font=ImageFont.load_default(size=11 * scale))
    output = io.BytesIO()
    image.save(output, "PNG", optimize=True)
    return output.getvalue()


def snippet(page_url: str, image_url: str, organisation: str) -> str:
    """The HTML an organisation pastes into its own site: the badge, linking back to its pledge."""
    alt = f"{organisation} is backing Lancashire: read our pledge"
    return (
        f'<a href="{escape(page_url)}"><img src="{escape(image_url)}" alt="{escape(alt)}" '
        f'width="{WIDTH}" height="{HEIGHT}"></a>'
    )
