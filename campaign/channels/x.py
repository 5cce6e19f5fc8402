"""The X channel: post outbox messages to the campaign's X account, and keep welcome posts in step with pledges.

A pledge going live drafts its welcome post for staff to review; a pledge withdrawn stops that
post and erases the organisation's name from it. Both run inside the pledge's own transaction.
"""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy.orm import object_session

from campaign.extensions import db
from campaign.models import OutboxMessage
from campaign.services import outbox
from campaign.services.pledges import signing as pledges
from campaign.services.x import posts

CHANNEL = "x"


def register(app: Flask) -> None:
    """Let the outbox send channel "x", and listen for pledges going live or being withdrawn."""
    outbox.register_sender(CHANNEL, send, ready)
    pledges.add_listener("live", posts.queue_welcome)
    pledges.add_listener("withdrawn", posts.forget_pledge)


def send(message: OutboxMessage) -> str:
    """Post one outbox message with this app's X keys; returns the post's X id."""
    return posts.send_x_message(object_session(message) or db.session, message, current_app.config)


def ready() -> bool:
    """Whether the outbox may send X posts now (keys set, monthly cap not reached)."""
    return posts.can_send(db.session, current_app.config)
