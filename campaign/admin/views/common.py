"""Helpers every admin view module shares: who is acting, rows by id, form pages and paging."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user

from campaign.extensions import db
from campaign.models import StaffUser
from campaign.services.validation import FieldError

MAX_ID = 2**31 - 1  # the largest id an INTEGER primary key holds on PostgreSQL


def actor() -> StaffUser:
    """The signed-in member of staff, as a model row for the audit log."""
    return current_user._get_current_object()


def get_or_404(model, row_id: int):
    """A row by id, or a 404 (ids beyond a 32-bit integer cannot exist, and databases refuse them)."""
    if not 0 < row_id <= MAX_ID:
        abort(404)
    row = db.session.get(model, row_id)
    if row is None:
        abort(404)
    return row


def show_error(form, error: FieldError) -> None:
    """Put a service's error beside the field it concerns, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def form_page(template: str, form, **context):
    """Render a form page: 200 at first, 400 when it comes back with errors."""
    status = 400 if form.errors else 200
    return render_template(template, form=form, **context), status


def query_text(name: str, limit: int = 200) -> str:
    """A text query parameter, cut to length and without NUL characters no database text can hold."""
    return request.args.get(name, "")[:limit].replace("\x00", "")


def work_list_year() -> int | None:
    """The work list's year (?year=) when a form was opened from it, so saving goes back there."""
    year = request.args.get("year", type=int)
    return year if year is not None and 2000 <= year <= 2100 else None


def after_saving(default_endpoint: str) -> str:
    """Where a form goes once saved: back to the work list it came from, or to its own section."""
    year = work_list_year()
    return url_for("admin.work_list", year=year) if year is not None else url_for(default_endpoint)


def page_number() -> int:
    """The ?page= number, 1 when missing or nonsense."""
    page = request.args.get("page", 1, type=int) or 1
    return max(1, min(page, 100_000))
