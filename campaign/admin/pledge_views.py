"""Pledge moderation for staff: the queue, approve, hide with a reason, edit, and remove a statement or logo.

Every action is a POST with a CSRF token, is recorded in the audit log, and redirects back to the queue.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from campaign.admin import bp
from campaign.channels import send_after_commit
from campaign.extensions import db
from campaign.models import Pledge
from campaign.models.pledges import COMMITMENTS, ORG_SIZES, ORG_TYPES, SECTORS
from campaign.pledges.forms import STATEMENT_LENGTH, MultiCheckboxField, RadioField, SelectField
from campaign.services import outbox
from campaign.services.geography import INVALID_POSTCODE_MESSAGE, normalise_postcode
from campaign.services.pledges import signing as pledges

PER_PAGE = 50
MAX_ROW_ID = 2**31 - 1  # ids are 32-bit integers: anything larger cannot be a row, so it is a 404


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token is needed."""


class HideForm(FlaskForm):
    """Hiding a pledge needs a reason, which the organisation sees on its manage page."""

    reason = TextAreaField(
        "Why are you hiding this pledge?",
        validators=[InputRequired("Enter why you are hiding this pledge"), Length(max=300, message="Enter a reason of 300 characters or fewer")],
    )


class StaffEditForm(FlaskForm):
    """Staff corrections to a pledge's public details."""

    organisation_name = StringField(
        "Organisation name",
        filters=[lambda value: pledges.clean_text(value) if isinstance(value, str) else value],
        validators=[InputRequired("Enter the organisation's name"), Length(max=200, message="Enter an organisation name of 200 characters or fewer")],
    )
    org_type = RadioField("Type of organisation", choices=list(ORG_TYPES.items()), validators=[InputRequired("Select the type of organisation")])
    size = RadioField("Size", choices=list(ORG_SIZES.items()), validators=[InputRequired("Select the organisation's size")])
    sector = SelectField("Sector", choices=list(SECTORS.items()), validators=[InputRequired("Choose the organisation's sector")])
    area = SelectField("Where it is based", choices=list(pledges.AREAS.items()), validators=[InputRequired("Choose where the organisation is based")])
    postcode = StringField("Postcode (optional)", validators=[Length(max=10, message="Enter a postcode of 10 characters or fewer")])
    website = StringField("Website (optional)", validators=[Length(max=300, message="Enter a website address of 300 characters or fewer")])
    commitments = MultiCheckboxField(
        "Commitments", choices=list(COMMITMENTS.items()), validators=[InputRequired("Select at least one commitment")]
    )
    statement = TextAreaField(
        "Public statement (optional)",
        filters=[lambda value: pledges.clean_text(value, multiline=True) if isinstance(value, str) else value],
        validators=[Length(max=STATEMENT_LENGTH, message=f"Enter a statement of {STATEMENT_LENGTH} characters or fewer")],
    )

    clean_postcode: str | None = None
    clean_website: str | None = None

    def changes(self) -> dict:
        """The checked values, with the website and postcode in their stored form."""
        return {
            "organisation_name": self.organisation_name.data,
            "org_type": self.org_type.data,
            "size": self.size.data,
            "sector": self.sector.data,
            "area": self.area.data,
            "postcode": self.clean_postcode,
            "website": self.clean_website,
            "commitments": list(self.commitments.data or []),
            "statement": self.statement.data or None,
        }

    def validate_postcode(self, field) -> None:
        """A postcode, if given, must be a real one."""
        text = (field.data or "").strip()
        self.clean_postcode = normalise_postcode(text) if text else None
        if text and self.clean_postcode is None:
            raise ValidationError(INVALID_POSTCODE_MESSAGE)

    def validate_website(self, field) -> None:
        """A website, if given, must be a web address."""
        try:
            self.clean_website = pledges.clean_website(field.data)
        except pledges.PledgeError as error:
            raise ValidationError(str(error)) from None


def _settings() -> pledges.Settings:
    return pledges.Settings.from_config(current_app.config)


def _pledge(pledge_id: int) -> Pledge:
    pledge = db.session.get(Pledge, pledge_id) if pledge_id <= MAX_ROW_ID else None
    if pledge is None:
        abort(404)
    return pledge


def _back():
    queue = request.args.get("queue")
    return redirect(url_for("admin.pledges", queue=queue if queue in pledges.QUEUES else None), 303)


@bp.route("/pledges", endpoint="pledges")
def pledges_queue():
    """The moderation queue, one tab per state, with emails that could not be sent."""
    default = "waiting" if _settings().moderation == "pre" else "review"
    queue = request.args.get("queue", default)
    if queue not in pledges.QUEUES:
        abort(404)
    page = request.args.get("page", 1, type=int)
    if page < 1:
        abort(404)
    rows, total = pledges.moderation_queue(db.session, queue, page, PER_PAGE)
    if page > 1 and not rows:
        abort(404)
    return render_template(
        "admin/pledges/index.html",
        queue=queue,
        queues=pledges.QUEUES,
        counts=pledges.queue_counts(db.session),
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        area_name=pledges.area_name,
        types=ORG_TYPES,
        sizes=ORG_SIZES,
        sectors=SECTORS,
        commitments=COMMITMENTS,
        failed=outbox.failed_messages(db.session, channel="email"),
        action_form=ActionForm(),
        moderation=_settings().moderation,
    )



@bp.route("/pledges/<int:pledge_id>/approve", methods=["POST"])
def approve_pledge(pledge_id: int):
    """Put a pledge on the wall (or accept its changes) and tell the organisation."""
    pledge = _pledge(pledge_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        result = pledges.approve(db.session, pledge, current_user, _settings())
    except pledges.PledgeError as error:
        flash(str(error), "error")
        return _back()
    send_after_commit(result.messages)
    flash(f"Approved: {pledge.organisation_name} is on the wall.", "success")
    return _back()


@bp.route("/pledges/<int:pledge_id>/hide", methods=["GET", "POST"])
def hide_pledge(pledge_id: int):
    """Take a pledge off the wall, giving the reason."""
    pledge = _pledge(pledge_id)
    form = HideForm()
    if form.validate_on_submit():
        try:
            pledges.hide(db.session, pledge, current_user, pledges.clean_text(form.reason.data))
        except pledges.PledgeError as error:
            flash(str(error), "error")
        else:
            flash(f"Hidden: {pledge.organisation_name} is off the wall.", "success")
        return _back()
    status = 400 if form.is_submitted() else 200
    return render_template("admin/pledges/hide.html", form=form, pledge=pledge), status


@bp.route("/pledges/<int:pledge_id>/edit", methods=["GET", "POST"])
def edit_pledge(pledge_id: int):
    """Correct a pledge's public details."""
    pledge = _pledge(pledge_id)
    if pledge.status == "withdrawn":
        abort(404)
    form = StaffEditForm(obj=pledge)
    if not form.is_submitted():
        form.commitments.data = pledge.commitments
    if form.validate_on_submit():
        try:
            pledges.edit(db.session, pledge, current_user, form.changes())
        except pledges.PledgeError as error:
            form.organisation_name.errors.append(str(error))
        else:
            flash(f"Saved your changes to {pledge.organisation_name}.", "success")
            return _back()
    status = 400 if form.is_submitted() else 200
    return render_template("admin/pledges/edit.html", form=form, pledge=pledge), status


@bp.route("/pledges/<int:pledge_id>/remove-statement", methods=["POST"])
def remove_pledge_statement(pledge_id: int):
    """Remove a pledge's statement, keeping the pledge."""
    pledge = _pledge(pledge_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    pledges.remove_statement(db.session, pledge, current_user)
    flash(f"Removed the statement of {pledge.organisation_name}.", "success")
    return _back()


@bp.route("/pledges/<int:pledge_id>/remove-logo", methods=["POST"])
def remove_pledge_logo(pledge_id: int):
    """Remove a pledge's logo, keeping the pledge."""
    pledge = _pledge(pledge_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    pledges.remove_logo(db.session, pledge, current_user)
    flash(f"Removed the logo of {pledge.organisation_name}.", "success")
    return _back()


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
def retry_message(message_id: int):
    """Try a failed email again."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if message_id <= MAX_ROW_ID and outbox.retry(db.session, message_id):
        send_after_commit([message_id])
        flash("The email is being sent again.", "success")
    else:
        flash("That email is no longer waiting to be retried.", "info")
    return _back()
