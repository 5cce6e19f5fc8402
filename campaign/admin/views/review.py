"""Review before public: imports and computed years waiting for a publisher, approved one at a time."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from campaign.admin import bp
from campaign.admin.forms.fields import ConfirmForm
from campaign.admin.views.common import actor, get_or_404
from campaign.extensions import db
from campaign.models import SpendImport
from campaign.services.spend import coverage, publication, review


@bp.route("/review")
def review_list(error: str | None = None, status: int = 200):
    """Imports and yearly figures waiting for approval, beside what the public sees now."""
    return render_template(
        "admin/review/list.html", imports=review.waiting_imports(db.session),
        years=publication.years_to_review(db.session), error=error,
        minimum=coverage.minimum_coverage(db.session), two_person=review.two_person(), form=ConfirmForm(),
    ), status


@bp.route("/review/imports/<int:import_id>/approve", methods=["POST"])
def review_approve_import(import_id: int):
    """Count a draft import's payments (a publisher's step)."""
    record = get_or_404(SpendImport, import_id)
    if ConfirmForm().validate_on_submit():
        try:
            review.approve_import(db.session, record, actor())
        except review.ReviewError as error:
            return review_list(str(error), error.status)
        flash(f"Approved {record.filename}: its payments now count in the draft figures. "
              "Approve each year's figures to publish them.", "success")
    return redirect(url_for("admin.review_list"))


@bp.route("/review/years/<int:start_year>/approve", methods=["POST"])
def review_approve_year(start_year: int):
    """Publish a year's draft figures (a publisher's step)."""
    if ConfirmForm().validate_on_submit():
        try:
            approved = review.approve_year(db.session, start_year, actor())
        except review.ReviewError as error:
            return review_list(str(error), error.status)
        flash(f"Published the figures for {approved.label}.", "success")
    return redirect(url_for("admin.review_list"))
