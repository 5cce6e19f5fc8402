"""Published content for the public pages: case studies, quotes and the spend chart."""

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


@dataclass(frozen=True)
class Bar:
    """One bar of the spend chart, in chart units."""

    label: str
    series: str
    x: float
    y: float
    width: float
    height: float
    value_text: str


@dataclass(frozen=True)
class Chart:
    """A bar chart of spend by year, drawn as inline SVG by the template."""

    width: int
    height: int
    baseline: float
    bars: list[Bar]
    year_labels: list[tuple[float, str]]
    gridlines: list[tuple[float, str]]


def spend_chart(years: list[FinancialYear], width: int = 640, height: int = 320) -> Chart | None:
    """Lay out total and Lancashire spend per year as bars; years with no data get none."""
    known = [
        (year, series, amount)
        for year in years
        for series, amount in (("total", year.total_spend_pence), ("lancashire", year.lancashire_spend_pence))
        if amount is not None
    ]
    if not known:
        return None
    top = max(amount for _, _, amount in known)
    step = _nice_step(top)
    scale_top = step * -(-top // step)
    left, bottom, top_pad = 72.0, 40.0, 24.0
    plot_height = height - bottom - top_pad
    slot = (width - left - 8) / max(len(years), 1)
    bar_width = min(56.0, slot / 2.6)
    bars, labels = [], []
    for index, year in enumerate(years):
        slot_x = left + index * slot
        labels.append((slot_x + slot / 2, year.label))
        for offset, series, amount in (
            (-1, "total", year.total_spend_pence),
            (0, "lancashire", year.lancashire_spend_pence),
        ):
            if amount is None:
                continue
            bar_height = plot_height * amount / scale_top
            bars.append(
                Bar(
                    label=year.label,
                    series=series,
                    x=round(slot_x + slot / 2 + offset * bar_width + (2 if offset == 0 else -2), 1),
                    y=round(top_pad + plot_height - bar_height, 1),
                    width=round(bar_width, 1),
                    height=round(bar_height, 1),
                    value_text=pounds(amount),
                )
            )
    gridlines = [
        (round(top_pad + plot_height - plot_height * (i * step) / scale_top, 1), pounds(i * step))
        for i in range(0, int(scale_top // step) + 1)
    ]
    return Chart(width, height, top_pad + plot_height, bars, labels, gridlines)


def _nice_step(top: int) -> int:
    """A round gridline step (1, 2 or 5 times a power of ten) giving about four lines."""
    rough = max(top // 4, 1)
    power = 10 ** (len(str(rough)) - 1)
    for multiple in (1, 2, 5, 10):
        if rough <= multiple * power:
            return multiple * power
    return 10 * power
