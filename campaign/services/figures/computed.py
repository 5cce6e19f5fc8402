"""The figures the site can work out from its own data: each declared once with its key, unit, wording and sum.

Staff choose one of these for a computed headline figure; the form, the checks and the
public pages all read this registry, so a new computed figure is one function and one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import Contract, FinancialYear, Pledge


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


@dataclass(frozen=True)
class ComputedFigure:
    """One figure the site can compute: its answer's unit, how staff see it, and what it needs from them."""

    key: str
    unit: str
    wording: str
    compute: Callable[[Session, int | None], int | None]
    # What staff must choose for it: "year" (the first financial year), "contract", or nothing.
    needs: str | None = None


REGISTRY: dict[str, ComputedFigure] = {
    figure.key: figure
    for figure in (
        ComputedFigure(
            "local_spend_since", "pounds", "Spend with Lancashire suppliers in every year from a given year on",
            local_spend_since, needs="year",
        ),
        ComputedFigure(
            "local_share_since", "percent", "Lancashire's share of supplier spend from a given year on",
            local_share_since, needs="year",
        ),
        ComputedFigure(
            "spend_in_year", "pounds", "All supplier spend in one financial year", spend_in_year, needs="year"
        ),
        ComputedFigure(
            "contract_local_spend", "pounds", "Local supply-chain spend one contract has delivered",
            contract_local_spend, needs="contract",
        ),
        ComputedFigure(
            "pledge_count", "count", "How many organisations' pledges are live on the pledge wall",
            lambda session, _param: pledge_count(session),
        ),
    )
}


def choices() -> list[tuple[str, str]]:
    """The computed figures as staff choose between them: (key, wording)."""
    return [(figure.key, figure.wording) for figure in REGISTRY.values()]
