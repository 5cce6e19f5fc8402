"""Staff changes to the headline figures and the spend-by-year table, each one audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import Contract, FinancialYear, HeadlineFigure, StaffUser
from campaign.services import audit
from campaign.services.figures import computed, headline
from campaign.services.slugs import unique_slug
from campaign.services.validation import FieldError, rolls_back_on_error

# The staff form's choices as (unit, wording), read from the registry: the admin form imports them from here.
COMPUTATIONS: dict[str, tuple[str, str]] = {
    key: (figure.unit, figure.wording) for key, figure in computed.REGISTRY.items()
}

FIGURE_FIELDS = [
    "label", "description", "kind", "unit", "value", "qualifier", "computation", "computation_param",
    "period", "source_text", "source_url", "published_on", "as_of",
]
YEAR_AMOUNTS = [
    "total_spend_pence", "lancashire_spend_pence", "north_west_spend_pence", "sme_spend_pence", "vcse_spend_pence",
]
YEAR_FIELDS = ["start_year", *YEAR_AMOUNTS, "is_approximate", "source_text", "source_url", "published_on", "notes"]


@dataclass(frozen=True)
class FigureRow:
    """A figure as the list shows it: the stored row and its value as the public would read it."""

    figure: HeadlineFigure
    display: headline.DisplayFigure
    flags: list[str]


def all_figures(session: Session) -> list[FigureRow]:
    """Every headline figure, published or not, in the order the public sees them."""
    rows = session.scalars(select(HeadlineFigure).order_by(HeadlineFigure.position, HeadlineFigure.id))
    return [
        FigureRow(figure, headline.to_display(session, figure), headline.staff_flags(figure)) for figure in rows
    ]


def _clean_figure_values(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Check the rules that span fields and fill in what a computed figure implies."""
    values = {key: values.get(key) for key in FIGURE_FIELDS}
    if values["kind"] == "computed":
        computation = computed.REGISTRY.get(values["computation"] or "")
        if computation is None:
            raise FieldError("computation", "Select what the figure is worked out from")
        # Each computation gives its answer in one unit, so staff never have to match them up.
        values["unit"] = computation.unit
        values["value"] = None
        if computation.needs == "year":
            if values["computation_param"] is None:
                raise FieldError("param_year", "Enter the financial year the figure starts from, like 2017")
        elif computation.needs == "contract":
            if values["computation_param"] is None or session.get(Contract, values["computation_param"]) is None:
                raise FieldError("param_contract", "Select the contract the figure comes from")
        else:
            values["computation_param"] = None
    else:
        values["kind"] = "manual"
        values["computation"] = None
        values["computation_param"] = None
        if values["value"] is None:
            raise FieldError("value", "Enter the figure's value")
    return values


def preview_figure(session: Session, values: dict[str, Any]) -> headline.DisplayFigure:
    """How a figure would read on the public pages, without saving anything."""
    values = _clean_figure_values(session, values)
    transient = HeadlineFigure(slug="preview", published=False, is_demo=False, **values)
    return headline.to_display(session, transient)


@rolls_back_on_error
def create_figure(session: Session, values: dict[str, Any], actor: StaffUser | None) -> HeadlineFigure:
    """Add a figure as a draft at the end of the list; publishing is a separate step."""
    values = _clean_figure_values(session, values)
    position = (session.scalar(select(func.max(HeadlineFigure.position))) or 0) + 1
    figure = HeadlineFigure(
        slug=unique_slug(session, HeadlineFigure.slug, values["label"]),
        position=position,
        published=False,
        **values,
    )
    session.add(figure)
    session.flush()
    audit.record(
        session, actor, "create", "figure", figure.id, f"Added figure: {figure.label}"[:300],
        after=audit.snapshot(figure),
    )
    session.commit()
    return figure


@rolls_back_on_error
def update_figure(session: Session, figure: HeadlineFigure, values: dict[str, Any], actor: StaffUser | None) -> None:
    """Change a figure; a published one changes on the public pages at once."""
    values = _clean_figure_values(session, values)
    before = audit.snapshot(figure)
    for key, value in values.items():
        setattr(figure, key, value)
    session.flush()
    audit.record(
        session, actor, "update", "figure", figure.id, f"Changed figure: {figure.label}"[:300],
        before=before, after=audit.snapshot(figure),
    )
    session.commit()


@rolls_back_on_error
def set_published(session: Session, figure: HeadlineFigure, published: bool, actor: StaffUser | None) -> None:
    """Show a figure on the public pages, or take it off them."""
    if figure.published == published:
        return
    before = audit.snapshot(figure, ["published"])
    figure.published = published
    audit.record(
        session, actor, "publish" if published else "unpublish", "figure", figure.id,
        f"{'Published' if published else 'Unpublished'} figure: {figure.label}"[:300],
        before=before, after=audit.snapshot(figure, ["published"]),
    )
    session.commit()


@rolls_back_on_error
def move(session: Session, figure: HeadlineFigure, direction: str, actor: StaffUser | None) -> bool:
    """Swap a figure with its neighbour ("up" or "down"); False when it is already at that end."""
    ordered = list(session.scalars(select(HeadlineFigure).order_by(HeadlineFigure.position, HeadlineFigure.id)))
    index = ordered.index(figure)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(ordered):
        return False
    ordered[index], ordered[target] = ordered[target], ordered[index]
    before = {row.slug: row.position for row in ordered}
    # Renumber everything, so positions stay 1..n even after rows were added with gaps or ties.
    for position, row in enumerate(ordered, start=1):
        row.position = position
    audit.record(
        session, actor, "reorder", "figure", figure.id, f"Moved figure {direction}: {figure.label}"[:300],
        before=before, after={row.slug: row.position for row in ordered},
    )
    session.commit()
    return True


def contract_choices(session: Session) -> list[tuple[int, str]]:
    """Contracts a figure can be computed from, newest first."""
    rows = session.execute(
        select(Contract.id, Contract.title).order_by(Contract.awarded_on.desc().nulls_last(), Contract.id.desc())
    )
    return [(row.id, row.title) for row in rows]


# ---------------------------------------------------------------------------
# Financial years
# ---------------------------------------------------------------------------


def _check_year_values(values: dict[str, Any]) -> dict[str, Any]:
    """Amounts must add up: no part larger than the whole."""
    values = {key: values.get(key) for key in YEAR_FIELDS}
    total = values["total_spend_pence"]
    if total is not None:
        for key, words in (
            ("lancashire_spend_pence", "Spend with Lancashire suppliers"),
            ("north_west_spend_pence", "Spend with North West suppliers"),
            ("sme_spend_pence", "Spend with SMEs"),
            ("vcse_spend_pence", "Spend with VCSEs"),
        ):
            if values[key] is not None and values[key] > total:
                raise FieldError(key, f"{words} must be no more than all supplier spend")
    lancashire, north_west = values["lancashire_spend_pence"], values["north_west_spend_pence"]
    if lancashire is not None and north_west is not None and lancashire > north_west:
        raise FieldError(
            "north_west_spend_pence",
            "Spend with North West suppliers includes Lancashire, so it must be at least the Lancashire amount",
        )
    return values


@rolls_back_on_error
def create_year(session: Session, values: dict[str, Any], actor: StaffUser | None) -> FinancialYear:
    """Add a financial year's spend, typed in from a document."""
    values = _check_year_values(values)
    if session.scalar(select(FinancialYear.id).where(FinancialYear.start_year == values["start_year"])):
        raise FieldError("start_year", "That year is already in the table: change it from the list instead")
    year = FinancialYear(computed_from_spend=False, **values)
    session.add(year)
    session.flush()
    audit.record(
        session, actor, "create", "financial_year", year.id, f"Added spend for {year.label}",
        after=audit.snapshot(year),
    )
    session.commit()
    return year


@rolls_back_on_error
def update_year(session: Session, year: FinancialYear, values: dict[str, Any], actor: StaffUser | None) -> None:
    """Change a year's spend. Amounts staff type in are documented, so imports stop updating them."""
    values = _check_year_values(values)
    if values["start_year"] != year.start_year and session.scalar(
        select(FinancialYear.id).where(FinancialYear.start_year == values["start_year"])
    ):
        raise FieldError("start_year", "That year is already in the table: change it from the list instead")
    before = audit.snapshot(year)
    for key, value in values.items():
        setattr(year, key, value)
    year.computed_from_spend = False
    session.flush()
    audit.record(
        session, actor, "update", "financial_year", year.id, f"Changed spend for {year.label}",
        before=before, after=audit.snapshot(year),
    )
    session.commit()


def year_values(year: FinancialYear) -> dict[str, Any]:
    """A year's editable values, to fill the form."""
    return {key: getattr(year, key) for key in YEAR_FIELDS}


def figure_values(figure: HeadlineFigure) -> dict[str, Any]:
    """A figure's editable values, to fill the form."""
    return {key: getattr(figure, key) for key in FIGURE_FIELDS}


def financial_year_of(day: date) -> int:
    """The start year of the April-to-March financial year a date falls in."""
    return day.year if day.month >= 4 else day.year - 1
