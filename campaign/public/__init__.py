"""The public pages: home, about, case studies, figures and the site's notices."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from campaign.public import views  # noqa: E402,F401
