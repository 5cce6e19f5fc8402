"""The CLES method, year by year: total spend -> spend in scope -> spend with suppliers whose location is
known (coverage) -> the Lancashire and North West shares of that.

Only approved imports from the campaign's own body count. Working out every year is one GROUP BY over the
payments; the results are kept as draft ComputedYear rows, which a publisher approves for the public
(review.py). A share is shown only when coverage reaches the minimum staff set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from campaign.models import (
    ComputedYear,
    PublishingBody,
    ScopeRule,
    SiteState,
    SpendImport,
    SpendTransaction,
    StaffUser,
    Supplier,
)
from campaign.models.common import utcnow
from campaign.models.spend import SCOPE_REASONS, share_bp
from campaign.services import audit
from campaign.services.validation import FieldError, rolls_back_on_error

MINIMUM_KEY = "minimum_coverage_bp"
DEFAULT_MINIMUM_BP = 8000  # 80%: below it a computed share cannot be published
WITHHELD_REASON = "private_individual"  # withheld payee names are out of scope without a rule
KNOWN_LOCATIONS = ("lancashire", "north_west", "elsewhere")
FIGURE_FIELDS = (
    "payments", "first_paid_on", "last_paid_on", "last_imported_at", "total_pence", "out_of_scope",
    "in_scope_pence", "classified_pence", "lancashire_pence", "north_west_pence", "sme_pence", "vcse_pence",
    "is_demo",
)


@dataclass
class YearFigures:
    """One year's figures as the payments give them now."""

    start_year: int
    payments: int = 0
    first_paid_on: date | None = None
    last_paid_on: date | None = None
    last_imported_at: datetime | None = None
    total_pence: int = 0
    out_of_scope: dict[str, int] = field(default_factory=dict)
    in_scope_pence: int = 0
    classified_pence: int = 0
    lancashire_pence: int = 0
    north_west_pence: int = 0
    sme_pence: int = 0
    vcse_pence: int = 0
    is_demo: bool = False  # any of its payments come from a demo import

    @property
    def coverage_bp(self) -> int | None:
        """In-scope spend with a classified supplier, as hundredths of a per cent of in-scope spend."""
        return share_bp(self.classified_pence, self.in_scope_pence)


def counted_imports():
    """The imports whose payments count toward the campaign's figures: approved, from its own body."""
    return (
        select(SpendImport.id)
        .join(PublishingBody, PublishingBody.id == SpendImport.body_id)
        .where(SpendImport.status == "approved", PublishingBody.is_own.is_(True))
    )


def counted_payments(*columns):
    """SELECT `columns` over the counted payments, with each payment's supplier outer-joined."""
    return (
        select(*columns)
        .select_from(SpendTransaction)
        .outerjoin(Supplier, Supplier.id == SpendTransaction.supplier_id)
        .where(SpendTransaction.import_id.in_(counted_imports()))
    )


def reason_expression(session: Session):
    """A SQL CASE giving each payment's out-of-scope reason, or NULL when in scope (Supplier outer-joined)."""
    whens: list[tuple[Any, Any]] = [(SpendTransaction.redacted.is_(True), literal(WITHHELD_REASON))]
    keys: dict[tuple[str, str], list[str]] = {}
    for rule in session.scalars(select(ScopeRule).order_by(ScopeRule.id)):
        keys.setdefault((rule.kind, rule.reason), []).append(rule.value_key)
    # Payee rules first: a payee's own reason is more specific than its category's.
    for (kind, reason), values in sorted(keys.items(), key=lambda item: (item[0][0] != "supplier", item[0][1])):
        if kind == "supplier":
            condition = SpendTransaction.supplier_key.in_(values) | Supplier.name_key.in_(values)
        else:
            condition = func.lower(func.trim(SpendTransaction.category)).in_(values)
        whens.append((condition, literal(reason)))
    return case(*whens, else_=literal(None))


def compute(session: Session) -> dict[int, YearFigures]:
    """Every year's figures from the counted payments, in one GROUP BY by year and out-of-scope reason."""
    amount = SpendTransaction.amount_pence
    reason = reason_expression(session).label("reason")
    located = Supplier.location.in_(KNOWN_LOCATIONS)

    def total_where(condition):
        return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)

    # "+ 0" makes every database read the table straight through: walking the year index row by row
    # to fetch each payment is several times slower on SQLite once every row is needed anyway.
    year_column = (SpendTransaction.financial_year + 0).label("year")
    rows = session.execute(
        counted_payments(
            year_column, reason, SpendTransaction.import_id, func.count(), func.coalesce(func.sum(amount), 0),
            total_where(located),
            total_where(Supplier.location == "lancashire"),
            total_where(Supplier.location.in_(("lancashire", "north_west"))),
            total_where(located & Supplier.is_sme.is_(True)),
            total_where(located & Supplier.is_vcse.is_(True)),
            func.min(SpendTransaction.paid_on), func.max(SpendTransaction.paid_on),
        ).group_by(year_column, reason, SpendTransaction.import_id)
    ).all()
    imports = {
        row.id: row for row in session.execute(
            select(SpendImport.id, SpendImport.created_at, SpendImport.is_demo)
            .where(SpendImport.id.in_({row[2] for row in rows}))
        )
    }
    years: dict[int, YearFigures] = {}
    for (year, why, import_id, count, total, classified, lancashire, north_west, sme, vcse, first, last) in rows:
        figures = years.setdefault(int(year), YearFigures(int(year)))
        figures.is_demo = figures.is_demo or imports[import_id].is_demo
        imported = imports[import_id].created_at
        figures.payments += count
        figures.total_pence += int(total)
        figures.first_paid_on = min(filter(None, (figures.first_paid_on, first)))
        figures.last_paid_on = max(filter(None, (figures.last_paid_on, last)))
        figures.last_imported_at = max(filter(None, (figures.last_imported_at, imported)))
        if why is not None:
            figures.out_of_scope[why] = figures.out_of_scope.get(why, 0) + int(total)
            continue
        figures.in_scope_pence += int(total)
        figures.classified_pence += int(classified)
        figures.lancashire_pence += int(lancashire)
        figures.north_west_pence += int(north_west)
        figures.sme_pence += int(sme)
        figures.vcse_pence += int(vcse)
    for figures in years.values():
        figures.out_of_scope = {
            key: figures.out_of_scope[key] for key in SCOPE_REASONS if key in figures.out_of_scope
        }
    return years


def recompute(session: Session, prepared_by: StaffUser | None = None) -> list[int]:
    """Bring the draft figures in line with the counted payments (no commit); returns the years worked out.

    `prepared_by` is the member of staff whose change this follows (an import or a scope rule), whom the
    two-person rule stops approving the result. Approved figures stay as they were approved, except
    that a year left with no counted payments loses them: there is nothing left to show.
    """
    session.flush()
    years = compute(session)
    drafts = {
        row.start_year: row for row in session.scalars(select(ComputedYear).where(ComputedYear.status == "draft"))
    }
    now = utcnow()
    for start_year, figures in years.items():
        row = drafts.pop(start_year, None)
        if row is None:
            row = ComputedYear(start_year=start_year, status="draft")
            session.add(row)
        for name in FIGURE_FIELDS:
            setattr(row, name, getattr(figures, name))
        row.computed_at = now
        if prepared_by is not None and prepared_by.is_authenticated:
            row.prepared_by_id = prepared_by.id
    for row in drafts.values():
        session.delete(row)
    gone = session.scalars(
        select(ComputedYear).where(ComputedYear.status == "approved", ComputedYear.start_year.not_in(list(years)))
    ).all()
    for row in gone:
        session.delete(row)
    session.flush()
    return sorted(years)


def minimum_coverage(session: Session) -> int:
    """The coverage a share needs before it can be published, in hundredths of a per cent."""
    value = session.scalar(select(SiteState.value).where(SiteState.key == MINIMUM_KEY))
    return int(value) if value and value.isdigit() else DEFAULT_MINIMUM_BP


@rolls_back_on_error
def set_minimum_coverage(session: Session, basis_points: int | None, actor: StaffUser | None) -> None:
    """Change the minimum coverage (audited); figures already approved keep the minimum they were approved under."""
    if basis_points is None or not 0 <= basis_points <= 10_000:
        raise FieldError("minimum", "Enter a minimum coverage between 0% and 100%, like 80")
    before = minimum_coverage(session)
    row = session.get(SiteState, MINIMUM_KEY)
    if row is None:
        session.add(SiteState(key=MINIMUM_KEY, value=str(basis_points)))
    else:
        row.value = str(basis_points)
    audit.record(session, actor, "update", "setting", MINIMUM_KEY,
                 f"Set the minimum coverage to {basis_points / 100:g}%",
                 before={"minimum_coverage_bp": before}, after={"minimum_coverage_bp": basis_points})
    session.commit()


@dataclass(frozen=True)
class WorkItem:
    """A payee without a known location, and how much coverage classifying it would add."""

    key: str
    name: str
    supplier_id: int | None
    pence: int
    payments: int
    adds_bp: int | None


def work_list(session: Session, start_year: int, limit: int = 50) -> tuple[list[WorkItem], YearFigures | None]:
    """In-scope payees of a year whose location is not known, by spend, with the coverage each would add."""
    figures = compute_year(session, start_year)
    if figures is None:
        return [], None
    amount = func.sum(SpendTransaction.amount_pence)
    rows = session.execute(
        counted_payments(
            SpendTransaction.supplier_key, func.min(SpendTransaction.supplier_name), SpendTransaction.supplier_id,
            amount, func.count(),
        )
        .where(
            SpendTransaction.financial_year == start_year,
            reason_expression(session).is_(None),
            Supplier.id.is_(None) | (Supplier.location == "unknown"),
        )
        .group_by(SpendTransaction.supplier_key, SpendTransaction.supplier_id)
        .order_by(amount.desc(), SpendTransaction.supplier_key)
        .limit(limit)
    )
    items = [
        WorkItem(key, name, supplier_id, int(pence), count, share_bp(int(pence), figures.in_scope_pence))
        for key, name, supplier_id, pence, count in rows
    ]
    return items, figures


def compute_year(session: Session, start_year: int) -> YearFigures | None:
    """One year's figures now, from its draft row (kept current by every change that affects it)."""
    row = session.scalar(
        select(ComputedYear).where(ComputedYear.start_year == start_year, ComputedYear.status == "draft")
    )
    if row is None:
        return None
    return YearFigures(start_year, **{name: getattr(row, name) for name in FIGURE_FIELDS})


def draft_years(session: Session) -> list[ComputedYear]:
    """Every year's draft figures, newest first."""
    return list(session.scalars(
        select(ComputedYear).where(ComputedYear.status == "draft").order_by(ComputedYear.start_year.desc())
    ))


def approved_years(session: Session) -> list[ComputedYear]:
    """The figures publishers approved for the public, newest year first."""
    return list(session.scalars(
        select(ComputedYear).where(ComputedYear.status == "approved").order_by(ComputedYear.start_year.desc())
    ))

