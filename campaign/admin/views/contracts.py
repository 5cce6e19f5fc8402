"""The contracts register: filter, export, add and change contracts and the social value they deliver."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from campaign.admin import bp
from campaign.admin.forms.contracts import ContractFilterForm, ContractForm
from campaign.admin.views.common import actor, form_page, get_or_404, show_error
from campaign.extensions import db
from campaign.formatting import year_label
from campaign.models import Contract
from campaign.services.spend import contracts
from campaign.services.validation import FieldError


def _contract_filters():
    """The filter form and the filters it describes (bad values are ignored)."""
    form = ContractFilterForm(request.args)
    form.category.choices = [("", "All categories")] + [(c, c) for c in contracts.categories(db.session)]
    form.year.choices = [("", "All years")] + [
        (year, year_label(year)) for year in contracts.award_years(db.session)
    ]
    form.validate()
    return form, contracts.ContractFilters(
        category=form.category.data if not form.category.errors and form.category.data else "",
        supplier=(form.supplier.data or "") if not form.supplier.errors else "",
        year=form.year.data if not form.year.errors else None,
        below_minimum=bool(form.below_minimum.data),
    )


@bp.route("/contracts", endpoint="contracts")
def contracts_list():
    """The contracts register with filters and totals."""
    form, filters = _contract_filters()
    return render_template(
        "admin/contracts/list.html", filter_form=form, filters=filters,
        contracts=contracts.list_contracts(db.session, filters),
        totals=contracts.totals(db.session, filters),
        minimum=contracts.POLICY_MINIMUM_BP,
    )


@bp.route("/contracts/export.csv")
def contracts_export():
    """The filtered register as a CSV file."""
    _, filters = _contract_filters()
    return Response(
        contracts.export_csv(db.session, filters), mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="contracts-register.csv"'},
    )


def _contract_form(contract: Contract | None) -> ContractForm:
    """The contract form, filled from the contract on first view."""
    data = contracts.values_of(contract) if contract is not None and request.method == "GET" else None
    form = ContractForm(data=data)
    form.case_study_id.choices = [("", "No case study")] + contracts.case_study_choices(db.session)
    return form


@bp.route("/contracts/new", methods=["GET", "POST"])
def contract_new():
    """Add a contract to the register."""
    form = _contract_form(None)
    if form.validate_on_submit():
        try:
            contract = contracts.create(db.session, form.values(), actor())
        except FieldError as error:
            show_error(form, error)
        else:
            flash(f"Contract “{contract.title}” added.", "success")
            return redirect(url_for("admin.contracts"))
    return form_page("admin/contracts/form.html", form, contract=None)


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
def contract_edit(contract_id: int):
    """Change a contract, or record what it delivered."""
    contract = get_or_404(Contract, contract_id)
    form = _contract_form(contract)
    if form.validate_on_submit():
        try:
            contracts.update(db.session, contract, form.values(), actor())
        except FieldError as error:
            show_error(form, error)
        else:
            flash(f"Contract “{contract.title}” saved.", "success")
            return redirect(url_for("admin.contracts"))
    return form_page("admin/contracts/form.html", form, contract=contract)
