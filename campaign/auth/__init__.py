"""Staff sign-in and sign-out for the admin area."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/admin")

from campaign.auth import views  # noqa: E402,F401
