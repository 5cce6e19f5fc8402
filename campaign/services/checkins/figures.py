"""The campaign's second set of figures: what organisations say they did, from approved check-ins only.

Each figure counts each organisation once (its latest approved report), names how many organisations
answered that question, and is labelled self-reported and not audited. These never mix with the
OPCC's own figures (services/figures), which come from published sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy.orm import Session

from campaign.services.checkins import reports

SOURCE = "Organisations' yearly check-ins on Backing Lancashire"


@dataclass(frozen=True)
class SelfReportedFigure:
    """One self-reported figure: its value as words, and how many organisations it rests on."""

    slug: str
    label: str
    value: int | float | None
    text: str
    organisations: int

    @property
    def note(self) -> str:
        """The label every self-reported figure carries."""
        noun = "organisation" if self.organisations == 1 else "organisations"
        return f"Self-reported by {self.organisations} {noun}, not audited"


@dataclass(frozen=True)
class SelfReported:
    """The self-reported figures, the number of organisations reporting, and the date of the latest report."""

    reporting: int
    figures: list[SelfReportedFigure]
    as_of: datetime | None
    source: str = SOURCE


def _percent(basis_points: float) -> str:
    return f"{basis_points / 100:.1f}%".replace(".0%", "%")


def self_reported(session: Session) -> SelfReported:
    """Figures from each live organisation's latest approved check-in."""
    latest = reports.latest_approved(session)
    shares = [report.local_share_bp for report in latest if report.local_share_bp is not None]
    jobs = [report.jobs_created for report in latest if report.jobs_created is not None]
    apprenticeships = [report.apprenticeships_created for report in latest if report.apprenticeships_created is not None]
    wage_answers = [report for report in latest if report.pays_real_living_wage is not None]
    living_wage = sum(1 for report in wage_answers if report.pays_real_living_wage)
    middle = median(shares) if shares else None
    figures = [
        SelfReportedFigure("reporting", "Organisations reporting", len(latest),
                           f"{len(latest):,} organisation{'s' if len(latest) != 1 else ''}", len(latest)),
        SelfReportedFigure("median-local-share", "Median share of supplier spend with Lancashire suppliers", middle,
                           _percent(middle) if middle is not None else "Not reported yet", len(shares)),
        SelfReportedFigure("jobs", "Jobs created in Lancashire", sum(jobs), f"{sum(jobs):,}", len(jobs)),
        SelfReportedFigure("apprenticeships", "Apprenticeships created in Lancashire", sum(apprenticeships),
                           f"{sum(apprenticeships):,}", len(apprenticeships)),
        SelfReportedFigure("living-wage", "Organisations paying the real Living Wage", living_wage,
                           f"{living_wage:,} of {len(wage_answers):,}", len(wage_answers)),
    ]
    as_of = max((report.submitted_at for report in latest if report.submitted_at), default=None)
    return SelfReported(reporting=len(latest), figures=figures, as_of=as_of)
