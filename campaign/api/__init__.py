"""Open data: every live pledge as CSV and JSON, the headline figures as JSON, and the page explaining them."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from campaign.api import views  # noqa: E402,F401
