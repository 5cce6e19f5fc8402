"""Published content for the public pages: case studies, quotes and the spend charts."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.formatting import pounds
from campaign.models import CaseStudy, FinancialYear, Quote
from campaign.services.content import markdown


def published_case_studies(session: Session) -> list[CaseStudy]:
    """Published case studies, in the order staff set."""
    return list(
        session.scalars(
            select(CaseStudy)
            .where(CaseStudy.status == "published")
            .order_by(CaseStudy.position, CaseStudy.published_at.desc())
        ).unique()
    )


def published_case_study(session: Session, slug: str) -> CaseStudy | None:
    """One published case study by its slug, or None."""
    return session.scalars(
        select(CaseStudy).where(CaseStudy.slug == slug, CaseStudy.status == "published")
    ).unique().one_or_none()


def case_study_body(study: CaseStudy) -> Markup:
    """A case study's Markdown as safe HTML."""
    return markdown.render(study.body_markdown)


def supplier_quotes(session: Session) -> list[Quote]:
    """Published quotes from suppliers, for the home page."""
    return list(
        session.scalars(
            select(Quote).where(Quote.published.is_(True), Quote.is_supplier.is_(True)).order_by(Quote.position)
        )
    )


# The measures the spend table and charts show, each with its own chart: two measures are never one series.
SPEND_MEASURES = (
    ("total_spend_pence", "All supplier spend", "Every supplier, wherever it is based."),
    ("lancashire_spend_pence", "Spent in Lancashire", "Spend with suppliers in Lancashire only."),
)


@dataclass(frozen=True)
class Bar:
    """One year's bar: its amount in words, and its length as a share of the chart's longest bar (0 to 100)."""

    label: str
    value_text: str
    length: float


@dataclass(frozen=True)
class Chart:
    """One measure's amounts year by year, drawn by the template as an HTML list with SVG bars."""

    measure: str
    title: str
    note: str
    bars: list[Bar]


def spend_charts(years: list[FinancialYear]) -> list[Chart]:
    """One chart per measure that has any amounts, each with only the years a source gives."""
    charts = []
    for measure, title, note in SPEND_MEASURES:
        known = [(year, getattr(year, measure)) for year in years if getattr(year, measure) is not None]
        if not known:
            continue
        top = max(amount for _, amount in known) or 1
        bars = [
            Bar(
                label=year.label,
                value_text=("about " if year.is_approximate else "") + pounds(amount),
                # Every bar starts at zero, so lengths compare amounts fairly; a tiny amount still shows a sliver.
                length=max(round(100 * amount / top, 1), 0.5),
            )
            for year, amount in known
        ]
        charts.append(Chart(measure, title, note, bars))
    return charts
