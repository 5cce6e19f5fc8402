"""Other publishing bodies' spend, worked out by the campaign's method for comparison (never its own figures)."""

from __future__ import annotations

from flask import render_template

from campaign.admin import bp
from campaign.extensions import db
from campaign.models.spend import SCOPE_REASONS
from campaign.services.spend import comparison, coverage


@bp.route("/spend/comparison")
def spend_comparison():
    """Each other body's total, in-scope spend, coverage and shares, year by year, labelled as comparison only."""
    return render_template(
        "admin/spend/comparison.html", bodies=comparison.other_bodies(db.session),
        minimum=coverage.minimum_coverage(db.session), reasons=SCOPE_REASONS,
    )
