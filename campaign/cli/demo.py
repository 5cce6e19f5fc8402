"""`flask demo`: load a full, clearly labelled demo wall for newcomers, or clear it. Never in production."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup

from campaign.extensions import db
from campaign.models.common import utcnow
from campaign.services.pledges import demo

cli = AppGroup("demo", help="Fill the pledge wall with made-up, clearly labelled organisations, or remove them.")


def _refuse_in_production() -> None:
    """Demo data must never reach the real wall or its open data."""
    if current_app.config["ENV_NAME"] == "production" or os.environ.get("APP_ENV") == "production":
        raise click.ClickException("Demo data is never loaded or cleared in production (APP_ENV=production).")


@cli.command("load")
@click.option("--count", default=60, show_default=True, type=click.IntRange(1, 500), help="How many demo pledges.")
def load(count: int) -> None:
    """Add live demo pledges, each named "(demo)" and marked as demo data on its page and the wall."""
    _refuse_in_production()
    added = demo.load(db.session, utcnow(), count)
    click.echo(f"Added {added} demo pledge{'' if added == 1 else 's'}. Remove them with `flask demo clear`.")


@cli.command("clear")
def clear() -> None:
    """Delete exactly the pledges `flask demo load` added."""
    _refuse_in_production()
    removed = demo.clear(db.session)
    click.echo(f"Removed {removed} demo pledge{'' if removed == 1 else 's'}.")
