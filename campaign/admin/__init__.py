"""The staff area under /admin. Every view here needs a signed-in member of staff."""

from flask import Blueprint, make_response
from flask_login import login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_sign_in():
    """Every admin page needs sign-in; returning None lets the view run."""
    return None


@bp.after_request
def private_headers(response):
    """Staff pages are never indexed and never kept by shared caches."""
    response = make_response(response)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store, private"
    return response


# Every admin section, one view module each. Their routes attach to `bp`, so they are imported after it exists.
from campaign.admin.views import (  # noqa: E402,F401
    audit,
    breakdowns,
    checkins,
    comparison,
    content,
    contracts,
    dashboard,
    figures,
    pledges,
    review,
    scope,
    spend,
    staff,
    suppliers,
    x_account,
    years,
)
