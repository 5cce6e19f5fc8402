"""The pledge: sign, confirm by email, the public wall, organisation pages, manage and withdraw, open data."""

from flask import Blueprint

bp = Blueprint("pledges", __name__)

from campaign.pledges import views  # noqa: E402,F401
