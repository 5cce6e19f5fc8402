"""The audit log (admins only): every change staff made."""

from __future__ import annotations

from flask import render_template, request

from campaign.admin import bp
from campaign.admin.forms.audit import AuditFilterForm
from campaign.admin.views.common import page_number
from campaign.auth.views import admin_required
from campaign.extensions import db
from campaign.services import audit, staff


@bp.route("/audit", endpoint="audit")
@admin_required
def audit_log():
    """Every change staff made, newest first, filtered by person and type."""
    form = AuditFilterForm(request.args)
    people = staff.all_staff(db.session)
    form.person.choices = [("", "Everyone")] + [(person.id, f"{person.name} ({person.email})") for person in people]
    kinds = audit.entity_types(db.session)
    form.type.choices = [("", "All types")] + [(kind, kind.replace("_", " ")) for kind in kinds]
    form.validate()
    person_id = form.person.data if not form.person.errors else None
    kind = form.type.data if not form.type.errors and form.type.data else None
    page = page_number()
    rows, pages = audit.events(db.session, person_id, kind, page)
    return render_template(
        "admin/audit.html", filter_form=form, events=rows, page=min(page, pages), pages=pages,
        person_id=person_id, kind=kind,
    )
