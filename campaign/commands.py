"""The `flask` command groups: seed, and those each part of the site adds."""

from __future__ import annotations

import click
from flask import Flask

from campaign.extensions import db
from campaign.services.content import seed as seed_service


def register(app: Flask) -> None:
    """Attach every command group to the app."""

    @app.cli.command("seed")
    @click.option("--if-empty", is_flag=True, help="Only load when the database has no content yet.")
    def seed(if_empty: bool) -> None:
        """Load the campaign's figures, case studies and quotes (safe to run again)."""
        if if_empty and not seed_service.is_empty(db.session):
            click.echo("Campaign content is already loaded; nothing to do.")
            return
        added = seed_service.load(db.session)
        click.echo("Added " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in added.items()) + ".")

    for module_name in (
        "campaign.cli.staff",
        "campaign.cli.outbox",
        "campaign.cli.pledges",
        "campaign.cli.social",
        "campaign.cli.spend",
        "campaign.cli.demo",
    ):
        _add_group(app, module_name)


def _add_group(app: Flask, module_name: str) -> None:
    """Add a command group that a later part of the site provides, if it is there."""
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name not in (module_name, "campaign.cli"):
            raise
        return
    app.cli.add_command(module.cli)
