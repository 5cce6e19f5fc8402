"""`flask checkins`: send the yearly check-in invitations and reminders that are due."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

import campaign.services.checkins as checkins
from campaign.extensions import db
from campaign.keys import signing_keys
from campaign.services.checkins import invitations

cli = AppGroup("checkins", help="The yearly check-in: invitations on each pledge's anniversary, and one reminder.")


@cli.command("send")
def send() -> None:
    """Queue every check-in invitation and reminder due today (safe to run more than once)."""
    summary = invitations.run(db.session, signing_keys(current_app.config), checkins.now())
    click.echo(f"Queued {summary.invited} check-in invitation(s) and {summary.reminded} reminder(s).")
