"""Headline figures: the numbers the campaign shows and the sums behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.formatting import figure_value
from campaign.models import Contract, FinancialYear, HeadlineFigure, Pledge


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


def local_spend_since(session: Session, start_year: int) -> int | None:
    """Pence spent with Lancashire suppliers in every year from `start_year` on, where known."""
    total = session.scalar(
        select(func.sum(FinancialYear.lancashire_spend_pence)).where(
            FinancialYear.start_year >= start_year,
            FinancialYear.lancashire_spend_pence.is_not(None),
        )
    )
    return int(total) if total is not None else None


def local_share_since(session: Session, start_year: int) -> int | None:
    """Lancashire's share of supplier spend since `start_year`, in hundredths of a per cent.

    Only years that give both the total and the Lancashire amount count, so a year
    with one missing cannot skew the share.
    """
    local, total = session.execute(
        select(
            func.sum(FinancialYear.lancashire_spend_pence),
            func.sum(FinancialYear.total_spend_pence),
        ).where(
            FinancialYear.start_year >= start_year,
            FinancialYear.lancashire_spend_pence.is_not(None),
            FinancialYear.total_spend_pence.is_not(None),
        )
    ).one()
    if not total:
        return None
    # Round half up to the nearest hundredth of a per cent, in integers.
    return (int(local) * 10_000 * 2 + int(total)) // (int(total) * 2)


def spend_in_year(session: Session, start_year: int) -> int | None:
    """Total supplier spend in the financial year starting in `start_year`, in pence."""
    return session.scalar(
        select(FinancialYear.total_spend_pence).where(FinancialYear.start_year == start_year)
    )


def contract_local_spend(session: Session, contract_id: int) -> int | None:
    """Local supply-chain spend a contract has delivered so far, in pence."""
    return session.scalar(
        select(Contract.local_spend_delivered_pence).where(Contract.id == contract_id)
    )


def pledge_count(session: Session) -> int:
    """How many organisations' pledges are live on the wall."""
    return session.scalar(select(func.count(Pledge.id)).where(Pledge.status == "live")) or 0


COMPUTE = {
    "local_spend_since": local_spend_since,
    "local_share_since": local_share_since,
    "spend_in_year": spend_in_year,
    "contract_local_spend": contract_local_spend,
    "pledge_count": lambda session, _param: pledge_count(session),
}


def compute_value(session: Session, figure: HeadlineFigure) -> int | None:
    """A figure's current value: as entered, or worked out from the data."""
    if figure.kind == "manual":
        return figure.value
    return COMPUTE[figure.computation](session, figure.computation_param)


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
