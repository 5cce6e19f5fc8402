"""Whose payments a spend file holds: the campaign's own body, and others imported for comparison."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import PublishingBody
from campaign.services.slugs import slugify
from campaign.services.spend.staging import SpendImportError

# The campaign's own body, as the migration creates it: only its payments count toward the figures.
OWN_SLUG = "lancashire-opcc-and-constabulary"
OWN_NAME = "The OPCC and Lancashire Constabulary"


def own_body(session: Session) -> PublishingBody:
    """The campaign's own publishing body, added if a fresh database does not have it yet."""
    body = session.scalar(select(PublishingBody).where(PublishingBody.is_own.is_(True)).order_by(PublishingBody.id))
    if body is None:
        body = PublishingBody(slug=OWN_SLUG, name=OWN_NAME, is_own=True)
        session.add(body)
        session.flush()
    return body


def all_bodies(session: Session) -> list[PublishingBody]:
    """Every publishing body, the campaign's own first."""
    own_body(session)
    return list(session.scalars(select(PublishingBody).order_by(PublishingBody.is_own.desc(), PublishingBody.name)))


def find_or_add(session: Session, name_or_slug: str | None) -> PublishingBody:
    """The body with this slug or name (the campaign's own when empty); a new name adds a comparison body."""
    text = " ".join((name_or_slug or "").split())
    if not text:
        return own_body(session)
    if len(text) > 200:
        raise SpendImportError("Enter the publishing body's name in 200 characters or fewer")
    own_body(session)
    slug = slugify(text)[:80]
    if not slug:
        raise SpendImportError("Enter the publishing body's name, like Lancashire County Council")
    body = session.scalar(select(PublishingBody).where(PublishingBody.slug == slug))
    if body is None:
        body = PublishingBody(slug=slug, name=text, is_own=False)
        session.add(body)
        session.flush()
    return body
