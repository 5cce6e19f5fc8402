"""Headline figures: add, change, preview, publish and order the figures the home page shows."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from campaign.admin import bp
from campaign.admin.forms.figures import FigureForm
from campaign.admin.views.common import actor, form_page, get_or_404, show_error
from campaign.extensions import db
from campaign.models import HeadlineFigure
from campaign.services.figures import editing as admin_figures
from campaign.services.figures import headline as figures
from campaign.services.spend import review
from campaign.services.validation import FieldError


def _figure_form(figure: HeadlineFigure | None = None) -> FigureForm:
    """The figure form with the current contracts to choose from."""
    # Only the first view is filled from the row: a POST shows exactly what was sent, missing fields included.
    filled = figure is not None and request.method == "GET"
    form = FigureForm(obj=figure if filled else None)
    form.param_contract.choices = [("", "Select a contract")] + admin_figures.contract_choices(db.session)
    if filled:
        form.fill(admin_figures.figure_values(figure))
    return form


def _save_figure(form: FigureForm, figure: HeadlineFigure | None):
    """Preview or save a figure form: (redirect, None) once saved, else (None, preview or None) to show it again."""
    preview = None
    if form.validate_on_submit():
        try:
            if request.form.get("action") == "preview":
                preview = admin_figures.preview_figure(db.session, form.values())
            elif figure is None:
                figure = admin_figures.create_figure(db.session, form.values(), actor())
                flash("Figure added as a draft: preview it, then publish it to show it on the site.", "success")
                return redirect(url_for("admin.figure_preview", figure_id=figure.id)), None
            else:
                admin_figures.update_figure(db.session, figure, form.values(), actor())
                flash("Figure saved." + (" The public pages show the change now." if figure.published else ""),
                      "success")
                return redirect(url_for("admin.figures")), None
        except FieldError as error:
            show_error(form, error)
    return None, preview


@bp.route("/figures", endpoint="figures")
def figures_list():
    """Every headline figure, in the order the home page shows them."""
    return render_template("admin/figures/list.html", rows=admin_figures.all_figures(db.session))


@bp.route("/figures/new", methods=["GET", "POST"])
def figure_new():
    """Add a headline figure."""
    form = _figure_form()
    response, preview = _save_figure(form, None)
    if response is not None:
        return response
    return form_page("admin/figures/form.html", form, figure=None, preview=preview)


@bp.route("/figures/<int:figure_id>/edit", methods=["GET", "POST"])
def figure_edit(figure_id: int):
    """Change a headline figure."""
    figure = get_or_404(HeadlineFigure, figure_id)
    form = _figure_form(figure)
    response, preview = _save_figure(form, figure)
    if response is not None:
        return response
    return form_page("admin/figures/form.html", form, figure=figure, preview=preview)


@bp.route("/figures/<int:figure_id>/preview")
def figure_preview(figure_id: int):
    """A figure as the public will see it."""
    figure = get_or_404(HeadlineFigure, figure_id)
    return render_template(
        "admin/figures/preview.html", figure=figure, display=figures.to_display(db.session, figure)
    )


@bp.route("/figures/<int:figure_id>/publish", methods=["POST"])
def figure_publish(figure_id: int):
    """Show a figure on the home and figures pages."""
    figure = get_or_404(HeadlineFigure, figure_id)
    try:
        review.check_can_publish_figure(db.session, figure.id, actor())
    except review.ReviewError as error:
        flash(str(error), "error")
        abort(403)
    admin_figures.set_published(db.session, figure, True, actor())
    flash(f"Published: the home page now shows “{figure.label}”.", "success")
    return redirect(url_for("admin.figures"))


@bp.route("/figures/<int:figure_id>/unpublish", methods=["POST"])
def figure_unpublish(figure_id: int):
    """Take a figure off the public pages."""
    figure = get_or_404(HeadlineFigure, figure_id)
    admin_figures.set_published(db.session, figure, False, actor())
    flash(f"Unpublished: “{figure.label}” is no longer on the public pages.", "success")
    return redirect(url_for("admin.figures"))


@bp.route("/figures/<int:figure_id>/move/<any(up, down):direction>", methods=["POST"])
def figure_move(figure_id: int, direction: str):
    """Move a figure one place up or down the list."""
    figure = get_or_404(HeadlineFigure, figure_id)
    if admin_figures.move(db.session, figure, direction, actor()):
        flash(f"Moved “{figure.label}” {direction}.", "success")
    return redirect(url_for("admin.figures", _anchor=f"figure-{figure.id}"))
