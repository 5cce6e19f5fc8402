"""Yearly spend totals: the spend-by-year table's computed years, written only from figures a publisher approved.

`computed_totals` is one GROUP BY over the counted payments (approved imports from the campaign's own
body) joined to the supplier register, for staff to compare with a documented year. A documented year
(typed in from a document) is never overwritten by an import; staff can choose to switch it over.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from campaign.formatting import pounds, year_label
from campaign.models import ComputedYear, FinancialYear, SpendTransaction, StaffUser, Supplier
from campaign.services import audit
from campaign.services.spend import coverage
from campaign.services.spend.staging import SpendImportError
from campaign.services.validation import rolls_back_on_error

COMPUTED_SOURCE = "Computed from imported spend data"
MIN_YEAR, MAX_YEAR = 2000, 2100  # the financial_year table's own limits


@dataclass(frozen=True)
class YearTotals:
    """One financial year's spend, worked out from the counted payments."""

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
    """Which years the draft figures cover, and which rows of the spend-by-year table changed or were left."""

    updated: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)  # years whose draft figures moved
    removed: list[int] = field(default_factory=list)
    documented: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def computed_totals(session: Session) -> dict[int, YearTotals]:
    """Spend per financial year, by one GROUP BY over the counted payments joined to the register."""
    amount = SpendTransaction.amount_pence

    def total_where(condition):
        return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)

    rows = session.execute(
        coverage.counted_payments(
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
        ).group_by(SpendTransaction.financial_year)
    )
    return {
        int(row[0]): YearTotals(int(row[0]), *(int(value) for value in row[1:]))
        for row in rows
    }


def _notes(figures: ComputedYear) -> str:
    """Plain words on what the computed amounts include."""
    parts = [f"Worked out from {figures.payments:,} payments in imported spend files."]
    unclassified = figures.in_scope_pence - figures.classified_pence
    if unclassified:
        parts.append(
            f"{pounds(unclassified, exact=True)} went to suppliers whose location is not yet known: "
            "it counts in the total but not as local spend."
        )
    for reason, pence in (figures.out_of_scope or {}).items():
        if reason == coverage.WITHHELD_REASON:
            parts.append(
                f"{pounds(pence, exact=True)} went to people whose names were withheld: "
                "it counts in the total but is out of scope, so not as local spend."
            )
    if not figures.shares_shown:
        parts.append("Too little in-scope spend has a supplier with a known location to give the local shares yet.")
    return " ".join(parts)


def _apply(year: FinancialYear, figures: ComputedYear, result: RecomputeResult) -> None:
    """Write approved figures into a year row, or leave its amounts empty when they cannot be right."""
    year.computed_from_spend = True
    year.is_approximate = False
    year.source_text = COMPUTED_SOURCE
    year.source_url = None
    year.is_demo = figures.is_demo
    parts = (figures.lancashire_pence, figures.north_west_pence, figures.sme_pence, figures.vcse_pence)
    if figures.total_pence < 0 or any(part > figures.total_pence for part in parts):
        # Credit notes can outweigh payments in a part-year file; showing a negative
        # or impossible share would mislead, so the year shows no amounts until more data arrives.
        (year.total_spend_pence, year.lancashire_spend_pence, year.north_west_spend_pence,
         year.sme_spend_pence, year.vcse_spend_pence) = (None,) * 5
        year.notes = (
            "The imported payments for this year include more credit notes than payments, so no totals are shown."
        )
        result.problems.append(f"{figures.label}: credit notes outweigh payments, so no totals are shown")
        return
    year.total_spend_pence = figures.total_pence
    # Below the minimum coverage a local amount would read as a share nobody can defend, so it stays empty.
    (year.lancashire_spend_pence, year.north_west_spend_pence, year.sme_spend_pence,
     year.vcse_spend_pence) = parts if figures.shares_shown else (None,) * 4
    year.notes = _notes(figures)


def apply_approved(session: Session, result: RecomputeResult | None = None) -> RecomputeResult:
    """Bring the table's computed years in line with the approved figures; documented years stay (no commit)."""
    result = result or RecomputeResult()
    session.flush()
    approved = {row.start_year: row for row in coverage.approved_years(session)}
    years = {year.start_year: year for year in session.scalars(select(FinancialYear))}
    for start_year, figures in sorted(approved.items()):
        if not MIN_YEAR <= start_year <= MAX_YEAR:
            result.problems.append(f"{figures.label}: payments dated before 2000 are not counted")
            continue
        year = years.get(start_year)
        if year is None:
            year = FinancialYear(start_year=start_year)
            session.add(year)
        elif not year.computed_from_spend:
            result.documented.append(start_year)
            continue
        _apply(year, figures, result)
    for start_year, year in years.items():
        if year.computed_from_spend and start_year not in approved:
            session.delete(year)
            result.removed.append(start_year)
    session.flush()
    return result


def recompute_years(
    session: Session, prepared_by: StaffUser | None = None, cause: str | None = None,
) -> RecomputeResult:
    """Work out every year's draft figures again, and keep the table in line with the approved ones (no commit).

    `prepared_by` made the change and `cause` says what it was (see coverage.recompute).
    """
    recomputed = coverage.recompute(session, prepared_by, cause)
    return apply_approved(session, RecomputeResult(updated=recomputed.years, changed=recomputed.changed))


@rolls_back_on_error
def use_computed_totals(session: Session, year: FinancialYear, actor: StaffUser | None) -> None:
    """Replace a documented year's amounts with the figures a publisher approved for it."""
    figures = session.scalar(
        select(ComputedYear).where(ComputedYear.start_year == year.start_year, ComputedYear.status == "approved")
    )
    if figures is None:
        raise SpendImportError(f"There are no approved figures from imported payments for {year.label}")
    before = audit.snapshot(year)
    _apply(year, figures, RecomputeResult())
    session.flush()
    audit.record(
        session, actor, "use_computed", "financial_year", year.id,
        f"Replaced the amounts for {year.label} with totals from imported spend",
        before=before, after=audit.snapshot(year),
    )
    session.commit()
