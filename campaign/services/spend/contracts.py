"""The contracts register: each contract's social value, committed and delivered, with totals and export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from campaign.formatting import percent
from campaign.models import CaseStudy, Contract, StaffUser, Supplier
from campaign.services import audit
from campaign.services.money import pence_to_text
from campaign.services.spend import suppliers
from campaign.services.validation import FieldError, rolls_back_on_error

POLICY_MINIMUM_BP = 250  # the Social Value Policy's minimum weighting: 2.5%
FIELDS = [
    "title", "supplier_id", "category", "awarded_on", "value_pence", "term_months", "social_value_weighting_bp",
    "living_wage_committed", "living_wage_delivered", "local_jobs_committed", "local_jobs_delivered",
    "apprenticeships_committed", "apprenticeships_delivered", "local_spend_committed_pence",
    "local_spend_delivered_pence", "environment_committed", "environment_delivered",
    "volunteering_hours_committed", "volunteering_hours_delivered", "case_study_id", "notes",
]
# Cells a spreadsheet would read as a formula; prefixed with ' so they stay text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ContractFilters:
    """What the register list is narrowed to; empty values mean everything."""

    category: str = ""
    supplier: str = ""
    year: int | None = None
    below_minimum: bool = False

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.category or self.supplier or self.year is not None or self.below_minimum)


@dataclass(frozen=True)
class ContractTotals:
    """Sums over the contracts a list shows."""

    count: int
    value_pence: int
    below_minimum: int
    living_wage_committed: int
    living_wage_delivered: int
    local_jobs_committed: int
    local_jobs_delivered: int
    apprenticeships_committed: int
    apprenticeships_delivered: int
    local_spend_committed_pence: int
    local_spend_delivered_pence: int
    volunteering_hours_committed: int
    volunteering_hours_delivered: int


def _conditions(filters: ContractFilters) -> list:
    """SQL conditions for a set of filters."""
    conditions = []
    if filters.category:
        conditions.append(Contract.category == filters.category)
    if filters.supplier.strip():
        pattern = filters.supplier.strip()
        conditions.append(Supplier.name.icontains(pattern, autoescape=True))
    if filters.year is not None:
        conditions.append(Contract.awarded_on >= date(filters.year, 4, 1))
        conditions.append(Contract.awarded_on < date(filters.year + 1, 4, 1))
    if filters.below_minimum:
        conditions.append(Contract.social_value_weighting_bp < POLICY_MINIMUM_BP)
    return conditions


def list_contracts(session: Session, filters: ContractFilters) -> list[Contract]:
    """Contracts matching the filters, newest award first."""
    return list(
        session.scalars(
            select(Contract)
            .outerjoin(Supplier, Supplier.id == Contract.supplier_id)
            .where(*_conditions(filters))
            .order_by(Contract.awarded_on.desc().nulls_last(), Contract.title)
        )
    )


def totals(session: Session, filters: ContractFilters) -> ContractTotals:
    """Totals over the contracts matching the filters, summed in the database."""

    def total(column):
        return func.coalesce(func.sum(column), 0)

    def count_true(column):
        return func.coalesce(func.sum(case((column.is_(True), 1), else_=0)), 0)

    row = session.execute(
        select(
            func.count(Contract.id),
            total(Contract.value_pence),
            func.coalesce(func.sum(case((Contract.social_value_weighting_bp < POLICY_MINIMUM_BP, 1), else_=0)), 0),
            count_true(Contract.living_wage_committed),
            count_true(Contract.living_wage_delivered),
            total(Contract.local_jobs_committed),
            total(Contract.local_jobs_delivered),
            total(Contract.apprenticeships_committed),
            total(Contract.apprenticeships_delivered),
            total(Contract.local_spend_committed_pence),
            total(Contract.local_spend_delivered_pence),
            total(Contract.volunteering_hours_committed),
            total(Contract.volunteering_hours_delivered),
        )
        .select_from(Contract)
        .outerjoin(Supplier, Supplier.id == Contract.supplier_id)
        .where(*_conditions(filters))
    ).one()
    return ContractTotals(*(int(value) for value in row))


def categories(session: Session) -> list[str]:
    """Every category in use, for the filter."""
    return list(
        session.scalars(select(Contract.category).where(Contract.category != "").distinct().order_by(Contract.category))
    )


def award_years(session: Session) -> list[int]:
    """Financial years in which contracts were awarded, newest first."""
    dates = session.scalars(select(Contract.awarded_on).where(Contract.awarded_on.is_not(None)).distinct())
    return sorted({day.year if day.month >= 4 else day.year - 1 for day in dates}, reverse=True)


def case_study_choices(session: Session) -> list[tuple[int, str]]:
    """Case studies a contract can link to."""
    rows = session.execute(select(CaseStudy.id, CaseStudy.title).order_by(CaseStudy.title))
    return [(row.id, row.title) for row in rows]


def _clean(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Resolve the supplier by name and check the case study exists."""
    cleaned = {key: values.get(key) for key in FIELDS if key != "supplier_id"}
    supplier_name = (values.get("supplier_name") or "").strip()
    cleaned["supplier_id"] = None
    if supplier_name:
        supplier = suppliers.find_by_name(session, supplier_name)
        if supplier is None:
            raise FieldError(
                "supplier_name",
                "Enter the name of a supplier in the register, or add the supplier to the register first",
            )
        cleaned["supplier_id"] = supplier.id
    if cleaned["case_study_id"] is not None and session.get(CaseStudy, cleaned["case_study_id"]) is None:
        raise FieldError("case_study_id", "Select a case study from the list")
    for key in ("category", "environment_committed", "environment_delivered", "notes"):
        cleaned[key] = cleaned[key] or ""
    # An empty box means none (nothing committed, nothing delivered yet), never "unknown".
    for key in FIELDS:
        if key in ("living_wage_committed", "living_wage_delivered"):
            cleaned[key] = bool(cleaned[key])
        elif key.endswith(("_committed", "_delivered", "_pence")) and cleaned[key] is None:
            cleaned[key] = 0
    return cleaned


@rolls_back_on_error
def create(session: Session, values: dict[str, Any], actor: StaffUser | None) -> Contract:
    """Add a contract to the register."""
    contract = Contract(**_clean(session, values))
    session.add(contract)
    session.flush()
    audit.record(
        session, actor, "create", "contract", contract.id, f"Added contract: {contract.title}"[:300],
        after=audit.snapshot(contract),
    )
    session.commit()
    return contract


@rolls_back_on_error
def update(session: Session, contract: Contract, values: dict[str, Any], actor: StaffUser | None) -> None:
    """Change a contract in the register."""
    cleaned = _clean(session, values)
    before = audit.snapshot(contract)
    for key, value in cleaned.items():
        setattr(contract, key, value)
    session.flush()
    audit.record(
        session, actor, "update", "contract", contract.id, f"Changed contract: {contract.title}"[:300],
        before=before, after=audit.snapshot(contract),
    )
    session.commit()


def values_of(contract: Contract) -> dict[str, Any]:
    """A contract's details, to fill the form."""
    values = {key: getattr(contract, key) for key in FIELDS}
    values["supplier_name"] = contract.supplier.name if contract.supplier else ""
    return values


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


CSV_COLUMNS = [
    "Title", "Supplier", "Category", "Award date", "Value (£)", "Term (months)", "Social value weighting",
    "Below 2.5% minimum", "Real Living Wage committed", "Real Living Wage delivered", "Local jobs committed",
    "Local jobs delivered", "Apprenticeships committed", "Apprenticeships delivered",
    "Local supply-chain spend committed (£)", "Local supply-chain spend delivered (£)",
    "Environmental measures committed", "Environmental measures delivered", "Volunteering hours committed",
    "Volunteering hours delivered", "Case study", "Notes",
]


def export_csv(session: Session, filters: ContractFilters) -> str:
    """The filtered register as CSV, with every text cell made safe for spreadsheets."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for contract in list_contracts(session, filters):
        case_study = session.get(CaseStudy, contract.case_study_id) if contract.case_study_id else None
        row = [
            contract.title,
            contract.supplier.name if contract.supplier else "",
            contract.category,
            contract.awarded_on.isoformat() if contract.awarded_on else "",
            pence_to_text(contract.value_pence, separators=False),
            contract.term_months if contract.term_months is not None else "",
            percent(contract.social_value_weighting_bp) if contract.social_value_weighting_bp is not None else "",
            "Yes" if contract.below_policy_minimum else "No",
            "Yes" if contract.living_wage_committed else "No",
            "Yes" if contract.living_wage_delivered else "No",
            contract.local_jobs_committed,
            contract.local_jobs_delivered,
            contract.apprenticeships_committed,
            contract.apprenticeships_delivered,
            pence_to_text(contract.local_spend_committed_pence, separators=False),
            pence_to_text(contract.local_spend_delivered_pence, separators=False),
            contract.environment_committed,
            contract.environment_delivered,
            contract.volunteering_hours_committed,
            contract.volunteering_hours_delivered,
            case_study.title if case_study else "",
            contract.notes,
        ]
        writer.writerow([safe_cell(cell) for cell in row])
    return output.getvalue()
