"""`flask social`: fetch #BackingLancashire posts from X for staff to review."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from campaign.extensions import db
from campaign.services.x import hashtags

cli = AppGroup("social", help="The campaign's X account and the #BackingLancashire wall.")


@cli.command("fetch")
def fetch() -> None:
    """Store new #BackingLancashire posts from X for staff to review (run it every 15 minutes or so)."""
    report = hashtags.fetch_hashtag_posts(db.session, current_app.config)
    click.echo(report.message)
    if not report.ok and not report.skipped:
        raise SystemExit(1)
