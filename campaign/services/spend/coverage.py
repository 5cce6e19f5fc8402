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
from campaign.models.spend import SCOPE_REASONS, LocalShares, share_bp, shares_publishable
from campaign.services import audit

MINIMUM_KEY = "minimum_coverage_bp"
DEFAULT_MINIMUM_BP = 8000  # 80%: below it a computed share cannot be published
WITHHELD_REASON = "private_individual"  # withheld payee names are out of scope without a rule
PUBLIC_BODY_REASON = "public_body"  # so are suppliers the register marks as public bodies
KNOWN_LOCATIONS = ("lancashire", "north_west", "elsewhere")
FIGURE_FIELDS = (
    "payments", "first_paid_on", "last_paid_on", "last_imported_at", "total_pence", "out_of_scope",
    "in_scope_pence", "classified_pence", "lancashire_pence", "north_west_pence", "sme_pence", "vcse_pence",
    "is_demo",
)
# What the review page compares: when the payments were imported does not change what the figures say.
COMPARED_FIELDS = tuple(name for name in FIGURE_FIELDS if name != "last_imported_at")
MAX_NOTES = 20  # the latest changes a draft keeps in its history


@dataclass
class YearFigures(LocalShares):
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

    def shares_shown_at(self, minimum_bp: int) -> bool:
        """Whether these shares could be published under a minimum coverage (the one rule)."""
        return shares_publishable(self.coverage_bp, minimum_bp)


def counted_imports(body_id: int | None = None):
    """The imports whose payments count: approved, from the campaign's own body (or from `body_id`'s, to compare)."""
    query = select(SpendImport.id).where(SpendImport.status == "approved")
    if body_id is not None:
        return query.where(SpendImport.body_id == body_id)
    return query.join(PublishingBody, PublishingBody.id == SpendImport.body_id).where(PublishingBody.is_own.is_(True))


def counted_payments(*columns, body_id: int | None = None):
    """SELECT `columns` over the counted payments, with each payment's supplier outer-joined."""
    return (
        select(*columns)
        .select_from(SpendTransaction)
        .outerjoin(Supplier, Supplier.id == SpendTransaction.supplier_id)
        .where(SpendTransaction.import_id.in_(counted_imports(body_id)))
    )


def reason_expression(session: Session):
    """A SQL CASE giving each payment's out-of-scope reason, or NULL when in scope (Supplier outer-joined).

    In order: withheld names; payee rules; suppliers the register marks as public bodies (a council or
    another force is not private-sector supply, whatever its postcode); then category rules.
    """
    whens: list[tuple[Any, Any]] = [(SpendTransaction.redacted.is_(True), literal(WITHHELD_REASON))]
    keys: dict[tuple[str, str], list[str]] = {}
    for rule in session.scalars(select(ScopeRule).order_by(ScopeRule.id)):
        keys.setdefault((rule.kind, rule.reason), []).append(rule.value_key)
    # Payee rules first: a payee's own reason is more specific than its category's.
    for (reason, values) in sorted((reason, values) for (kind, reason), values in keys.items() if kind == "supplier"):
        whens.append((SpendTransaction.supplier_key.in_(values) | Supplier.name_key.in_(values), literal(reason)))
    whens.append((Supplier.is_public_body.is_(True), literal(PUBLIC_BODY_REASON)))
    for (reason, values) in sorted((reason, values) for (kind, reason), values in keys.items() if kind == "category"):
        whens.append((func.lower(func.trim(SpendTransaction.category)).in_(values), literal(reason)))
    return case(*whens, else_=literal(None))


def compute(session: Session, start_year: int | None = None, body_id: int | None = None) -> dict[int, YearFigures]:
    """Every year's figures (or one year's) from the counted payments, in one GROUP BY by year and reason.

    The campaign's own body by default; `body_id` works out another body's the same way, for comparison.
    """
    amount = SpendTransaction.amount_pence
    reason = reason_expression(session).label("reason")
    located = Supplier.location.in_(KNOWN_LOCATIONS)

    def total_where(condition):
        return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)

    # "+ 0" makes every database read the table straight through: walking the year index row by row
    # to fetch each payment is several times slower on SQLite once every row is needed anyway.
    year_column = (SpendTransaction.financial_year + 0).label("year")
    query = counted_payments(
        year_column, reason, SpendTransaction.import_id, func.count(), func.coalesce(func.sum(amount), 0),
        total_where(located),
        total_where(Supplier.location == "lancashire"),
        total_where(Supplier.location.in_(("lancashire", "north_west"))),
        total_where(located & Supplier.is_sme.is_(True)),
        total_where(located & Supplier.is_vcse.is_(True)),
        func.min(SpendTransaction.paid_on), func.max(SpendTransaction.paid_on),
        body_id=body_id,
    ).group_by(year_column, reason, SpendTransaction.import_id)
    if start_year is not None:
        query = query.where(SpendTransaction.financial_year == start_year)
    rows = session.execute(query).all()
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


@dataclass(frozen=True)
class Recomputed:
    """The years the counted payments cover, and those whose draft figures moved (new years included)."""

    years: list[int]
    changed: list[int]


def _note(cause: str, actor: StaffUser | None) -> dict[str, str]:
    """One line of a draft's change history: when, who, and what they changed."""
    return {"at": utcnow().isoformat(), "by": audit.actor_label(actor), "what": cause[:300]}


def note_change(draft: ComputedYear, cause: str, actor: StaffUser | None) -> None:
    """Add a change to a draft's history, which the review page shows until the year is approved again."""
    draft.changes = [*(draft.changes or []), _note(cause, actor)][-MAX_NOTES:]


def same_figures(draft: ComputedYear | YearFigures, other: ComputedYear | YearFigures) -> bool:
    """Whether two sets of a year's figures say the same (when they were worked out or imported aside)."""
    return all(getattr(draft, name) == getattr(other, name) for name in COMPARED_FIELDS)


def recompute(session: Session, prepared_by: StaffUser | None = None, cause: str | None = None) -> Recomputed:
    """Bring the draft figures in line with the counted payments (no commit).

    A draft that moves is marked as prepared by `prepared_by`, the member of staff whose change this
    follows, whom the two-person rule stops approving it. When its year has approved figures, `cause`
    (the change, in words) goes into the draft's history for the review page: the public figures stay
    as approved until a publisher approves the draft. A year left with no counted payments at all (its
    import removed by a publisher) loses its approved figures too: there is nothing left to show.
    """
    session.flush()
    years = compute(session)
    drafts = {
        row.start_year: row for row in session.scalars(select(ComputedYear).where(ComputedYear.status == "draft"))
    }
    approved = {row.start_year: row for row in approved_years(session)}
    now = utcnow()
    changed = []
    for start_year, figures in years.items():
        row = drafts.pop(start_year, None)
        if row is None:
            row = ComputedYear(start_year=start_year, status="draft")
            session.add(row)
        moved = row.id is None or not same_figures(row, figures)
        for name in FIGURE_FIELDS:
            setattr(row, name, getattr(figures, name))
        row.computed_at = now
        if not moved:
            continue
        changed.append(start_year)
        if prepared_by is not None and prepared_by.is_authenticated:
            row.prepared_by_id = prepared_by.id
        public = approved.get(start_year)
        if public is None or same_figures(row, public):
            row.changes = None
        else:
            note_change(row, cause or "The figures were worked out again from the payments", prepared_by)
    for row in drafts.values():
        session.delete(row)
    for start_year, row in approved.items():
        if start_year not in years:
            session.delete(row)
    session.flush()
    return Recomputed(sorted(years), sorted(changed))


def minimum_coverage(session: Session) -> int:
    """The coverage a share needs before it can be published, in hundredths of a per cent."""
    value = session.scalar(select(SiteState.value).where(SiteState.key == MINIMUM_KEY))
    return int(value) if value and value.isdigit() else DEFAULT_MINIMUM_BP


@dataclass(frozen=True)
class WorkItem:
    """A payee without a known location, and how much coverage classifying it would add."""

    key: str
    name: str
    supplier_id: int | None
    pence: int
    payments: int
    adds_bp: int | None


@dataclass(frozen=True)
class YearCoverage:
    """A year's in-scope spend as it is now, and how much of it has a supplier whose location is known."""

    start_year: int
    in_scope_pence: int
    classified_pence: int

    @property
    def coverage_bp(self) -> int | None:
        """In-scope spend with a classified supplier, as hundredths of a per cent of in-scope spend."""
        return share_bp(self.classified_pence, self.in_scope_pence)


def work_list(session: Session, start_year: int, limit: int = 50) -> tuple[list[WorkItem], YearCoverage]:
    """In-scope payees of a year whose location is not known, by spend, with the coverage each would add.

    One GROUP BY over the year's in-scope payments by payee, under the scope rules as they are now:
    the in-scope total and coverage come from the same rows as the payees, never from a stored draft.
    """
    amount = func.sum(SpendTransaction.amount_pence)
    known = func.max(case((Supplier.location.in_(KNOWN_LOCATIONS), 1), else_=0))
    rows = session.execute(
        counted_payments(
            SpendTransaction.supplier_key, func.min(SpendTransaction.supplier_name), SpendTransaction.supplier_id,
            amount, func.count(), known,
        )
        .where(SpendTransaction.financial_year == start_year, reason_expression(session).is_(None))
        .group_by(SpendTransaction.supplier_key, SpendTransaction.supplier_id)
    ).all()
    year = YearCoverage(
        start_year, sum(int(row[3]) for row in rows), sum(int(row[3]) for row in rows if row[5]),
    )
    unknown = sorted((row for row in rows if not row[5]), key=lambda row: (-int(row[3]), row[0]))[:limit]
    items = [
        WorkItem(key, name, supplier_id, int(pence), count, share_bp(int(pence), year.in_scope_pence))
        for key, name, supplier_id, pence, count, _known in unknown
    ]
    return items, year


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

