"""`flask staff`: create, list, disable staff accounts and set their passwords."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from campaign.extensions import db
from campaign.models.common import utcnow
from campaign.models.staff import ROLES
from campaign.services import audit, staff

cli = AppGroup("staff", help="Manage staff accounts for the admin area.")


def _password(prompt: str) -> str:
    """The password from STAFF_PASSWORD (for scripts), or typed twice at a hidden prompt."""
    from_env = os.environ.get("STAFF_PASSWORD")
    if from_env:
        return from_env
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _fail(message: str) -> None:
    """Stop with a message on stderr and a non-zero exit code."""
    raise click.ClickException(message)


def _find(email: str):
    """The account with this email, or stop with an error."""
    user = staff.find_by_email(db.session, email)
    if user is None:
        _fail(f"There is no staff account for {staff.normalise_email(email)}.")
    return user


@cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice(ROLES), default="editor", show_default=True,
              help="publisher also approves imports and figures for the public; "
              "admin also manages staff accounts and reads the audit log.")
def create(email: str, name: str, role: str) -> None:
    """Add a staff account. The password is prompted for, or read from STAFF_PASSWORD."""
    audit.as_command_line()
    if staff.find_by_email(db.session, email) is not None:
        _fail(f"There is already an account for {staff.normalise_email(email)}.")
    password = _password("Password (at least 12 characters)")
    try:
        user = staff.create(db.session, email, name, role, password)
    except staff.StaffError as error:
        _fail(str(error))
    click.echo(f"Created {user.role} account for {user.email} ({user.name}).")


@cli.command("list")
def list_accounts() -> None:
    """Show every staff account."""
    people = staff.all_staff(db.session)
    if not people:
        click.echo("No staff accounts yet. Add one with: flask staff create EMAIL --name NAME --role admin")
        return
    now = utcnow()
    for person in people:
        state = "active" if person.active else "disabled"
        if person.active and staff.is_locked(person, now):
            state = "paused after failed sign-ins"
        last = person.last_sign_in_at.strftime("%Y-%m-%d %H:%M UTC") if person.last_sign_in_at else "never"
        click.echo(f"{person.email}\t{person.name}\t{person.role}\t{state}\tlast sign-in: {last}")


@cli.command("set-password")
@click.argument("email")
def set_password(email: str) -> None:
    """Set a new password (prompted, or STAFF_PASSWORD); ends the account's sessions and any pause."""
    audit.as_command_line()
    user = _find(email)
    password = _password("New password (at least 12 characters)")
    try:
        staff.set_password(db.session, user, password)
    except staff.StaffError as error:
        _fail(str(error))
    click.echo(f"Password changed for {user.email}; their other sessions have ended.")


@cli.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Stop an account signing in, and end its sessions."""
    audit.as_command_line()
    user = _find(email)
    if not user.active:
        click.echo(f"{user.email} is already disabled.")
        return
    try:
        staff.set_active(db.session, user, False, actor=None)
    except staff.StaffError as error:
        _fail(str(error))
    click.echo(f"Disabled {user.email}.")


@cli.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Let a disabled account sign in again."""
    audit.as_command_line()
    user = _find(email)
    staff.set_active(db.session, user, True, actor=None)
    click.echo(f"Enabled {user.email}.")
