"""Admin views: dashboard, figures, years, suppliers, spend import, contracts, content, staff, audit."""

from flask import render_template

from campaign.admin import bp


@bp.route("/")
def dashboard():
    """The staff area's front page."""
    return render_template("admin/dashboard.html")
