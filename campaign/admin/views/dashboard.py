"""The staff area's front page."""

from __future__ import annotations

from flask import render_template

from campaign.admin import bp
from campaign.extensions import db
from campaign.services.figures import editing as admin_figures
from campaign.services.pledges import moderation
from campaign.services.spend import imports as spend_import
from campaign.services.spend import publication, review, suppliers


@bp.route("/")
def dashboard():
    """The staff area's front page: what needs attention."""
    return render_template(
        "admin/dashboard.html",
        attention=suppliers.attention_counts(db.session),
        figure_rows=admin_figures.all_figures(db.session),
        imports=spend_import.recent_imports(db.session, limit=5),
        pledge_counts=moderation.queue_counts(db.session),
        spend_years=publication.years_to_review(db.session),
        waiting_imports=len(review.waiting_imports(db.session)),
    )
