"""Sharing: the public #BackingLancashire wall and the share card pictures.

Posting to the campaign's X account is a channel: see campaign/channels/x.py.
"""

from flask import Blueprint

bp = Blueprint("social", __name__)

from campaign.social import views  # noqa: E402,F401
