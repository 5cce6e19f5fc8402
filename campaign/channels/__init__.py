"""The ways out of the site: each channel sends one kind of outbox message (email, X).

The outbox engine (campaign/services/outbox.py) sends every message through the sender its
channel registered here, and create_app calls `register(app)` once. To add a channel, say SMS
or Slack: write campaign/channels/sms.py with `send(message)`, `ready()` and a `register(app)`
that calls `outbox.register_sender("sms", send, ready)`, then add `sms` to CHANNELS below.
Services queue its messages with `outbox.enqueue(session, "sms", ...)`; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, current_app

from campaign.channels import email, x
from campaign.extensions import db
from campaign.models import OutboxMessage
from campaign.services import outbox

CHANNELS = [email, x]


def register(app: Flask) -> None:
    """Register every channel's sender (and any listeners it needs) with the outbox."""
    for channel in CHANNELS:
        channel.register(app)


def send_after_commit(messages: Iterable[OutboxMessage | int]) -> None:
    """After a view commits messages it queued, try them at once, unless OUTBOX_SEND_IN_REQUEST is off.

    With it off, the outbox worker sends them instead, so a spike of sign-ups never waits on SMTP.
    """
    messages = list(messages)
    if messages and current_app.config["OUTBOX_SEND_IN_REQUEST"]:
        outbox.send_now(db.session, messages)
