"""Headline figures: the numbers the campaign shows and the sums behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.formatting import UK, figure_value
from campaign.models import ComputedYear, FinancialYear, HeadlineFigure
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
    published_on: date | None
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
        published_on=figure.published_on,
        # A figure true on the day it was published says its date once, as "published on".
        as_of=figure.as_of if figure.as_of != figure.published_on else None,
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


# A figure whose source is older than this is flagged to staff, so they check for a newer one.
STALE_AFTER = timedelta(days=365)


@dataclass(frozen=True)
class FiguresStatus:
    """How current the figures are: when the newest was published and when this site last changed them."""

    newest_published: date | None
    last_changed: date | None
    newer_published: bool
    checked_on: date | None
    newest_is_computed: bool = False  # the newest are figures worked out from payments, dated by their approval


def status(
    session: Session, newer_published: bool = False, checked_on: date | None = None,
    years: list[FinancialYear] | None = None, computed: list[ComputedYear] | None = None,
) -> FiguresStatus:
    """The figures' dates; whether newer figures exist is a staff setting, passed in, never guessed.

    A year computed from published payments counts as published on the day a publisher approved it.
    A page that already has the financial years or the approved computed years passes them, so they
    are not read twice.
    """
    figures = session.scalars(select(HeadlineFigure).where(HeadlineFigure.published.is_(True))).all()
    years = yearly_spend(session) if years is None else years
    published = [row.published_on for row in [*figures, *years] if row.published_on]
    changed = [row.updated_at for row in [*figures, *years] if row.updated_at]
    if computed is None:
        computed = list(session.scalars(select(ComputedYear).where(ComputedYear.status == "approved")))
    approved = [row.approved_at for row in computed if row.status == "approved" and row.approved_at is not None]
    computed_on = max(approved).astimezone(UK).date() if approved else None
    documented_on = max(published, default=None)
    newest_is_computed = computed_on is not None and (documented_on is None or computed_on > documented_on)
    changed += approved
    return FiguresStatus(
        newest_published=computed_on if newest_is_computed else documented_on,
        last_changed=max(changed).astimezone(UK).date() if changed else None,
        newer_published=newer_published,
        checked_on=checked_on,
        newest_is_computed=newest_is_computed,
    )


def staff_flags(row: HeadlineFigure | FinancialYear, today: date | None = None) -> list[str]:
    """What staff should check about a figure or year: a missing source address, or a source over a year old."""
    today = today or datetime.now(UK).date()
    flags = []
    if not row.source_url:
        flags.append("No link to the source")
    dated = row.published_on or getattr(row, "as_of", None)
    if dated is None:
        flags.append("No date from the source: check it is still current")
    elif today - dated > STALE_AFTER:
        flags.append("Over a year old: check for newer figures")
    return flags


@dataclass(frozen=True)
class Source:
    """A document the figures come from, listed once however many figures cite it."""

    text: str
    url: str | None
    published_on: date | None


def sources(shown: list[DisplayFigure], years: list[FinancialYear]) -> list[Source]:
    """Every source the figures and years cite, once each, in the order they first appear."""
    found: dict[tuple, Source] = {}
    for row in [*shown, *years]:
        if row.source_text:
            source = Source(row.source_text, row.source_url, row.published_on)
            found.setdefault((source.text, source.url, source.published_on), source)
    return list(found.values())
