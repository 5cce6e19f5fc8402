"""`flask seed`: load the campaign's figures, case studies and quotes."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from campaign.extensions import db
from campaign.formatting import pounds_and_pence
from campaign.services import audit
from campaign.services.content import seed as seed_service
from campaign.services.spend import published


@click.command("seed")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no content yet.")
@click.option("--without-spend", is_flag=True, help="Leave out the OPCC's published spend workbooks.")
@with_appcontext
def cli(if_empty: bool, without_spend: bool) -> None:
    """Load the campaign's figures, case studies, quotes and published spend (safe to run again)."""
    if if_empty and not seed_service.is_empty(db.session):
        click.echo("Campaign content is already loaded; nothing to do.")
        return
    audit.as_command_line()
    added = seed_service.load(db.session)
    click.echo("Added " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in added.items()) + ".")
    if without_spend:
        return
    for record in published.load_published_workbooks(db.session):
        click.echo(f"Imported and approved {record.filename}: {record.added_count:,} payments, "
                   f"{pounds_and_pence(record.total_pence)} (OPCC for Lancashire, payments over £500).")
