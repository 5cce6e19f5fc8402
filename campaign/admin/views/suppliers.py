"""The supplier register: search it, add and change suppliers, and match names from the payments."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for

from campaign.admin import bp
from campaign.admin.forms.suppliers import (
    AcceptSuggestionForm,
    ConfirmSupplierUploadForm,
    MatchSupplierForm,
    SupplierForm,
    SupplierUploadForm,
)
from campaign.admin.views.common import (
    MAX_ID,
    actor,
    after_saving,
    form_page,
    get_or_404,
    page_number,
    query_text,
    show_error,
    work_list_year,
)
from campaign.extensions import db
from campaign.models import Supplier
from campaign.services.geography import COUNCIL_AREAS
from campaign.services.spend import matching, supplier_upload, suppliers
from campaign.services.validation import FieldError


@bp.route("/suppliers", endpoint="suppliers")
def suppliers_list():
    """The supplier register, searchable and filtered by location or the needs-confirming flag."""
    text = query_text("q")
    location = query_text("location")
    flagged = request.args.get("flagged") == "1"
    return render_template(
        "admin/suppliers/list.html",
        result=suppliers.search(db.session, text, location, flagged, page_number()),
        attention=suppliers.attention_counts(db.session),
        q=text, location=location if location in suppliers.LOCATION_LABELS else "", flagged=flagged,
        location_labels=suppliers.LOCATION_LABELS,
        councils=dict(COUNCIL_AREAS),
    )


def _supplier_page(form, supplier: Supplier | None):
    """Render the supplier form with what the postcode table says."""
    postcode = form.postcode.data if form.postcode.data else (supplier.postcode if supplier else None)
    spend = suppliers.spend_with(db.session, supplier) if supplier else None
    return form_page(
        "admin/suppliers/form.html", form, supplier=supplier,
        postcode_info=suppliers.describe_postcode(postcode), councils=dict(COUNCIL_AREAS),
        location_labels=suppliers.LOCATION_LABELS, spend=spend,
        aliases=suppliers.aliases_of(db.session, supplier) if supplier else [], year=work_list_year(),
    )


@bp.route("/suppliers/new", methods=["GET", "POST"])
def supplier_new():
    """Add a supplier to the register (from a name in the payments, when ?name= is given)."""
    form = SupplierForm()
    if request.method == "GET" and request.args.get("name"):
        form.name.data = query_text("name", 300)
    if form.validate_on_submit():
        try:
            supplier = suppliers.create(db.session, form.values(), actor())
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_placement_message(supplier, "added"), "success")
            return redirect(after_saving("admin.suppliers"))
    return _supplier_page(form, None)


@bp.route("/suppliers/<int:supplier_id>/edit", methods=["GET", "POST"])
def supplier_edit(supplier_id: int):
    """Change a supplier, or confirm where it is."""
    supplier = get_or_404(Supplier, supplier_id)
    form = SupplierForm(data=suppliers.values_of(supplier) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            suppliers.update(db.session, supplier, form.values(), actor())
        except FieldError as error:
            show_error(form, error)
        else:
            flash(_placement_message(supplier, "saved"), "success")
            return redirect(after_saving("admin.suppliers"))
    return _supplier_page(form, supplier)


def _placement_message(supplier: Supplier, verb: str) -> str:
    """What staff need to know after saving a supplier."""
    message = f"{supplier.name} {verb}: {suppliers.LOCATION_LABELS[supplier.location]}."
    if supplier.is_public_body:
        message += " It is a public body, so spend with it is left out of scope."
    if supplier.needs_confirmation:
        message += " Its postcode district crosses a boundary, so confirm the council area when you can."
    return message


@bp.route("/suppliers/unmatched")
def suppliers_unmatched():
    """Names in the imported payments that match no supplier in the register."""
    page = page_number()
    rows, total = suppliers.unmatched_suppliers(db.session, limit=50, offset=(page - 1) * 50)
    return render_template(
        "admin/suppliers/unmatched.html", rows=rows, total=total, page=page, pages=max(1, -(-total // 50)),
        suggestions=matching.suggest(db.session, [(row.key, row.name) for row in rows]), cutoff=matching.CUTOFF,
    )


@bp.route("/suppliers/unmatched/accept", methods=["POST"])
def supplier_accept_suggestion():
    """Accept a suggested supplier for an unmatched name: its payments count as that supplier's."""
    form = AcceptSuggestionForm()
    if not form.validate_on_submit() or not form.key.data or not 0 < (form.supplier_id.data or 0) <= MAX_ID:
        abort(400)
    page = form.page.data if form.page.data and 0 < form.page.data <= 100_000 else 1
    key = form.key.data[:300].replace("\x00", "")
    name = suppliers.unmatched_name(db.session, key)
    try:
        supplier = suppliers.accept_suggestion(db.session, key, form.supplier_id.data, actor())
    except FieldError as error:
        flash(error.message + ".", "info")
    else:
        flash(f"Payments to “{name}” now count as {supplier.name}.", "success")
    return redirect(url_for("admin.suppliers_unmatched", page=page))


@bp.route("/suppliers/unmatched/match", methods=["GET", "POST"])
def supplier_match():
    """Match an unmatched name to a supplier already in the register."""
    key = query_text("key", 300)
    name = suppliers.unmatched_name(db.session, key) if key else None
    if name is None:
        flash("Those payments are already matched to a supplier.", "info")
        return redirect(url_for("admin.suppliers_unmatched"))
    form = MatchSupplierForm()
    if form.validate_on_submit():
        try:
            supplier = suppliers.match_alias(db.session, key, form.supplier_name.data, actor())
        except FieldError as error:
            if error.field is None:  # someone matched these payments while the form was open
                flash(error.message + ".", "info")
                return redirect(url_for("admin.suppliers_unmatched"))
            show_error(form, error)
        else:
            flash(f"Payments to “{name}” now count as {supplier.name}.", "success")
            return redirect(after_saving("admin.suppliers_unmatched"))
    return form_page("admin/suppliers/match.html", form, name=name, key=key, year=work_list_year())


@bp.route("/suppliers/upload", methods=["GET", "POST"])
def suppliers_upload():
    """Upload a CSV of suppliers and preview every line; nothing is saved until the preview is confirmed."""
    form = SupplierUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", "") or not hasattr(upload, "read"):
            form.file.errors.append("Select a CSV file of suppliers to upload")
        else:
            data = upload.read(supplier_upload.MAX_BYTES + 1)
            filename = upload.filename[:255].replace("\x00", "")
            try:
                result = supplier_upload.preview(db.session, data)
                packed = supplier_upload.pack(data)
            except supplier_upload.UploadError as error:
                form.file.errors.append(str(error))
            else:
                return _preview_page(result, filename, packed)
    return form_page("admin/suppliers/upload.html", form)


def _preview_page(result, filename: str, packed: str):
    """Every line of an upload and what it would do: 200 when it can be saved, 400 when lines need fixing."""
    confirm = ConfirmSupplierUploadForm(data={"payload": packed, "filename": filename})
    page = render_template(
        "admin/suppliers/upload_preview.html", result=result, filename=filename, form=confirm,
        location_labels=suppliers.LOCATION_LABELS,
    )
    return page, 400 if result.errors else 200


@bp.route("/suppliers/upload/confirm", methods=["POST"])
def suppliers_upload_confirm():
    """Save a previewed upload, checking every line again first."""
    form = ConfirmSupplierUploadForm()
    if not form.validate_on_submit() or not form.payload.data:
        abort(400)
    filename = (form.filename.data or "suppliers.csv")[:255].replace("\x00", "")
    try:
        data = supplier_upload.unpack(form.payload.data)
        result = supplier_upload.save(db.session, data, filename, actor())
    except supplier_upload.UploadError as error:
        flash(str(error) + ".", "error")
        return redirect(url_for("admin.suppliers_upload"))
    except FieldError as error:
        flash(error.message + ".", "error")
        return redirect(url_for("admin.suppliers_upload"))
    if result.errors:  # the register changed since the preview
        return _preview_page(result, filename, form.payload.data)
    flash(f"{filename}: {result.count('add'):,} suppliers added and {result.count('change'):,} changed. "
          "Yearly totals are up to date.", "success")
    return redirect(url_for("admin.suppliers"))


@bp.route("/suppliers/export.csv")
def suppliers_export():
    """The whole supplier register as a CSV file."""
    return Response(
        supplier_upload.export_csv(db.session), mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="supplier-register.csv"'},
    )
