"""Staff changes to case studies and quotes: drafts, publishing, and images kept in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import CaseStudy, Pledge, Quote, StaffUser, StoredImage
from campaign.models.common import utcnow
from campaign.services import audit, images
from campaign.services.slugs import unique_slug
from campaign.services.validation import FieldError, rolls_back_on_error

CASE_STUDY_FIELDS = [
    "title", "summary", "body_markdown", "key_figure", "key_figure_label", "source_text", "source_url",
    "source_date", "image_alt", "position",
]
QUOTE_FIELDS = [
    "text", "attribution", "attribution_role", "is_supplier", "source_text", "source_url", "source_date",
    "case_study_id", "position",
]


def all_case_studies(session: Session) -> list[CaseStudy]:
    """Every case study, drafts included, in the public order."""
    return list(session.scalars(select(CaseStudy).order_by(CaseStudy.position, CaseStudy.title)).unique())


def all_quotes(session: Session) -> list[Quote]:
    """Every quote, hidden ones included, in the public order."""
    return list(session.scalars(select(Quote).order_by(Quote.position, Quote.id)))


def _store_image(session: Session, image_data: bytes | None) -> StoredImage | None:
    """Verify and keep an uploaded image; a bad file becomes a message for the image field."""
    if not image_data:
        return None
    try:
        stored = images.verify_and_store(image_data)
    except images.ImageError as error:
        raise FieldError("image", str(error)) from None
    session.add(stored)
    session.flush()
    return stored


def _drop_image_if_unused(session: Session, image_id: int | None) -> None:
    """Delete an image nothing shows any more, so replaced uploads do not pile up."""
    if image_id is None:
        return
    session.flush()
    in_use = session.scalar(select(func.count(CaseStudy.id)).where(CaseStudy.image_id == image_id)) or 0
    in_use += session.scalar(select(func.count(Pledge.id)).where(Pledge.logo_id == image_id)) or 0
    if not in_use:
        image = session.get(StoredImage, image_id)
        if image is not None:
            session.delete(image)


def _apply_case_study(
    session: Session, study: CaseStudy, values: dict[str, Any], image_data: bytes | None, remove_image: bool
) -> int | None:
    """Copy the form's values onto a case study; returns the id of an image it no longer uses."""
    alt = (values.get("image_alt") or "").strip() or None
    has_image = bool(image_data) or (study.image_id is not None and not remove_image)
    if has_image and alt is None:
        raise FieldError("image_alt", "Enter alt text that describes the image for people who cannot see it")
    old_image_id = study.image_id
    stored = _store_image(session, image_data)
    for key in CASE_STUDY_FIELDS:
        setattr(study, key, values.get(key))
    study.key_figure = study.key_figure or None
    study.key_figure_label = study.key_figure_label or None
    study.source_text = study.source_text or ""
    study.body_markdown = study.body_markdown or ""
    study.position = study.position or 0
    if stored is not None:
        study.image_id = stored.id
    elif remove_image:
        study.image_id = None
    study.image_alt = alt if study.image_id is not None else None
    return old_image_id if old_image_id != study.image_id else None


@rolls_back_on_error
def create_case_study(
    session: Session, values: dict[str, Any], image_data: bytes | None, actor: StaffUser | None
) -> CaseStudy:
    """Add a case study as a draft."""
    study = CaseStudy(
        slug=unique_slug(session, CaseStudy.slug, values.get("title") or "case-study", max_length=120),
        status="draft",
    )
    _apply_case_study(session, study, values, image_data, remove_image=False)
    session.add(study)
    session.flush()
    audit.record(
        session, actor, "create", "case_study", study.id, f"Added case study: {study.title}"[:300],
        after=audit.snapshot(study),
    )
    session.commit()
    return study


@rolls_back_on_error
def update_case_study(
    session: Session,
    study: CaseStudy,
    values: dict[str, Any],
    image_data: bytes | None,
    remove_image: bool,
    actor: StaffUser | None,
) -> None:
    """Change a case study; a published one changes on the public pages at once."""
    before = audit.snapshot(study)
    unused = _apply_case_study(session, study, values, image_data, remove_image)
    session.flush()
    _drop_image_if_unused(session, unused)
    audit.record(
        session, actor, "update", "case_study", study.id, f"Changed case study: {study.title}"[:300],
        before=before, after=audit.snapshot(study),
    )
    session.commit()


@rolls_back_on_error
def set_case_study_published(session: Session, study: CaseStudy, published: bool, actor: StaffUser | None) -> None:
    """Publish a case study on the public pages, or take it back to draft."""
    status = "published" if published else "draft"
    if study.status == status:
        return
    before = audit.snapshot(study, ["status", "published_at"])
    study.status = status
    if published and study.published_at is None:
        study.published_at = utcnow()
    audit.record(
        session, actor, "publish" if published else "unpublish", "case_study", study.id,
        f"{'Published' if published else 'Unpublished'} case study: {study.title}"[:300],
        before=before, after=audit.snapshot(study, ["status", "published_at"]),
    )
    session.commit()


def case_study_values(study: CaseStudy) -> dict[str, Any]:
    """A case study's editable values, to fill the form."""
    return {key: getattr(study, key) for key in CASE_STUDY_FIELDS}


def _clean_quote(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Check a quote's case study exists and fill in empty values."""
    cleaned = {key: values.get(key) for key in QUOTE_FIELDS}
    if cleaned["case_study_id"] is not None and session.get(CaseStudy, cleaned["case_study_id"]) is None:
        raise FieldError("case_study_id", "Select a case study from the list")
    cleaned["attribution_role"] = cleaned["attribution_role"] or None
    cleaned["source_url"] = cleaned["source_url"] or None
    cleaned["is_supplier"] = bool(cleaned["is_supplier"])
    cleaned["position"] = cleaned["position"] or 0
    return cleaned


@rolls_back_on_error
def create_quote(session: Session, values: dict[str, Any], actor: StaffUser | None) -> Quote:
    """Add a quote, hidden until staff publish it."""
    cleaned = _clean_quote(session, values)
    quote = Quote(
        slug=unique_slug(session, Quote.slug, f"{cleaned['attribution']} {cleaned['text'][:60]}", max_length=120),
        published=False,
        **cleaned,
    )
    session.add(quote)
    session.flush()
    audit.record(
        session, actor, "create", "quote", quote.id, f"Added quote from {quote.attribution}"[:300],
        after=audit.snapshot(quote),
    )
    session.commit()
    return quote


@rolls_back_on_error
def update_quote(session: Session, quote: Quote, values: dict[str, Any], actor: StaffUser | None) -> None:
    """Change a quote; a published one changes on the public pages at once."""
    cleaned = _clean_quote(session, values)
    before = audit.snapshot(quote)
    for key, value in cleaned.items():
        setattr(quote, key, value)
    session.flush()
    audit.record(
        session, actor, "update", "quote", quote.id, f"Changed quote from {quote.attribution}"[:300],
        before=before, after=audit.snapshot(quote),
    )
    session.commit()


@rolls_back_on_error
def set_quote_published(session: Session, quote: Quote, published: bool, actor: StaffUser | None) -> None:
    """Show a quote on the public pages, or hide it."""
    if quote.published == published:
        return
    quote.published = published
    audit.record(
        session, actor, "publish" if published else "unpublish", "quote", quote.id,
        f"{'Published' if published else 'Unpublished'} quote from {quote.attribution}"[:300],
        before={"published": not published}, after={"published": published},
    )
    session.commit()


def quote_values(quote: Quote) -> dict[str, Any]:
    """A quote's editable values, to fill the form."""
    return {key: getattr(quote, key) for key in QUOTE_FIELDS}
