"""Spend import: upload -> columns -> preview -> import, and taking an import out again."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from campaign.admin import bp
from campaign.admin.forms.fields import ConfirmForm
from campaign.admin.forms.review import BodyForm
from campaign.admin.forms.spend import ImportConfirmForm, MappingForm, UploadForm
from campaign.admin.views.common import actor, form_page, get_or_404, show_error
from campaign.extensions import db
from campaign.models import SpendImport, StaffUser
from campaign.services.spend import bodies, contracts, reading, review, staging, suppliers
from campaign.services.spend import imports as spend_import
from campaign.services.validation import FieldError

MAX_ERRORS_SHOWN = 500  # a wrong mapping can make every row an error; the rest are in the CSV download


def _staged_or_redirect(token: str):
    """The staged upload for this token, or a redirect back to the upload page."""
    staged = staging.get_staged(db.session, token, current_user.id)
    if staged is None:
        flash("That upload has expired or was already imported. Upload the file again to carry on.", "info")
        return None, redirect(url_for("admin.spend_import"))
    return staged, None


@bp.route("/spend/import", methods=["GET", "POST"], endpoint="spend_import")
def spend_import_upload():
    """Step 1: upload a transparency spend file."""
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read() if upload is not None and hasattr(upload, "read") else b""
        if upload is None or not getattr(upload, "filename", ""):
            form.file.errors.append("Select a spend file (CSV) to upload, or an Excel workbook (.xlsx)")
        else:
            try:
                staged = staging.stage(db.session, upload.filename, data, current_user.id)
            except staging.SpendImportError as error:
                form.file.errors.append(str(error))
            else:
                return redirect(url_for("admin.spend_import_mapping", token=staged.token))
    return form_page(
        "admin/spend/upload.html", form, imports=spend_import.recent_imports(db.session),
        attention=suppliers.attention_counts(db.session), max_rows=reading.max_rows(),
        max_upload_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
    )


@bp.route("/spend/import/<token>/columns", methods=["GET", "POST"])
def spend_import_mapping(token: str):
    """Step 2: confirm which column holds the date, supplier, amount and reference."""
    staged, response = _staged_or_redirect(token)
    if response is not None:
        return response
    no_headings = bool(request.form.get("first_row_is_data")) if request.method == "POST" else (
        staging.first_row_is_data(staged.mapping))
    try:
        sample = staging.read_sample(staged.data, no_headings)
    except staging.SpendImportError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.spend_import"))
    headers = sample.headers
    form = MappingForm()
    form.set_columns(headers)
    proposed, remembered = staging.mapping_for(db.session, headers)
    if request.method == "GET":
        for name, index in (staged.mapping or proposed).items():
            getattr(form, name).data = index
    if form.validate_on_submit():
        try:
            staging.set_mapping(db.session, staged, form.mapping())
        except FieldError as error:
            show_error(form, error)
        else:
            return redirect(url_for("admin.spend_import_preview", token=token))
    return form_page(
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
    form = ImportConfirmForm()
    body_form = _body_form()
    try:
        body = bodies.find_or_add(db.session, body_form.chosen()) if request.method == "POST" else None
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
                return _imported(spend_import.import_staged(db.session, staged, actor(), parsed, body=body))
        preview = spend_import.preview_data(db.session, staged.data, staged.mapping, body)
    except staging.SpendImportError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.spend_import"))
    return form_page(
        "admin/spend/preview.html", form, staged=staged, preview=preview, max_errors=MAX_ERRORS_SHOWN,
        body_form=body_form,
    )


def _body_form() -> BodyForm:
    """Whose payments the file holds: the campaign's own body unless staff choose another."""
    form = BodyForm()
    form.body.choices = [(body.slug, body.name) for body in bodies.all_bodies(db.session)]
    if form.body.data not in {slug for slug, _name in form.body.choices}:
        form.body.data = form.body.choices[0][0]
    return form


def _imported(record: SpendImport):
    """Say what an import added, and show its record."""
    already = record.row_count - record.added_count
    flash(
        f"Imported {record.filename}: {record.added_count:,} new payments added"
        + (f", {already:,} were already here" if already else "")
        + ". It is a draft: a publisher approves it on the review page before it counts.",
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
    except staging.SpendImportError as error:
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
    staging.discard_staged(db.session, staged)
    flash("Upload cancelled: nothing was imported.", "success")
    return redirect(url_for("admin.spend_import"))


@bp.route("/spend/imports/<int:import_id>")
def spend_import_detail(import_id: int):
    """What one import added."""
    record = get_or_404(SpendImport, import_id)
    return render_template(
        "admin/spend/detail.html", record=record, attention=suppliers.attention_counts(db.session),
        imported_by=db.session.get(StaffUser, record.imported_by_id) if record.imported_by_id else None,
    )


@bp.route("/spend/imports/<int:import_id>/remove", methods=["GET", "POST"])
def spend_import_remove(import_id: int):
    """Take out the payments an import added, after confirming."""
    record = get_or_404(SpendImport, import_id)
    if record.status != "draft":
        try:
            review.check_can_publish(actor())
        except review.ReviewError:
            flash("Ask a publisher or an admin to remove an approved import: its payments count in the figures.",
                  "error")
            abort(403)
    form = ConfirmForm()
    if form.validate_on_submit():
        removed = spend_import.remove_import(db.session, record, actor())
        flash(f"Removed {removed:,} payments from {record.filename}. The draft figures are up to date.", "success")
        return redirect(url_for("admin.spend_import"))
    return render_template("admin/spend/remove.html", form=form, record=record)
