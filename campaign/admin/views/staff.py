"""Staff accounts (admins only), and your own password."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from campaign.admin import bp
from campaign.admin.forms.staff import ChangeOwnPasswordForm, SetPasswordForm, StaffCreateForm, StaffEditForm
from campaign.admin.views.common import actor, form_page, get_or_404
from campaign.auth.views import admin_required
from campaign.extensions import db
from campaign.models import StaffUser
from campaign.models.common import utcnow
from campaign.services import staff


@bp.route("/staff", endpoint="staff")
@admin_required
def staff_list():
    """Every staff account."""
    return render_template("admin/staff/list.html", people=staff.all_staff(db.session), now=utcnow())


@bp.route("/staff/new", methods=["GET", "POST"])
@admin_required
def staff_new():
    """Add a staff account."""
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            person = staff.create(
                db.session, form.email.data, form.name.data, form.role.data, form.password.data, actor=actor()
            )
        except staff.StaffError as error:
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
    return form_page("admin/staff/new.html", form)


@bp.route("/staff/<int:staff_id>/edit", methods=["GET", "POST"])
@admin_required
def staff_edit(staff_id: int):
    """Change a staff member's name or role."""
    person = get_or_404(StaffUser, staff_id)
    form = StaffEditForm(obj=person if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            staff.update(db.session, person, form.name.data, form.role.data, actor())
        except staff.StaffError as error:
            form.role.errors.append(str(error))
        else:
            flash(f"Saved {person.email}.", "success")
            return redirect(url_for("admin.staff"))
    return form_page("admin/staff/edit.html", form, person=person)


@bp.route("/staff/<int:staff_id>/password", methods=["GET", "POST"])
@admin_required
def staff_password(staff_id: int):
    """Give a staff member a new password (ending their sessions)."""
    person = get_or_404(StaffUser, staff_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            staff.set_password(db.session, person, form.password.data, actor=actor())
        except staff.StaffError as error:
            form.password.errors.append(str(error))
        else:
            flash(f"New password set for {person.email}; their other sessions have ended.", "success")
            return redirect(url_for("admin.staff"))
    return form_page("admin/staff/password.html", form, person=person)


def _staff_action(staff_id: int, change, done: str):
    """Run one account change from a button, reporting refusals as a message."""
    person = get_or_404(StaffUser, staff_id)
    try:
        change(person)
    except staff.StaffError as error:
        flash(str(error), "error")
    else:
        flash(done.format(email=person.email), "success")
    return redirect(url_for("admin.staff"))


@bp.route("/staff/<int:staff_id>/disable", methods=["POST"])
@admin_required
def staff_disable(staff_id: int):
    """Disable an account: it can no longer sign in."""
    return _staff_action(
        staff_id, lambda person: staff.set_active(db.session, person, False, actor()),
        "Disabled {email}: they are signed out and cannot sign in.",
    )


@bp.route("/staff/<int:staff_id>/enable", methods=["POST"])
@admin_required
def staff_enable(staff_id: int):
    """Let a disabled account sign in again."""
    return _staff_action(
        staff_id, lambda person: staff.set_active(db.session, person, True, actor()), "Enabled {email}."
    )


@bp.route("/staff/<int:staff_id>/unlock", methods=["POST"])
@admin_required
def staff_unlock(staff_id: int):
    """Lift a sign-in pause early."""
    return _staff_action(
        staff_id, lambda person: staff.unlock(db.session, person, actor()), "{email} can sign in again now."
    )


@bp.route("/account/password", methods=["GET", "POST"])
def account_password():
    """Change your own password."""
    form = ChangeOwnPasswordForm()
    if form.validate_on_submit():
        me = actor()
        if not me.check_password(form.current_password.data):
            form.current_password.errors.append("Enter your current password correctly")
        else:
            try:
                staff.set_password(db.session, me, form.password.data, actor=me)
            except staff.StaffError as error:
                form.password.errors.append(str(error))
            else:
                # The new session version ended every session, this one included: sign in again.
                flash("Password changed. Sign in with your new password.", "success")
                return redirect(url_for("auth.sign_in"))
    return form_page("admin/account_password.html", form)
