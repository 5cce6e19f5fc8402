"""Where an organisation is based: the areas it can choose, and the one its postcode gives."""

from __future__ import annotations

from dataclasses import dataclass

from campaign.services.geography import (
    COUNCIL_AREAS,
    INVALID_POSTCODE_MESSAGE,
    classify_postcode,
    council_area_name,
    normalise_postcode,
)

AREAS: dict[str, str] = {
    **dict(COUNCIL_AREAS),
    "north-west": "Elsewhere in the North West",
    "elsewhere": "Elsewhere",
}
COUNCIL_SLUGS = [slug for slug, _ in COUNCIL_AREAS]


@dataclass(frozen=True)
class AreaAnswer:
    """Where an organisation is based, worked out from its choice and postcode, or why we must ask."""

    area: str | None
    postcode: str | None
    error_field: str | None = None
    error: str | None = None


def area_name(slug: str) -> str:
    """The name of where an organisation is based."""
    return AREAS.get(slug, slug)


def resolve_area(area: str | None, postcode_text: str | None) -> AreaAnswer:
    """The area chosen, or the one the postcode gives when none was chosen; asks when the postcode cannot say."""
    postcode = None
    if (postcode_text or "").strip():
        postcode = normalise_postcode(postcode_text or "")
        if postcode is None:
            return AreaAnswer(None, None, "postcode", INVALID_POSTCODE_MESSAGE)
    if area:
        return AreaAnswer(area, postcode)
    if postcode is None:
        return AreaAnswer(None, None, "area", "Choose where your organisation is based, or enter its postcode")
    found = classify_postcode(postcode)
    district = postcode.split(" ", 1)[0]
    names = [council_area_name(slug) for slug in found.candidates]
    choices = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)
    if found.location == "lancashire":
        if found.needs_confirmation or found.council_area is None:
            return AreaAnswer(
                None, postcode, "area",
                f"Postcodes starting {district} are in more than one council area: choose where your "
                f"organisation is based{' (' + choices + ')' if choices else ''}",
            )
        return AreaAnswer(found.council_area, postcode)
    if found.location == "north_west":
        if found.needs_confirmation and names:
            return AreaAnswer(
                None, postcode, "area",
                f"Postcodes starting {district} are partly in Lancashire ({choices}): choose where your "
                "organisation is based",
            )
        return AreaAnswer("north-west", postcode)
    return AreaAnswer("elsewhere", postcode)
