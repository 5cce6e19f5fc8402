"""Readable, unique URL slugs for rows staff create."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 80, fallback: str = "item") -> str:
    """Lower-case words joined by hyphens: "Hay for the Mounted Division!" -> "hay-for-the-mounted-division".

    Text with no letters or numbers in it gets `fallback`.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or fallback


def unique_slug(session: Session, column, text: str, max_length: int = 80, exclude_id: int | None = None) -> str:
    """A slug for `text` not yet used in `column`, adding -2, -3... when needed."""
    base = slugify(text, max_length - 4)
    model = column.class_
    taken = set(
        session.scalars(
            select(column).where(column.like(f"{base}%"), model.id != (exclude_id or 0))
        )
    )
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate
