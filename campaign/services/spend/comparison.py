"""Other publishing bodies' spend, worked out by the same method, for staff to compare: never the campaign's figures.

Imports can name another body (bodies.py); its approved imports are worked out here exactly as the
campaign's own are (coverage.compute), under the same scope rules and supplier register. These figures
are for staff only. They have no approval step of their own, and the register is built for the force's
suppliers, so another body's coverage is usually low: the public figures page never shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import PublishingBody, SpendImport
from campaign.services.spend import coverage


@dataclass(frozen=True)
class BodyFigures:
    """One other body's figures, newest year first, and how many of its imports wait for approval."""

    body: PublishingBody
    years: list[coverage.YearFigures]
    waiting: int


def other_bodies(session: Session) -> list[BodyFigures]:
    """Every body other than the campaign's own that has imports, with its figures from approved imports."""
    counts = dict(session.execute(
        select(SpendImport.body_id, func.count()).where(SpendImport.status == "draft").group_by(SpendImport.body_id)
    ).tuples().all())
    found = session.scalars(
        select(PublishingBody).where(
            PublishingBody.is_own.is_(False),
            PublishingBody.id.in_(select(SpendImport.body_id).where(SpendImport.status != "replaced")),
        ).order_by(PublishingBody.name)
    )
    result = []
    for body in found:
        years = coverage.compute(session, body_id=body.id)
        result.append(BodyFigures(body, [years[key] for key in sorted(years, reverse=True)], counts.get(body.id, 0)))
    return result
