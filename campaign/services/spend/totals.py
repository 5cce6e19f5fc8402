"""Yearly spend totals worked out from the imported payments, for the spend-by-year table.

Yearly totals are one GROUP BY over the transactions joined to the supplier register.
They fill the spend-by-year table only for years staff have not typed in from a
document: a documented year is never overwritten by an import; the staff page shows
the computed totals beside it, and staff can choose to switch that year over.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from campaign.formatting import pounds, year_label
from campaign.models import FinancialYear, SpendTransaction, StaffUser, Supplier
from campaign.services import audit
from campaign.services.spend.staging import SpendImportError
from campaign.services.validation import rolls_back_on_error

COMPUTED_SOURCE = "Computed from imported spend data"
MIN_YEAR, MAX_YEAR = 2000, 2100  # the financial_year table's own limits


@dataclass(frozen=True)
class YearTotals:
    """One financial year's spend, worked out from the imported payments."""

    start_year: int
    payments: int
    total_pence: int
    lancashire_pence: int
    north_west_pence: int
    sme_pence: int
    vcse_pence: int
    unclassified_pence: int
    redacted_pence: int

    @property
    def label(self) -> str:
        """The year as people write it, for example 2023/24."""
        return year_label(self.start_year)


@dataclass
class RecomputeResult:
    """Which rows of the spend-by-year table the totals filled, and which they left alone."""

    updated: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    documented: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def computed_totals(session: Session) -> dict[int, YearTotals]:
    """Spend per financial year, by one GROUP BY over the payments joined to the register."""
    amount = SpendTransaction.amount_pence

    def total_where(condition):
        return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)

    rows = session.execute(
        select(
            SpendTransaction.financial_year,
            func.count(),
            func.coalesce(func.sum(amount), 0),
            total_where(Supplier.location == "lancashire"),
            total_where(Supplier.location.in_(("lancashire", "north_west"))),
            total_where(Supplier.is_sme.is_(True)),
            total_where(Supplier.is_vcse.is_(True)),
            total_where(
                (SpendTransaction.redacted.is_(False))
                & ((Supplier.id.is_(None)) | (Supplier.location == "unknown"))
            ),
            total_where(SpendTransaction.redacted.is_(True)),
        )
        .outerjoin(Supplier, Supplier.id == SpendTransaction.supplier_id)
        .group_by(SpendTransaction.financial_year)
    )
    return {
        int(row[0]): YearTotals(int(row[0]), *(int(value) for value in row[1:]))
        for row in rows
    }


def _notes(totals: YearTotals) -> str:
    """Plain words on what the computed amounts include."""
    parts = [f"Worked out from {totals.payments:,} payments in imported spend files."]
    if totals.unclassified_pence:
        parts.append(
            f"{pounds(totals.unclassified_pence, exact=True)} went to suppliers whose location is not yet known: "
            "it counts in the total but not as local spend."
        )
    if totals.redacted_pence:
        parts.append(
            f"{pounds(totals.redacted_pence, exact=True)} went to people whose names were withheld: "
            "it counts in the total but not as local spend."
        )
    return " ".join(parts)


def _apply(year: FinancialYear, totals: YearTotals, result: RecomputeResult) -> None:
    """Write computed totals into a year row, or leave its amounts empty when they cannot be right."""
    year.computed_from_spend = True
    year.is_approximate = False
    year.source_text = COMPUTED_SOURCE
    year.source_url = None
    amounts = (
        totals.total_pence, totals.lancashire_pence, totals.north_west_pence, totals.sme_pence, totals.vcse_pence,
    )
    if totals.total_pence < 0 or any(part > totals.total_pence for part in amounts[1:]):
        # Credit notes can outweigh payments in a part-year file; showing a negative
        # or impossible share would mislead, so the year shows no amounts until more data arrives.
        (year.total_spend_pence, year.lancashire_spend_pence, year.north_west_spend_pence,
         year.sme_spend_pence, year.vcse_spend_pence) = (None,) * 5
        year.notes = (
            "The imported payments for this year include more credit notes than payments, so no totals are shown."
        )
        result.problems.append(f"{totals.label}: credit notes outweigh payments, so no totals are shown")
        return
    (year.total_spend_pence, year.lancashire_spend_pence, year.north_west_spend_pence,
     year.sme_spend_pence, year.vcse_spend_pence) = amounts
    year.notes = _notes(totals)


def recompute_years(session: Session) -> RecomputeResult:
    """Bring computed years in line with the payments, leaving documented years untouched (no commit)."""
    session.flush()
    result = RecomputeResult()
    totals = computed_totals(session)
    years = {year.start_year: year for year in session.scalars(select(FinancialYear))}
    for start_year, year_totals in sorted(totals.items()):
        if not MIN_YEAR <= start_year <= MAX_YEAR:
            result.problems.append(f"{year_totals.label}: payments dated before 2000 are not counted")
            continue
        year = years.get(start_year)
        if year is None:
            year = FinancialYear(start_year=start_year)
            session.add(year)
        elif not year.computed_from_spend:
            result.documented.append(start_year)
            continue
        _apply(year, year_totals, result)
        result.updated.append(start_year)
    for start_year, year in years.items():
        if year.computed_from_spend and start_year not in totals:
            session.delete(year)
            result.removed.append(start_year)
    session.flush()
    return result


@rolls_back_on_error
def use_computed_totals(session: Session, year: FinancialYear, actor: StaffUser | None) -> None:
    """Replace a documented year's amounts with those worked out from imported payments."""
    totals = computed_totals(session).get(year.start_year)
    if totals is None:
        raise SpendImportError(f"There are no imported payments for {year.label}")
    before = audit.snapshot(year)
    _apply(year, totals, RecomputeResult())
    session.flush()
    audit.record(
        session, actor, "use_computed", "financial_year", year.id,
        f"Replaced the amounts for {year.label} with totals from imported spend",
        before=before, after=audit.snapshot(year),
    )
    session.commit()
