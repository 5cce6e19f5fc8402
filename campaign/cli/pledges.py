"""`flask pledges`: retention and staff digests for pledges."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from campaign.extensions import db
from campaign.services import outbox
from campaign.services.pledges import common, emails, retention

cli = AppGroup("pledges", help="Look after pledges: delete unconfirmed ones, send the staff digest.")


@cli.command("purge")
def purge() -> None:
    """Delete pledges never confirmed within PENDING_PLEDGE_DAYS, with their links, logos and emails."""
    settings = common.Settings.from_config(current_app.config)
    removed = retention.purge(db.session, settings)
    click.echo(f"Deleted {removed} unconfirmed pledge{'' if removed == 1 else 's'} older than {settings.pending_days} days.")


@cli.command("digest")
def digest() -> None:
    """Queue today's staff digest of new pledges (when STAFF_NOTIFY_MODE=digest), and try to send it."""
    message = emails.send_staff_digest(db.session, common.Settings.from_config(current_app.config))
    if message is None:
        click.echo("No digest to send (none chosen, already sent today, or no new pledges).")
        return
    outbox.send_now(db.session, [message], worker_id="cli")
    click.echo(f"Queued the digest for {current_app.config['STAFF_NOTIFY_EMAIL']}.")
