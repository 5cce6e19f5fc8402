"""Headline figures: the numbers the campaign shows and the sums behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.formatting import figure_value
from campaign.models import FinancialYear, HeadlineFigure
from campaign.services.figures import computed


@dataclass(frozen=True)
class DisplayFigure:
    """A figure ready to show: its value in words, and where and when it comes from."""

    slug: str
    label: str
    description: str
    unit: str
    value: int | None
    text: str
    qualifier: str
    number_text: str
    period: str
    source_text: str
    source_url: str | None
    as_of: date | None
    computed: bool
    is_demo: bool


def compute_value(session: Session, figure: HeadlineFigure) -> int | None:
    """A figure's current value: as entered, or worked out from the data."""
    if figure.kind == "manual":
        return figure.value
    return computed.REGISTRY[figure.computation].compute(session, figure.computation_param)


def to_display(session: Session, figure: HeadlineFigure) -> DisplayFigure:
    """Turn a stored figure into what the public sees."""
    value = compute_value(session, figure)
    return DisplayFigure(
        slug=figure.slug,
        label=figure.label,
        description=figure.description,
        unit=figure.unit,
        value=value,
        text=figure_value(figure.unit, value, figure.qualifier),
        qualifier=figure.qualifier if value is not None else "",
        number_text=figure_value(figure.unit, value),
        period=figure.period,
        source_text=figure.source_text,
        source_url=figure.source_url,
        as_of=figure.as_of,
        computed=figure.kind == "computed",
        is_demo=figure.is_demo,
    )


def headline(session: Session) -> list[DisplayFigure]:
    """The published headline figures, in the order staff set."""
    figures = session.scalars(
        select(HeadlineFigure)
        .where(HeadlineFigure.published.is_(True))
        .order_by(HeadlineFigure.position, HeadlineFigure.id)
    ).all()
    return [to_display(session, figure) for figure in figures]


def yearly_spend(session: Session) -> list[FinancialYear]:
    """Every financial year with spend data, oldest first."""
    return list(session.scalars(select(FinancialYear).order_by(FinancialYear.start_year)).all())
