"""The yearly check-in, from the emailed link: the report form, a fresh link, and stopping the emails."""

from flask import Blueprint

bp = Blueprint("checkins", __name__)

from campaign.checkins import views  # noqa: E402,F401
