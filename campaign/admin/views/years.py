"""Spend by financial year: the yearly table, typed in from documents or worked out from imported spend."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from campaign.admin import bp
from campaign.admin.forms.years import YearForm
from campaign.admin.views.common import actor, form_page, get_or_404, show_error
from campaign.extensions import db
from campaign.models import FinancialYear
from campaign.services.figures import editing as admin_figures
from campaign.services.figures import headline as figures
from campaign.services.spend import review, staging, totals
from campaign.services.validation import FieldError


@bp.route("/spend-by-year")
def years():
    """The spend-by-year table, with the totals worked out from imported payments beside it."""
    years = figures.yearly_spend(db.session)
    return render_template(
        "admin/years/list.html",
        years=years,
        flags={year.id: figures.staff_flags(year) for year in years},
        computed=totals.computed_totals(db.session),
    )


def _publishers_only() -> None:
    """The spend-by-year table shows on the public figures page at once, so only publishers change it."""
    try:
        review.check_can_publish(actor())
    except review.ReviewError as error:
        flash(str(error), "error")
        abort(403)


@bp.route("/spend-by-year/new", methods=["GET", "POST"])
def year_new():
    """Add a financial year's spend from a document."""
    _publishers_only()
    form = YearForm()
    if form.validate_on_submit():
        try:
            year = admin_figures.create_year(db.session, form.values(), actor())
        except FieldError as error:
            show_error(form, error)
        else:
            flash(f"Spend for {year.label} added.", "success")
            return redirect(url_for("admin.years"))
    return form_page("admin/years/form.html", form, year=None)


@bp.route("/spend-by-year/<int:year_id>/edit", methods=["GET", "POST"])
def year_edit(year_id: int):
    """Change a financial year's spend."""
    _publishers_only()
    year = get_or_404(FinancialYear, year_id)
    form = YearForm(data=admin_figures.year_values(year) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            admin_figures.update_year(db.session, year, form.values(), actor())
        except FieldError as error:
            show_error(form, error)
        else:
            flash(f"Spend for {year.label} saved.", "success")
            return redirect(url_for("admin.years"))
    return form_page("admin/years/form.html", form, year=year)


@bp.route("/spend-by-year/<int:year_id>/use-computed", methods=["POST"])
def year_use_computed(year_id: int):
    """Switch a documented year to the totals worked out from imported payments."""
    _publishers_only()
    year = get_or_404(FinancialYear, year_id)
    try:
        totals.use_computed_totals(db.session, year, actor())
    except staging.SpendImportError as error:
        flash(str(error), "error")
    else:
        flash(f"{year.label} now shows the totals worked out from imported spend.", "success")
    return redirect(url_for("admin.years"))
