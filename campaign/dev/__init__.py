"""Development only: /dev/mail shows the emails the site has sent when no MAIL_SERVER is set."""

from flask import Blueprint, abort, current_app

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def development_only():
    """Every page here is a 404 unless SHOW_DEV_MAIL is on (development with no mail server)."""
    if not current_app.config["SHOW_DEV_MAIL"]:
        abort(404)


from campaign.dev import views  # noqa: E402,F401
