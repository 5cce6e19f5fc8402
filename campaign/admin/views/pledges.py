"""Pledge moderation for staff: the queue, approve, hide with a reason, edit, and remove a statement or logo.

Every action is a POST with a CSRF token, is recorded in the audit log, and redirects back to the queue.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from campaign.admin import bp
from campaign.admin.forms.fields import ConfirmForm
from campaign.admin.forms.pledges import HideForm, PledgeEditForm
from campaign.admin.views.common import MAX_ID, actor, get_or_404
from campaign.channels import send_after_commit
from campaign.extensions import db
from campaign.models import Pledge
from campaign.models.pledges import COMMITMENTS, ORG_SIZES, ORG_TYPES, SECTORS
from campaign.services import outbox, text
from campaign.services.pledges import areas, common, moderation

PER_PAGE = 50


def _settings() -> common.Settings:
    """The moderation settings from the app's configuration."""
    return common.Settings.from_config(current_app.config)


def _back():
    """Back to the queue the action was taken from."""
    queue = request.args.get("queue")
    return redirect(url_for("admin.pledges", queue=queue if queue in moderation.QUEUES else None), 303)


@bp.route("/pledges", endpoint="pledges")
def pledges_queue():
    """The moderation queue, one tab per state, with emails that could not be sent."""
    default = "waiting" if _settings().moderation == "pre" else "review"
    queue = request.args.get("queue", default)
    if queue not in moderation.QUEUES:
        abort(404)
    page = request.args.get("page", 1, type=int)
    if page < 1:
        abort(404)
    rows, total = moderation.moderation_queue(db.session, queue, page, PER_PAGE)
    if page > 1 and not rows:
        abort(404)
    return render_template(
        "admin/pledges/index.html",
        queue=queue,
        queues=moderation.QUEUES,
        counts=moderation.queue_counts(db.session),
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        area_name=areas.area_name,
        types=ORG_TYPES,
        sizes=ORG_SIZES,
        sectors=SECTORS,
        commitments=COMMITMENTS,
        failed=outbox.failed_messages(db.session, channel="email"),
        action_form=ConfirmForm(),
        moderation=_settings().moderation,
    )


@bp.route("/pledges/<int:pledge_id>/approve", methods=["POST"])
def approve_pledge(pledge_id: int):
    """Put a pledge on the wall (or accept its changes) and tell the organisation."""
    pledge = get_or_404(Pledge, pledge_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        result = moderation.approve(db.session, pledge, actor(), _settings())
    except common.PledgeError as error:
        flash(str(error), "error")
        return _back()
    send_after_commit(result.messages)
    flash(f"Approved: {pledge.organisation_name} is on the wall.", "success")
    return _back()


@bp.route("/pledges/<int:pledge_id>/hide", methods=["GET", "POST"])
def hide_pledge(pledge_id: int):
    """Take a pledge off the wall, giving the reason."""
    pledge = get_or_404(Pledge, pledge_id)
    form = HideForm()
    if form.validate_on_submit():
        try:
            moderation.hide(db.session, pledge, actor(), text.clean_text(form.reason.data))
        except common.PledgeError as error:
            flash(str(error), "error")
        else:
            flash(f"Hidden: {pledge.organisation_name} is off the wall.", "success")
        return _back()
    status = 400 if form.is_submitted() else 200
    return render_template("admin/pledges/hide.html", form=form, pledge=pledge), status


@bp.route("/pledges/<int:pledge_id>/edit", methods=["GET", "POST"])
def edit_pledge(pledge_id: int):
    """Correct a pledge's public details."""
    pledge = get_or_404(Pledge, pledge_id)
    if pledge.status == "withdrawn":
        abort(404)
    form = PledgeEditForm(obj=pledge)
    if not form.is_submitted():
        form.commitments.data = pledge.commitments
    if form.validate_on_submit():
        try:
            moderation.edit(db.session, pledge, actor(), form.changes())
        except common.PledgeError as error:
            form.organisation_name.errors.append(str(error))
        else:
            flash(f"Saved your changes to {pledge.organisation_name}.", "success")
            return _back()
    status = 400 if form.is_submitted() else 200
    return render_template("admin/pledges/edit.html", form=form, pledge=pledge), status


@bp.route("/pledges/<int:pledge_id>/remove-statement", methods=["POST"])
def remove_pledge_statement(pledge_id: int):
    """Remove a pledge's statement, keeping the pledge."""
    pledge = get_or_404(Pledge, pledge_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    moderation.remove_statement(db.session, pledge, actor())
    flash(f"Removed the statement of {pledge.organisation_name}.", "success")
    return _back()


@bp.route("/pledges/<int:pledge_id>/remove-logo", methods=["POST"])
def remove_pledge_logo(pledge_id: int):
    """Remove a pledge's logo, keeping the pledge."""
    pledge = get_or_404(Pledge, pledge_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    moderation.remove_logo(db.session, pledge, actor())
    flash(f"Removed the logo of {pledge.organisation_name}.", "success")
    return _back()


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
def retry_message(message_id: int):
    """Try a failed email again."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if message_id <= MAX_ID and outbox.retry(db.session, message_id):
        send_after_commit([message_id])
        flash("The email is being sent again.", "success")
    else:
        flash("That email is no longer waiting to be retried.", "info")
    return _back()
