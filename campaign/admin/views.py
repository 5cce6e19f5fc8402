"""Admin views: dashboard, figures, years, suppliers, spend import, contracts, content, staff, audit.

Each view validates its form, calls one service, flashes what happened and redirects.
A form with errors is shown again with the errors and a 400.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from campaign.admin import bp
from campaign.admin import forms as admin_forms
from campaign.auth.views import admin_required
from campaign.extensions import db
from campaign.models import (
    CaseStudy,
    Contract,
    FinancialYear,
    HeadlineFigure,
    Quote,
    SpendImport,
    StaffUser,
    Supplier,
)
from campaign.models.common import utcnow
from campaign.services import audit, staff
from campaign.services.content import editing as content_admin
from campaign.services.content import markdown
from campaign.services.figures import editing as admin_figures
from campaign.services.figures import headline as figures
from campaign.services.geography import COUNCIL_AREAS
from campaign.services.spend import contracts, suppliers
from campaign.services.spend import imports as spend_import
from campaign.services.validation import FieldError

MAX_ID = 2**31 - 1  # the largest id an INTEGER primary key holds on PostgreSQL
MAX_ERRORS_SHOWN = 500  # a wrong mapping can make every row an error; the rest are in the CSV download


def _actor() -> StaffUser:
    """The signed-in member of staff, as a model row for the audit log."""
    return current_user._get_current_object()


def _get_or_404(model, row_id: int):
    """A row by id, or a 404 (ids beyond a 32-bit integer cannot exist, and databases refuse them)."""
    if not 0 < row_id <= MAX_ID:
        abort(404)
    row = db.session.get(model, row_id)
    if row is None:
        abort(404)
    return row


def _show_error(form, error: FieldError) -> None:
    """Put a service's error beside the field it concerns, or at the top of the form."""
    db.session.rollback()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _form_page(template: str, form, **context):
    """Render a form page: 200 at first, 400 when it comes back with errors."""
    status = 400 if form.errors else 200
    return render_template(template, form=form, **context), status


def _query_text(name: str, limit: int = 200) -> str:
    """A text query parameter, cut to length and without NUL characters no database text can hold."""
    return request.args.get(name, "")[:limit].replace("\x00", "")


def _page_number() -> int:
    """The ?page= number, 1 when missing or nonsense."""
    page = request.args.get("page", 1, type=int) or 1
    return max(1, min(page, 100_000))


@bp.route("/")
def dashboard():
    """The staff area's front page: what needs attention."""
    return render_template(
        "admin/dashboard.html",
        attention=suppliers.attention_counts(db.session),
        figure_rows=admin_figures.all_figures(db.session),
        imports=spend_import.recent_imports(db.session, limit=5),
    )


# ---------------------------------------------------------------------------
# Headline figures
# ---------------------------------------------------------------------------


def _figure_form(figure: HeadlineFigure | None = None) -> admin_forms.FigureForm:
    """The figure form with the current contracts to choose from."""
    # Only the first view is filled from the row: a POST shows exactly what was sent, missing fields included.
    filled = figure is not None and request.method == "GET"
    form = admin_forms.FigureForm(obj=figure if filled else None)
    form.param_contract.choices = [("", "Select a contract")] + admin_figures.contract_choices(db.session)
    if filled:
        form.fill(admin_figures.figure_values(figure))
    return form


def _save_figure(form: admin_forms.FigureForm, figure: HeadlineFigure | None):
    """Preview or save a figure form: (redirect, None) once saved, else (None, preview or None) to show it again."""
    preview = None
    if form.validate_on_submit():
        try:
            if request.form.get("action") == "preview":
                preview = admin_figures.preview_figure(db.session, form.values())
            elif figure is None:
                figure = admin_figures.create_figure(db.session, form.values(), _actor())
                flash("Figure added as a draft: preview it, then publish it to show it on the site.", "success")
                return redirect(url_for("admin.figure_preview", figure_id=figure.id)), None
            else:
                admin_figures.update_figure(db.session, figure, form.values(), _actor())
                flash("Figure saved." + (" The public pages show the change now." if figure.published else ""),
                      "success")
                return redirect(url_for("admin.figures")), None
        except FieldError as error:
            _show_error(form, error)
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
    return _form_page("admin/figures/form.html", form, figure=None, preview=preview)


@bp.route("/figures/<int:figure_id>/edit", methods=["GET", "POST"])
def figure_edit(figure_id: int):
    """Change a headline figure."""
    figure = _get_or_404(HeadlineFigure, figure_id)
    form = _figure_form(figure)
    response, preview = _save_figure(form, figure)
    if response is not None:
        return response
    return _form_page("admin/figures/form.html", form, figure=figure, preview=preview)


@bp.route("/figures/<int:figure_id>/preview")
def figure_preview(figure_id: int):
    """A figure as the public will see it."""
    figure = _get_or_404(HeadlineFigure, figure_id)
    return render_template(
        "admin/figures/preview.html", figure=figure, display=figures.to_display(db.session, figure)
    )


@bp.route("/figures/<int:figure_id>/publish", methods=["POST"])
def figure_publish(figure_id: int):
    """Show a figure on the home and figures pages."""
    figure = _get_or_404(HeadlineFigure, figure_id)
    admin_figures.set_published(db.session, figure, True, _actor())
    flash(f"Published: the home page now shows “{figure.label}”.", "success")
    return redirect(url_for("admin.figures"))


@bp.route("/figures/<int:figure_id>/unpublish", methods=["POST"])
def figure_unpublish(figure_id: int):
    """Take a figure off the public pages."""
    figure = _get_or_404(HeadlineFigure, figure_id)
    admin_figures.set_published(db.session, figure, False, _actor())
    flash(f"Unpublished: “{figure.label}” is no longer on the public pages.", "success")
    return redirect(url_for("admin.figures"))


@bp.route("/figures/<int:figure_id>/move/<any(up, down):direction>", methods=["POST"])
def figure_move(figure_id: int, direction: str):
    """Move a figure one place up or down the list."""
    figure = _get_or_404(HeadlineFigure, figure_id)
    if admin_figures.move(db.session, figure, direction, _actor()):
        flash(f"Moved “{figure.label}” {direction}.", "success")
    return redirect(url_for("admin.figures", _anchor=f"figure-{figure.id}"))


# ---------------------------------------------------------------------------
# Spend by financial year
# ---------------------------------------------------------------------------


@bp.route("/spend-by-year")
def years():
    """The spend-by-year table, with the totals worked out from imported payments beside it."""
    return render_template(
        "admin/years/list.html",
        years=figures.yearly_spend(db.session),
        computed=spend_import.computed_totals(db.session),
    )


@bp.route("/spend-by-year/new", methods=["GET", "POST"])
def year_new():
    """Add a financial year's spend from a document."""
    form = admin_forms.YearForm()
    if form.validate_on_submit():
        try:
            year = admin_figures.create_year(db.session, form.values(), _actor())
        except FieldError as error:
            _show_error(form, error)
        else:
            flash(f"Spend for {year.label} added.", "success")
            return redirect(url_for("admin.years"))
    return _form_page("admin/years/form.html", form, year=None)


@bp.route("/spend-by-year/<int:year_id>/edit", methods=["GET", "POST"])
def year_edit(year_id: int):
    """Change a financial year's spend."""
    year = _get_or_404(FinancialYear, year_id)
    form = admin_forms.YearForm(data=admin_figures.year_values(year) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            admin_figures.update_year(db.session, year, form.values(), _actor())
        except FieldError as error:
            _show_error(form, error)
        else:
            flash(f"Spend for {year.label} saved.", "success")
            return redirect(url_for("admin.years"))
    return _form_page("admin/years/form.html", form, year=year)


@bp.route("/spend-by-year/<int:year_id>/use-computed", methods=["POST"])
def year_use_computed(year_id: int):
    """Switch a documented year to the totals worked out from imported payments."""
    year = _get_or_404(FinancialYear, year_id)
    try:
        spend_import.use_computed_totals(db.session, year, _actor())
    except spend_import.SpendImportError as error:
        flash(str(error), "error")
    else:
        flash(f"{year.label} now shows the totals worked out from imported spend.", "success")
    return redirect(url_for("admin.years"))


# ---------------------------------------------------------------------------
# Suppliers
# ---------------------------------------------------------------------------


@bp.route("/suppliers", endpoint="suppliers")
def suppliers_list():
    """The supplier register, searchable and filtered by location or the needs-confirming flag."""
    text = _query_text("q")
    location = _query_text("location")
    flagged = request.args.get("flagged") == "1"
    return render_template(
        "admin/suppliers/list.html",
        result=suppliers.search(db.session, text, location, flagged, _page_number()),
        attention=suppliers.attention_counts(db.session),
        q=text, location=location if location in suppliers.LOCATION_LABELS else "", flagged=flagged,
        location_labels=suppliers.LOCATION_LABELS,
        councils=dict(COUNCIL_AREAS),
    )


def _supplier_page(form, supplier: Supplier | None):
    """Render the supplier form with what the postcode table says."""
    postcode = form.postcode.data if form.postcode.data else (supplier.postcode if supplier else None)
    spend = suppliers.spend_with(db.session, supplier) if supplier else None
    return _form_page(
        "admin/suppliers/form.html", form, supplier=supplier,
        postcode_info=suppliers.describe_postcode(postcode), councils=dict(COUNCIL_AREAS),
        location_labels=suppliers.LOCATION_LABELS, spend=spend,
        aliases=suppliers.aliases_of(db.session, supplier) if supplier else [],
    )


@bp.route("/suppliers/new", methods=["GET", "POST"])
def supplier_new():
    """Add a supplier to the register (from a name in the payments, when ?name= is given)."""
    form = admin_forms.SupplierForm()
    if request.method == "GET" and request.args.get("name"):
        form.name.data = _query_text("name", 300)
    if form.validate_on_submit():
        try:
            supplier = suppliers.create(db.session, form.values(), _actor())
        except FieldError as error:
            _show_error(form, error)
        else:
            flash(_placement_message(supplier, "added"), "success")
            return redirect(url_for("admin.suppliers"))
    return _supplier_page(form, None)


@bp.route("/suppliers/<int:supplier_id>/edit", methods=["GET", "POST"])
def supplier_edit(supplier_id: int):
    """Change a supplier, or confirm where it is."""
    supplier = _get_or_404(Supplier, supplier_id)
    form = admin_forms.SupplierForm(data=suppliers.values_of(supplier) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            suppliers.update(db.session, supplier, form.values(), _actor())
        except FieldError as error:
            _show_error(form, error)
        else:
            flash(_placement_message(supplier, "saved"), "success")
            return redirect(url_for("admin.suppliers"))
    return _supplier_page(form, supplier)


def _placement_message(supplier: Supplier, verb: str) -> str:
    """What staff need to know after saving a supplier."""
    message = f"{supplier.name} {verb}: {suppliers.LOCATION_LABELS[supplier.location]}."
    if supplier.needs_confirmation:
        message += " Its postcode district crosses a boundary, so confirm the council area when you can."
    return message


@bp.route("/suppliers/unmatched")
def suppliers_unmatched():
    """Names in the imported payments that match no supplier in the register."""
    page = _page_number()
    rows, total = spend_import.unmatched_suppliers(db.session, limit=50, offset=(page - 1) * 50)
    return render_template(
        "admin/suppliers/unmatched.html", rows=rows, total=total, page=page, pages=max(1, -(-total // 50))
    )


@bp.route("/suppliers/unmatched/match", methods=["GET", "POST"])
def supplier_match():
    """Match an unmatched name to a supplier already in the register."""
    key = _query_text("key", 300)
    name = spend_import.unmatched_name(db.session, key) if key else None
    if name is None:
        flash("Those payments are already matched to a supplier.", "info")
        return redirect(url_for("admin.suppliers_unmatched"))
    form = admin_forms.MatchSupplierForm()
    if form.validate_on_submit():
        try:
            supplier = suppliers.match_alias(db.session, key, form.supplier_name.data, _actor())
        except FieldError as error:
            if error.field is None:  # someone matched these payments while the form was open
                db.session.rollback()
                flash(error.message + ".", "info")
                return redirect(url_for("admin.suppliers_unmatched"))
            _show_error(form, error)
        else:
            flash(f"Payments to “{name}” now count as {supplier.name}.", "success")
            return redirect(url_for("admin.suppliers_unmatched"))
    return _form_page("admin/suppliers/match.html", form, name=name, key=key)


# ---------------------------------------------------------------------------
# Spend import: upload -> columns -> preview -> import
# ---------------------------------------------------------------------------


def _staged_or_redirect(token: str):
    """The staged upload for this token, or a redirect back to the upload page."""
    staged = spend_import.get_staged(db.session, token, current_user.id)
    if staged is None:
        flash("That upload has expired or was already imported. Upload the file again to carry on.", "info")
        return None, redirect(url_for("admin.spend_import"))
    return staged, None


@bp.route("/spend/import", methods=["GET", "POST"], endpoint="spend_import")
def spend_import_upload():
    """Step 1: upload a transparency spend file."""
    form = admin_forms.UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read() if upload is not None and hasattr(upload, "read") else b""
        if upload is None or not getattr(upload, "filename", ""):
            form.file.errors.append("Select a spend file (CSV) to upload")
        else:
            try:
                staged = spend_import.stage(db.session, upload.filename, data, current_user.id)
            except spend_import.SpendImportError as error:
                db.session.rollback()
                form.file.errors.append(str(error))
            else:
                return redirect(url_for("admin.spend_import_mapping", token=staged.token))
    return _form_page(
        "admin/spend/upload.html", form, imports=spend_import.recent_imports(db.session),
        attention=suppliers.attention_counts(db.session),
    )


@bp.route("/spend/import/<token>/columns", methods=["GET", "POST"])
def spend_import_mapping(token: str):
    """Step 2: confirm which column holds the date, supplier, amount and reference."""
    staged, response = _staged_or_redirect(token)
    if response is not None:
        return response
    try:
        headers = spend_import.read_headers(staged.data)
    except spend_import.SpendImportError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.spend_import"))
    form = admin_forms.MappingForm()
    form.set_columns(headers)
    proposed, remembered = spend_import.mapping_for(db.session, headers)
    if request.method == "GET":
        for name, index in (staged.mapping or proposed).items():
            getattr(form, name).data = index
    if form.validate_on_submit():
        try:
            spend_import.set_mapping(db.session, staged, form.mapping())
        except FieldError as error:
            _show_error(form, error)
        else:
            return redirect(url_for("admin.spend_import_preview", token=token))
    sample = spend_import.spend_parse.read_table(staged.data).rows[:5]
    return _form_page(
        "admin/spend/mapping.html", form, staged=staged, headers=headers, sample=sample, remembered=remembered,
    )


@bp.route("/spend/import/<token>/preview", methods=["GET", "POST"])
def spend_import_preview(token: str):
    """Step 3: every row, the totals and every error; then import."""
    staged, response = _staged_or_redirect(token)
    if response is not None:
        return response
    if staged.mapping is None:
        return redirect(url_for("admin.spend_import_mapping", token=token))
    form = admin_forms.ImportConfirmForm()
    try:
        if form.validate_on_submit():
            # Parsed once and handed to the import, so a large file is not read twice in one request.
            parsed = spend_import.parse_staged(staged)
            if not parsed.rows:
                # Only a stale page can ask for this: the preview offers no import button without payments.
                flash("There are no payments to import: check the columns, or the file.", "error")
                return redirect(url_for("admin.spend_import_preview", token=token))
            if parsed.errors and not form.accept_errors.data:
                form.accept_errors.errors.append(
                    "Confirm you have read the errors, or change the columns or the file and try again"
                )
            else:
                return _imported(spend_import.import_staged(db.session, staged, _actor(), parsed))
        preview = spend_import.preview_staged(db.session, staged)
    except spend_import.SpendImportError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.spend_import"))
    return _form_page(
        "admin/spend/preview.html", form, staged=staged, preview=preview, max_errors=MAX_ERRORS_SHOWN,
    )


def _imported(record: SpendImport):
    """Say what an import added, and show its record."""
    already = record.row_count - record.added_count
    flash(
        f"Imported {record.filename}: {record.added_count:,} new payments added"
        + (f", {already:,} were already here" if already else "")
        + ". Yearly totals are up to date.",
        "success",
    )
    return redirect(url_for("admin.spend_import_detail", import_id=record.id))


@bp.route("/spend/import/<token>/errors.csv")
def spend_import_errors(token: str):
    """Every row error in a staged file, as a CSV to work through."""
    staged, response = _staged_or_redirect(token)
    if response is not None:
        return response
    try:
        preview = spend_import.preview_staged(db.session, staged)
    except spend_import.SpendImportError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.spend_import_mapping", token=token))
    lines = ["Line,Problem"] + [
        f'{error.line},"{contracts.safe_cell(error.message).replace(chr(34), chr(34) * 2)}"'
        for error in preview.parsed.errors
    ]
    return Response(
        "\r\n".join(lines) + "\r\n", mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="import-errors.csv"'},
    )


@bp.route("/spend/import/<token>/cancel", methods=["POST"])
def spend_import_cancel(token: str):
    """Forget an upload without importing it."""
    staged, response = _staged_or_redirect(token)
    if response is not None:
        return response
    spend_import.discard_staged(db.session, staged)
    flash("Upload cancelled: nothing was imported.", "success")
    return redirect(url_for("admin.spend_import"))


@bp.route("/spend/imports/<int:import_id>")
def spend_import_detail(import_id: int):
    """What one import added."""
    record = _get_or_404(SpendImport, import_id)
    return render_template(
        "admin/spend/detail.html", record=record, attention=suppliers.attention_counts(db.session),
        imported_by=db.session.get(StaffUser, record.imported_by_id) if record.imported_by_id else None,
    )


@bp.route("/spend/imports/<int:import_id>/remove", methods=["GET", "POST"])
def spend_import_remove(import_id: int):
    """Take out the payments an import added, after confirming."""
    record = _get_or_404(SpendImport, import_id)
    form = admin_forms.ConfirmForm()
    if form.validate_on_submit():
        removed = spend_import.remove_import(db.session, record, _actor())
        flash(f"Removed {removed:,} payments from {record.filename}. Yearly totals are up to date.", "success")
        return redirect(url_for("admin.spend_import"))
    return render_template("admin/spend/remove.html", form=form, record=record)


# ---------------------------------------------------------------------------
# Contracts register
# ---------------------------------------------------------------------------


def _contract_filters():
    """The filter form and the filters it describes (bad values are ignored)."""
    form = admin_forms.ContractFilterForm(request.args)
    form.category.choices = [("", "All categories")] + [(c, c) for c in contracts.categories(db.session)]
    form.year.choices = [("", "All years")] + [
        (year, f"{year}/{(year + 1) % 100:02d}") for year in contracts.award_years(db.session)
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


def _contract_form(contract: Contract | None) -> admin_forms.ContractForm:
    """The contract form, filled from the contract on first view."""
    data = contracts.values_of(contract) if contract is not None and request.method == "GET" else None
    form = admin_forms.ContractForm(data=data)
    form.case_study_id.choices = [("", "No case study")] + contracts.case_study_choices(db.session)
    return form


@bp.route("/contracts/new", methods=["GET", "POST"])
def contract_new():
    """Add a contract to the register."""
    form = _contract_form(None)
    if form.validate_on_submit():
        try:
            contract = contracts.create(db.session, form.values(), _actor())
        except FieldError as error:
            _show_error(form, error)
        else:
            flash(f"Contract “{contract.title}” added.", "success")
            return redirect(url_for("admin.contracts"))
    return _form_page("admin/contracts/form.html", form, contract=None)


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
def contract_edit(contract_id: int):
    """Change a contract, or record what it delivered."""
    contract = _get_or_404(Contract, contract_id)
    form = _contract_form(contract)
    if form.validate_on_submit():
        try:
            contracts.update(db.session, contract, form.values(), _actor())
        except FieldError as error:
            _show_error(form, error)
        else:
            flash(f"Contract “{contract.title}” saved.", "success")
            return redirect(url_for("admin.contracts"))
    return _form_page("admin/contracts/form.html", form, contract=contract)


# ---------------------------------------------------------------------------
# Case studies and quotes
# ---------------------------------------------------------------------------


def _uploaded_image(form) -> bytes | None:
    """The bytes of an uploaded image, or None when no file was chosen."""
    upload = form.image.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return upload.read()


@bp.route("/case-studies")
def case_studies():
    """Every case study, drafts included."""
    return render_template("admin/case_studies/list.html", studies=content_admin.all_case_studies(db.session))


@bp.route("/case-studies/new", methods=["GET", "POST"])
def case_study_new():
    """Write a case study."""
    form = admin_forms.CaseStudyForm()
    if form.validate_on_submit():
        try:
            study = content_admin.create_case_study(db.session, form.values(), _uploaded_image(form), _actor())
        except FieldError as error:
            _show_error(form, error)
        else:
            flash("Case study saved as a draft: preview it, then publish it.", "success")
            return redirect(url_for("admin.case_study_preview", study_id=study.id))
    return _form_page("admin/case_studies/form.html", form, study=None)


@bp.route("/case-studies/<int:study_id>/edit", methods=["GET", "POST"])
def case_study_edit(study_id: int):
    """Change a case study."""
    study = _get_or_404(CaseStudy, study_id)
    form = admin_forms.CaseStudyForm(
        data=content_admin.case_study_values(study) if request.method == "GET" else None
    )
    if form.validate_on_submit():
        try:
            content_admin.update_case_study(
                db.session, study, form.values(), _uploaded_image(form), bool(form.remove_image.data), _actor()
            )
        except FieldError as error:
            _show_error(form, error)
        else:
            flash("Case study saved." + (" The public page shows the change now." if study.is_published else ""),
                  "success")
            return redirect(url_for("admin.case_study_preview", study_id=study.id))
    return _form_page("admin/case_studies/form.html", form, study=study)


@bp.route("/case-studies/<int:study_id>/preview")
def case_study_preview(study_id: int):
    """A case study as the public will see it."""
    study = _get_or_404(CaseStudy, study_id)
    return render_template("admin/case_studies/preview.html", study=study, body=markdown.render(study.body_markdown))


@bp.route("/case-studies/<int:study_id>/publish", methods=["POST"])
def case_study_publish(study_id: int):
    """Publish a case study."""
    study = _get_or_404(CaseStudy, study_id)
    content_admin.set_case_study_published(db.session, study, True, _actor())
    flash(f"Published “{study.title}”.", "success")
    return redirect(url_for("admin.case_studies"))


@bp.route("/case-studies/<int:study_id>/unpublish", methods=["POST"])
def case_study_unpublish(study_id: int):
    """Take a case study back to draft."""
    study = _get_or_404(CaseStudy, study_id)
    content_admin.set_case_study_published(db.session, study, False, _actor())
    flash(f"“{study.title}” is a draft again and no longer on the public pages.", "success")
    return redirect(url_for("admin.case_studies"))


@bp.route("/quotes")
def quotes():
    """Every quote, hidden ones included."""
    return render_template("admin/quotes/list.html", quotes=content_admin.all_quotes(db.session))


def _quote_form(quote: Quote | None) -> admin_forms.QuoteForm:
    """The quote form with the case studies to link to."""
    data = content_admin.quote_values(quote) if quote is not None and request.method == "GET" else None
    form = admin_forms.QuoteForm(data=data)
    form.case_study_id.choices = [("", "No case study")] + contracts.case_study_choices(db.session)
    return form


@bp.route("/quotes/new", methods=["GET", "POST"])
def quote_new():
    """Add a quote."""
    form = _quote_form(None)
    if form.validate_on_submit():
        try:
            content_admin.create_quote(db.session, form.values(), _actor())
        except FieldError as error:
            _show_error(form, error)
        else:
            flash("Quote saved. It stays hidden until you publish it.", "success")
            return redirect(url_for("admin.quotes"))
    return _form_page("admin/quotes/form.html", form, quote=None)


@bp.route("/quotes/<int:quote_id>/edit", methods=["GET", "POST"])
def quote_edit(quote_id: int):
    """Change a quote."""
    quote = _get_or_404(Quote, quote_id)
    form = _quote_form(quote)
    if form.validate_on_submit():
        try:
            content_admin.update_quote(db.session, quote, form.values(), _actor())
        except FieldError as error:
            _show_error(form, error)
        else:
            flash("Quote saved.", "success")
            return redirect(url_for("admin.quotes"))
    return _form_page("admin/quotes/form.html", form, quote=quote)


@bp.route("/quotes/<int:quote_id>/publish", methods=["POST"])
def quote_publish(quote_id: int):
    """Show a quote on the public pages."""
    quote = _get_or_404(Quote, quote_id)
    content_admin.set_quote_published(db.session, quote, True, _actor())
    flash(f"Published the quote from {quote.attribution}.", "success")
    return redirect(url_for("admin.quotes"))


@bp.route("/quotes/<int:quote_id>/unpublish", methods=["POST"])
def quote_unpublish(quote_id: int):
    """Hide a quote from the public pages."""
    quote = _get_or_404(Quote, quote_id)
    content_admin.set_quote_published(db.session, quote, False, _actor())
    flash(f"Hid the quote from {quote.attribution}.", "success")
    return redirect(url_for("admin.quotes"))


# ---------------------------------------------------------------------------
# Staff accounts (admins only) and your own password
# ---------------------------------------------------------------------------


@bp.route("/staff", endpoint="staff")
@admin_required
def staff_list():
    """Every staff account."""
    return render_template("admin/staff/list.html", people=staff.all_staff(db.session), now=utcnow())


@bp.route("/staff/new", methods=["GET", "POST"])
@admin_required
def staff_new():
    """Add a staff account."""
    form = admin_forms.StaffCreateForm()
    if form.validate_on_submit():
        try:
            person = staff.create(
                db.session, form.email.data, form.name.data, form.role.data, form.password.data, actor=_actor()
            )
        except staff.StaffError as error:
            db.session.rollback()
            message = str(error)
            if "password" in message:
                form.password.errors.append(message)
            elif "name" in message and "email" not in message:
                form.name.errors.append(message)
            elif "role" in message:
                form.role.errors.append(message)
            else:
                form.email.errors.append(message)
        else:
            flash(f"Account added for {person.email}. Give them their password in person or by phone.", "success")
            return redirect(url_for("admin.staff"))
    return _form_page("admin/staff/new.html", form)


@bp.route("/staff/<int:staff_id>/edit", methods=["GET", "POST"])
@admin_required
def staff_edit(staff_id: int):
    """Change a staff member's name or role."""
    person = _get_or_404(StaffUser, staff_id)
    form = admin_forms.StaffEditForm(obj=person if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            staff.update(db.session, person, form.name.data, form.role.data, _actor())
        except staff.StaffError as error:
            db.session.rollback()
            form.role.errors.append(str(error))
        else:
            flash(f"Saved {person.email}.", "success")
            return redirect(url_for("admin.staff"))
    return _form_page("admin/staff/edit.html", form, person=person)


@bp.route("/staff/<int:staff_id>/password", methods=["GET", "POST"])
@admin_required
def staff_password(staff_id: int):
    """Give a staff member a new password (ending their sessions)."""
    person = _get_or_404(StaffUser, staff_id)
    form = admin_forms.SetPasswordForm()
    if form.validate_on_submit():
        try:
            staff.set_password(db.session, person, form.password.data, actor=_actor())
        except staff.StaffError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            flash(f"New password set for {person.email}; their other sessions have ended.", "success")
            return redirect(url_for("admin.staff"))
    return _form_page("admin/staff/password.html", form, person=person)


def _staff_action(staff_id: int, change, done: str):
    """Run one account change from a button, reporting refusals as a message."""
    person = _get_or_404(StaffUser, staff_id)
    try:
        change(person)
    except staff.StaffError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(done.format(email=person.email), "success")
    return redirect(url_for("admin.staff"))


@bp.route("/staff/<int:staff_id>/disable", methods=["POST"])
@admin_required
def staff_disable(staff_id: int):
    """Disable an account: it can no longer sign in."""
    return _staff_action(
        staff_id, lambda person: staff.set_active(db.session, person, False, _actor()),
        "Disabled {email}: they are signed out and cannot sign in.",
    )


@bp.route("/staff/<int:staff_id>/enable", methods=["POST"])
@admin_required
def staff_enable(staff_id: int):
    """Let a disabled account sign in again."""
    return _staff_action(
        staff_id, lambda person: staff.set_active(db.session, person, True, _actor()), "Enabled {email}."
    )


@bp.route("/staff/<int:staff_id>/unlock", methods=["POST"])
@admin_required
def staff_unlock(staff_id: int):
    """Lift a sign-in pause early."""
    return _staff_action(
        staff_id, lambda person: staff.unlock(db.session, person, _actor()), "{email} can sign in again now."
    )


@bp.route("/account/password", methods=["GET", "POST"])
def account_password():
    """Change your own password."""
    form = admin_forms.ChangeOwnPasswordForm()
    if form.validate_on_submit():
        me = _actor()
        if not me.check_password(form.current_password.data):
            form.current_password.errors.append("Enter your current password correctly")
        else:
            try:
                staff.set_password(db.session, me, form.password.data, actor=me)
            except staff.StaffError as error:
                db.session.rollback()
                form.password.errors.append(str(error))
            else:
                # The new session version ended every session, this one included: sign in again.
                flash("Password changed. Sign in with your new password.", "success")
                return redirect(url_for("auth.sign_in"))
    return _form_page("admin/account_password.html", form)


# ---------------------------------------------------------------------------
# Audit log (admins only)
# ---------------------------------------------------------------------------


@bp.route("/audit", endpoint="audit")
@admin_required
def audit_log():
    """Every change staff made, newest first, filtered by person and type."""
    form = admin_forms.AuditFilterForm(request.args)
    people = staff.all_staff(db.session)
    form.person.choices = [("", "Everyone")] + [(person.id, f"{person.name} ({person.email})") for person in people]
    kinds = audit.entity_types(db.session)
    form.type.choices = [("", "All types")] + [(kind, kind.replace("_", " ")) for kind in kinds]
    form.validate()
    person_id = form.person.data if not form.person.errors else None
    kind = form.type.data if not form.type.errors and form.type.data else None
    page = _page_number()
    rows, pages = audit.events(db.session, person_id, kind, page)
    return render_template(
        "admin/audit.html", filter_form=form, events=rows, page=min(page, pages), pages=pages,
        person_id=person_id, kind=kind,
    )

