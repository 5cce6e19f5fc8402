"""`flask staff`: create, list, set-password and disable, with clear errors and exit codes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaign.models import AuditEvent
from campaign.services import staff


@pytest.fixture
def runner(app, monkeypatch):
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    return app.test_cli_runner()


def test_create_reads_the_password_from_the_environment(runner, db, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "a long enough password")
    result = runner.invoke(args=["staff", "create", "New.Person@Example.org", "--name", "New Person", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "Created admin account for new.person@example.org" in result.output
    user = staff.find_by_email(db.session, "new.person@example.org")
    assert user.role == "admin" and user.check_password("a long enough password")
    event = db.session.scalar(select(AuditEvent))
    assert event.action == "create" and event.staff_id is None


def test_create_prompts_for_the_password_twice(runner, db):
    result = runner.invoke(args=["staff", "create", "p@example.org", "--name", "P"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    assert staff.find_by_email(db.session, "p@example.org").role == "editor"


@pytest.mark.parametrize(
    "args, password, message",
    [
        (["staff", "create", "x@example.org", "--name", "X"], "short", "at least 12 characters"),
        (["staff", "create", "not-an-email", "--name", "X"], "a long enough password", "correct format"),
        (["staff", "create", "x@example.org", "--name", "X", "--role", "owner"], "a long enough password",
         "Invalid value for '--role'"),
        (["staff", "create", "x@example.org"], "a long enough password", "Missing option '--name'"),
        (["staff", "create", "x@example.org", "--name", "  "], "a long enough password", "Enter the person's name"),
    ],
)
def test_create_refuses_bad_details(runner, db, monkeypatch, args, password, message):
    monkeypatch.setenv("STAFF_PASSWORD", password)
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and message in result.output
    assert staff.find_by_email(db.session, "x@example.org") is None


def test_create_refuses_a_duplicate(runner, db, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "a long enough password")
    runner.invoke(args=["staff", "create", "d@example.org", "--name", "D"])
    result = runner.invoke(args=["staff", "create", "D@example.org", "--name", "D"])
    assert result.exit_code == 1 and "There is already an account for d@example.org" in result.output


def test_list_set_password_and_disable(runner, db, monkeypatch):
    assert "No staff accounts yet" in runner.invoke(args=["staff", "list"]).output
    monkeypatch.setenv("STAFF_PASSWORD", "a long enough password")
    runner.invoke(args=["staff", "create", "a@example.org", "--name", "Ann", "--role", "admin"])
    runner.invoke(args=["staff", "create", "b@example.org", "--name", "Bob"])
    listing = runner.invoke(args=["staff", "list"]).output
    assert "a@example.org\tAnn\tadmin\tactive" in listing and "b@example.org\tBob\teditor\tactive" in listing
    monkeypatch.setenv("STAFF_PASSWORD", "another long password")
    result = runner.invoke(args=["staff", "set-password", "B@example.org"])
    assert result.exit_code == 0 and "Password changed for b@example.org" in result.output
    assert staff.find_by_email(db.session, "b@example.org").check_password("another long password")
    result = runner.invoke(args=["staff", "disable", "b@example.org"])
    assert result.exit_code == 0 and "Disabled b@example.org" in result.output
    assert "b@example.org\tBob\teditor\tdisabled" in runner.invoke(args=["staff", "list"]).output
    assert "already disabled" in runner.invoke(args=["staff", "disable", "b@example.org"]).output
    assert runner.invoke(args=["staff", "enable", "b@example.org"]).exit_code == 0


def test_the_last_admin_cannot_be_disabled(runner, db, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "a long enough password")
    runner.invoke(args=["staff", "create", "only@example.org", "--name", "Only", "--role", "admin"])
    result = runner.invoke(args=["staff", "disable", "only@example.org"])
    assert result.exit_code == 1 and "needs at least one" in result.output


@pytest.mark.parametrize("command", ["set-password", "disable", "enable"])
def test_unknown_accounts_are_errors(runner, db, monkeypatch, command):
    monkeypatch.setenv("STAFF_PASSWORD", "a long enough password")
    result = runner.invoke(args=["staff", command, "ghost@example.org"])
    assert result.exit_code == 1 and "There is no staff account for ghost@example.org" in result.output


def test_set_password_refuses_a_short_one(runner, db, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "a long enough password")
    runner.invoke(args=["staff", "create", "s@example.org", "--name", "S"])
    monkeypatch.setenv("STAFF_PASSWORD", "short")
    result = runner.invoke(args=["staff", "set-password", "s@example.org"])
    assert result.exit_code == 1 and "at least 12 characters" in result.output
