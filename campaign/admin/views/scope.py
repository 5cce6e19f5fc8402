"""Scope and coverage: which spend procurement can influence, the minimum coverage, and the supplier work list."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from campaign.admin import bp
from campaign.admin.forms.fields import ConfirmForm
from campaign.admin.forms.review import MinimumCoverageForm, ScopeRuleForm
from campaign.admin.views.common import (
    actor,
    after_saving,
    form_page,
    get_or_404,
    query_text,
    show_error,
    work_list_year,
)
from campaign.extensions import db
from campaign.formatting import year_label
from campaign.models import ScopeRule
from campaign.models.spend import SCOPE_REASONS
from campaign.services.spend import coverage, publication, review, scope
from campaign.services.validation import FieldError


def year_list(start_years: list[int]) -> str:
    """Years in words: "2023/24", "2023/24 and 2024/25", "2022/23, 2023/24 and 2024/25"."""
    labels = [year_label(year) for year in start_years]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _scope_page(rule_form: ScopeRuleForm, minimum_form: MinimumCoverageForm):
    """The scope page: rules, categories seen in the payments, and the minimum coverage."""
    response = form_page(
        "admin/scope/list.html", rule_form, minimum_form=minimum_form, rules=scope.all_rules(db.session),
        categories=scope.known_categories(db.session), reasons=SCOPE_REASONS, kinds=scope.KINDS,
        minimum=coverage.minimum_coverage(db.session), year=work_list_year(),
    )
    return response if not minimum_form.errors else (response[0], 400)


@bp.route("/scope", methods=["GET", "POST"], endpoint="scope")
def scope_rules():
    """Leave categories and payees out of scope, with a reason."""
    form = ScopeRuleForm()
    if request.method == "GET":
        form.value.data = query_text("value", 300) or None
        if request.args.get("kind") in scope.KINDS:
            form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        try:
            rule = scope.add_rule(db.session, form.kind.data, form.value.data, form.reason.data, form.note.data,
                                  actor())
        except FieldError as error:
            show_error(form, error)
        else:
            flash(f"{rule.value} is out of scope: {SCOPE_REASONS[rule.reason].lower()}. "
                  "The draft figures are worked out again; the public sees them once a publisher approves them.",
                  "success")
            return redirect(after_saving("admin.scope"))
    return _scope_page(form, MinimumCoverageForm(formdata=None, minimum=coverage.minimum_coverage(db.session)))


@bp.route("/scope/minimum", methods=["POST"])
def scope_minimum():
    """Change the minimum coverage below which a share cannot be published (publishers and admins)."""
    form = MinimumCoverageForm()
    try:
        review.check_can_publish(actor())
    except review.ReviewError as error:
        flash(str(error), "error")
        abort(403)
    if form.validate_on_submit():
        try:
            affected = publication.set_minimum_coverage(db.session, form.minimum.data, actor())
        except FieldError as error:
            show_error(form, error)
        else:
            message = f"The minimum coverage is now {form.minimum.data / 100:g}%."
            if affected:
                message += (f" The public figures for {year_list(affected)} were approved under the old minimum: "
                            "approve them again on the review page to publish them under the new one.")
            flash(message, "success")
            return redirect(url_for("admin.scope"))
    return _scope_page(ScopeRuleForm(formdata=None), form)


@bp.route("/scope/<int:rule_id>/remove", methods=["POST"])
def scope_remove(rule_id: int):
    """Bring a category or payee back into scope."""
    rule = get_or_404(ScopeRule, rule_id)
    if ConfirmForm().validate_on_submit():
        scope.remove_rule(db.session, rule, actor())
        flash(f"{rule.value} is back in scope. The draft figures are worked out again; the public sees them "
              "once a publisher approves them.", "success")
    return redirect(url_for("admin.scope"))


@bp.route("/work-list")
def work_list():
    """Unclassified payees of a year, by in-scope spend, with the coverage each would add."""
    years = [row.start_year for row in coverage.draft_years(db.session)]
    year = request.args.get("year", type=int)
    if year is None and years:
        year = years[0]
    if year is not None and year not in years:
        abort(404)
    items, figures = coverage.work_list(db.session, year) if year is not None else ([], None)
    return render_template(
        "admin/scope/work_list.html", items=items, figures=figures, years=years, year=year,
        minimum=coverage.minimum_coverage(db.session),
    )
