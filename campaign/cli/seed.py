"""`flask seed`: load the campaign's figures, case studies and quotes."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from campaign.extensions import db
from campaign.services.content import seed as seed_service


@click.command("seed")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no content yet.")
@with_appcontext
def cli(if_empty: bool) -> None:
    """Load the campaign's figures, case studies and quotes (safe to run again)."""
    if if_empty and not seed_service.is_empty(db.session):
        click.echo("Campaign content is already loaded; nothing to do.")
        return
    added = seed_service.load(db.session)
    click.echo("Added " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in added.items()) + ".")
