"""Spend breakdowns: one financial year's spend by month, category, supplier, area, SME and VCSE, each as CSV too."""

from __future__ import annotations

from flask import Response, abort, render_template, request

from campaign.admin import bp
from campaign.extensions import db
from campaign.services.spend import breakdowns

KINDS = ",".join(f'"{kind}"' for kind in breakdowns.BREAKDOWNS)


def _chosen_year() -> tuple[int | None, list[int]]:
    """The ?year= asked for when it has payments, else the latest year; and every year there is."""
    years = breakdowns.years(db.session)
    asked = request.args.get("year", type=int)
    if asked in years:
        return asked, years
    return (years[0] if years else None), years


@bp.route("/spend/breakdowns", endpoint="breakdowns")
def breakdowns_index():
    """Choose a year and a breakdown of its spend."""
    year, years = _chosen_year()
    summary = breakdowns.year_summary(db.session, year) if year is not None else None
    return render_template(
        "admin/breakdowns/index.html", year=year, years=years, summary=summary, titles=breakdowns.TITLES,
        source=breakdowns.source_line(summary) if summary else "",
    )


@bp.route(f"/spend/breakdowns/<any({KINDS}):kind>", endpoint="breakdown")
def breakdown_page(kind: str):
    """One breakdown of a year's spend, as a table."""
    year, years = _chosen_year()
    if year is None:
        return render_template("admin/breakdowns/table.html", kind=kind, title=breakdowns.TITLES[kind], year=None,
                               years=years, table=None, source="")
    summary = breakdowns.year_summary(db.session, year)
    return render_template(
        "admin/breakdowns/table.html", kind=kind, title=breakdowns.TITLES[kind], year=year, years=years,
        table=breakdowns.BREAKDOWNS[kind](db.session, year), source=breakdowns.source_line(summary),
    )


@bp.route(f"/spend/breakdowns/<any({KINDS}):kind>.csv", endpoint="breakdown_csv")
def breakdown_csv(kind: str):
    """One breakdown of a year's spend as a CSV file."""
    year, _ = _chosen_year()
    if year is None:
        abort(404)
    summary = breakdowns.year_summary(db.session, year)
    text = breakdowns.to_csv(breakdowns.BREAKDOWNS[kind](db.session, year), summary)
    filename = f"spend-{kind}-{year}-{(year + 1) % 100:02d}.csv"
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
