"""The yearly check-in for staff: who is due or overdue, approving or hiding reports, and inviting by hand.

Every action is a POST with a CSRF token, is recorded in the audit log, and redirects back to the list.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

import campaign.services.checkins as checkins
from campaign.admin import bp
from campaign.admin.forms.checkins import HideReportForm
from campaign.admin.forms.fields import ConfirmForm
from campaign.admin.views.common import actor, form_page, get_or_404
from campaign.channels import send_after_commit
from campaign.extensions import db
from campaign.keys import signing_keys
from campaign.models import Pledge, PledgeReport
from campaign.services.checkins import invitations, reports, review


def _back(default: str = "reported"):
    """Back to the tab the action was taken from."""
    tab = request.args.get("tab", default)
    return redirect(url_for("admin.checkins", tab=tab if tab in review.TABS else default), 303)


@bp.route("/check-ins", endpoint="checkins")
def checkins_list():
    """Pledges due or overdue for their check-in, and the reports sent."""
    tab = request.args.get("tab", "due")
    if tab not in review.TABS:
        abort(404)
    now = checkins.now()
    return render_template(
        "admin/checkins/index.html",
        tab=tab,
        tabs=review.TABS,
        counts=review.counts(db.session, now),
        rows=review.tab(db.session, tab, now),
        action_form=ConfirmForm(),
    )


@bp.route("/check-ins/reports/<int:report_id>/approve", methods=["POST"])
def approve_report(report_id: int):
    """Publish a report on the organisation's page and in the self-reported figures."""
    report = get_or_404(PledgeReport, report_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        reports.approve(db.session, report, actor(), checkins.now())
    except reports.ReportError as error:
        flash(str(error), "error")
    else:
        flash(f"Approved the {report.year} check-in of {report.pledge.organisation_name}.", "success")
    return _back()


@bp.route("/check-ins/reports/<int:report_id>/hide", methods=["GET", "POST"])
def hide_report(report_id: int):
    """Keep a report off public pages, giving the reason."""
    report = get_or_404(PledgeReport, report_id)
    if report.pledge.status == "withdrawn":
        abort(404)
    form = HideReportForm()
    if form.validate_on_submit():
        reports.hide(db.session, report, actor(), form.reason.data, checkins.now())
        flash(f"Hidden: the {report.year} check-in of {report.pledge.organisation_name}.", "success")
        return _back()
    return form_page("admin/checkins/hide.html", form, report=report)


@bp.route("/check-ins/pledges/<int:pledge_id>/invite", methods=["POST"])
def invite_by_hand(pledge_id: int):
    """Email a pledge its check-in invitation now."""
    pledge = get_or_404(Pledge, pledge_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    message = invitations.send_by_hand(db.session, pledge, actor(), signing_keys(current_app.config), checkins.now())
    if message is None:
        flash(f"No invitation sent: {pledge.organisation_name or 'this pledge'} is not live, has no contact, "
              "or asked for no check-in emails.", "error")
    else:
        send_after_commit([message])
        flash(f"Sent a check-in invitation to {pledge.organisation_name}.", "success")
    return _back("due")
