"""Sharing: the public #BackingLancashire wall, the share card pictures, and the campaign's X account.

Importing this package connects X to the rest of the site: the outbox sends channel "x" through
`sending.send_x_message`, and pledges going live or being withdrawn update their welcome posts.
"""

from flask import Blueprint, current_app
from sqlalchemy.orm import object_session

from campaign.extensions import db
from campaign.models import OutboxMessage
from campaign.services import outbox
from campaign.services.pledges import common
from campaign.services.x import posts as social
from campaign.services.x import sending

bp = Blueprint("social", __name__)


def send_x(message: OutboxMessage) -> str:
    """The outbox's sender for channel "x": post with this app's X keys."""
    return sending.send_x_message(object_session(message) or db.session, message, current_app.config)


def x_ready() -> bool:
    """Whether the outbox may send X posts now (keys set, monthly cap not reached)."""
    return sending.can_send(db.session, current_app.config)


outbox.register_sender("x", send_x, x_ready)
common.add_listener("live", social.queue_welcome)
common.add_listener("withdrawn", social.forget_pledge)

from campaign.social import views  # noqa: E402,F401
