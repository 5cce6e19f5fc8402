"""The X channel: post outbox messages to the campaign's X account, and keep welcome posts in step with pledges.

A pledge going live drafts its welcome post for staff to review; a pledge withdrawn stops that
post and erases the organisation's name from it. Both run inside the pledge's own transaction.
"""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy.engine import Row
from sqlalchemy.orm import object_session

from campaign.extensions import db
from campaign.models import OutboxMessage
from campaign.services import outbox
from campaign.services.pledges import common
from campaign.services.x import posts, sending

CHANNEL = "x"


def register(app: Flask) -> None:
    """Let the outbox send channel "x", and listen for pledges going live or being withdrawn."""
    outbox.register_sender(CHANNEL, send, ready)
    common.add_listener("live", posts.queue_welcome)
    common.add_listener("withdrawn", posts.forget_pledge)


def send(message: OutboxMessage | Row) -> str:
    """Post one outbox message with this app's X keys; returns the post's X id.

    The outbox hands senders the claimed row as its claim returned it, read-only. Posting to X writes to the
    row itself (the mark set before X is called, a post given up on), so the row is loaded into the session first.
    """
    session = (object_session(message) if isinstance(message, OutboxMessage) else None) or db.session
    row = session.get(OutboxMessage, message.id, populate_existing=True)
    if row is None:
        raise outbox.PermanentFailure("The message is no longer in the outbox.")
    return sending.send_x_message(session, row, current_app.config)


def ready() -> bool:
    """Whether the outbox may send X posts now (keys set, monthly cap not reached)."""
    return sending.can_send(db.session, current_app.config)
