"""The `flask` commands: one module per group, all listed in COMMANDS and added by `register(app)`."""

from __future__ import annotations

from flask import Flask

from campaign.cli import checkins, demo, outbox, pledges, seed, social, spend, staff

COMMANDS = [seed.cli, staff.cli, outbox.cli, pledges.cli, checkins.cli, social.cli, spend.cli, demo.cli]


def register(app: Flask) -> None:
    """Add every command and command group to the app's `flask` command."""
    for command in COMMANDS:
        app.cli.add_command(command)
