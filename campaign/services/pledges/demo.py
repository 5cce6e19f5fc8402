"""A demo wall for newcomers: made-up organisations, every one named and marked as demo data.

Each demo pledge has `is_demo` set, "(demo)" in its name, a statement saying it is made up, and a
slug starting DEMO_PREFIX, so `clear` removes exactly what `load` added and nothing else (not the
benchmark's demo rows, never a real pledge). The wall shows a banner while any demo pledge is live.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from campaign.models import Pledge
from campaign.models.pledges import COMMITMENTS, ORG_SIZES
from campaign.services.pledges.areas import AREAS
from campaign.services.pledges.common import name_key

DEMO_PREFIX = "demo-wall-"
STATEMENT = "Demo data: a made-up organisation, to show how the pledge wall looks. It has not signed the pledge."
# (kind of organisation, organisation type, sector): obviously made-up names are built from these.
KINDS = [
    ("Bakery", "business", "hospitality"), ("Builders", "business", "construction"),
    ("Printers", "business", "manufacturing"), ("Garage", "business", "transport"),
    ("Joinery", "business", "construction"), ("Florist", "business", "retail"),
    ("Engineering", "business", "manufacturing"), ("Tea Room", "business", "hospitality"),
    ("Care Services", "business", "health"), ("Cleaning Co", "business", "facilities"),
    ("Digital Studio", "business", "digital"), ("Community Trust", "charity", "community"),
    ("Youth Club", "charity", "community"), ("Farm", "business", "agriculture"),
    ("Training Centre", "business", "education"), ("Parish Council", "public", "public"),
]


def _commitments(number: int) -> dict[str, bool]:
    """A varied, never empty, set of commitments."""
    keys = list(COMMITMENTS)
    chosen = {keys[number % len(keys)]} | {key for index, key in enumerate(keys) if (number >> index) & 1}
    return {f"commit_{key}": key in chosen for key in keys}


def load(session: Session, now: datetime, count: int = 60) -> int:
    """Add up to `count` live demo pledges (those already there are kept); return how many were added."""
    existing = set(session.scalars(select(Pledge.slug).where(Pledge.slug.like(f"{DEMO_PREFIX}%"))))
    areas, sizes = list(AREAS), list(ORG_SIZES)
    added = 0
    for number in range(1, count + 1):
        kind, org_type, sector = KINDS[number % len(KINDS)]
        name = f"Demo {kind} {number} (demo)"
        slug = f"{DEMO_PREFIX}{number}"
        if slug in existing:
            continue
        # Most in the 14 council areas, a few elsewhere, as a real wall would be.
        session.add(
            Pledge(
                slug=slug, organisation_name=name, name_key=name_key(name), org_type=org_type,
                size=sizes[number % len(sizes)], sector=sector, area=areas[(number * 5) % len(areas)],
                statement=STATEMENT, consent_listed=True, welcome_on_x=False, status="live", is_demo=True,
                confirmed_at=now - timedelta(hours=number * 29), live_at=now - timedelta(hours=number * 29),
                **_commitments(number),
            )
        )
        added += 1
    session.commit()
    return added


def clear(session: Session) -> int:
    """Delete every pledge `load` added, and nothing else; return how many."""
    mine = (Pledge.is_demo.is_(True), Pledge.slug.like(f"{DEMO_PREFIX}%"))
    removed = session.scalar(select(func.count(Pledge.id)).where(*mine)) or 0
    session.execute(delete(Pledge).where(*mine))
    session.commit()
    return removed
