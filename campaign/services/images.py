"""Uploaded images: verified, size-capped, stripped of metadata and re-encoded with Pillow."""

from __future__ import annotations

import hashlib
import io
import warnings

from PIL import Image, UnidentifiedImageError
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from campaign.models import CaseStudy, Pledge, StoredImage

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MAX_BYTES = 5 * 1024 * 1024  # 5 MB upload
MAX_PIXELS = 40_000_000  # refuse decompression bombs well before they can fill memory
MAX_SIDE = 1600  # stored images are scaled down to this on their longest side


class ImageError(ValueError):
    """The upload is not an image we accept; the message tells the person what to do."""


def verify_and_store(data: bytes, max_side: int = MAX_SIDE) -> StoredImage:
    """Check an upload really is a PNG, JPEG or WebP, then re-encode it so nothing hidden survives.

    SVG and every other format are refused, whatever the file name or declared type says.
    """
    if not data:
        raise ImageError("The selected file is empty")
    if len(data) > MAX_BYTES:
        raise ImageError("The selected file must be smaller than 5MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                width, height = probe.size
                if image_format not in ALLOWED_FORMATS:
                    raise ImageError("The selected file must be a PNG, JPG or WebP image")
                if width * height > MAX_PIXELS:
                    raise ImageError("The selected image is too large: use one under 40 megapixels")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = _normalise(image, max_side)
    except ImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("The selected file must be a PNG, JPG or WebP image") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise ImageError("The selected image could not be read: it may be damaged") from None

    output = io.BytesIO()
    if image_format == "JPEG":
        image.convert("RGB").save(output, "JPEG", quality=85, optimize=True)
    elif image_format == "WEBP":
        image.save(output, "WEBP", quality=85)
    else:
        image.save(output, "PNG", optimize=True)
    encoded = output.getvalue()
    return StoredImage(
        sha256=hashlib.sha256(encoded).hexdigest(),
        mime_type=ALLOWED_FORMATS[image_format],
        width=image.width,
        height=image.height,
        data=encoded,
    )


def by_token(session: Session, token: str) -> StoredImage | None:
    """The image at /images/<token>, if there is one."""
    if len(token) > 32:
        return None
    return session.scalar(select(StoredImage).where(StoredImage.token == token))


def is_public(session: Session, image: StoredImage, hold_unreviewed: bool) -> bool:
    """Whether a public page shows this image: a live pledge's approved logo, or a published case study's picture."""
    logo = select(Pledge.id).where(Pledge.logo_id == image.id, Pledge.status == "live")
    if hold_unreviewed:
        logo = logo.where(Pledge.needs_review.is_(False))
    picture = select(CaseStudy.id).where(CaseStudy.image_id == image.id, CaseStudy.status == "published")
    return bool(session.scalar(select(exists(logo) | exists(picture))))


def _normalise(image: Image.Image, max_side: int) -> Image.Image:
    """Keep only the pixels: the first frame, a web-safe mode, and no larger than needed."""
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "transparency" in image.info or image.mode in ("P", "PA") else "RGB")
    else:
        image = image.copy()
    image.thumbnail((max_side, max_side))
    image.info.clear()
    return image
