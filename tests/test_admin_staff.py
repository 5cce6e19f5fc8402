"""Staff accounts managed by admins, your own password, and the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from campaign.models import AuditEvent, StaffUser
from campaign.models.common import utcnow
from campaign.services import audit, staff
from tests.factories import PASSWORD, load_user_per_request, make_figure, make_staff, signed_in
from tests.pages import text_of


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


@pytest.fixture
def admin(client, db):
    user = make_staff(db, role="admin", email="ada@example.org", name="Ada Admin")
    signed_in(client, user)
    return user


NEW = {"name": "Eddie Editor", "email": "Eddie@Example.org", "role": "editor", "password": "a long enough password"}


def test_admin_adds_an_account_that_can_sign_in(client, db, admin):
    client.application.config["PASSWORD_HASH_METHOD"] = "scrypt"  # production's hash, not the tests' cheap one
    client.post_and_redirect("/admin/staff/new", NEW, to="admin.staff")
    person = staff.find_by_email(db.session, "eddie@example.org")
    assert (person.name, person.role, person.active) == ("Eddie Editor", "editor", True)
    assert "a long enough password" not in person.password_hash and person.password_hash.startswith("scrypt:")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "staff"))
    assert event.action == "create" and event.staff_id == admin.id
    assert "password_hash" not in event.after and event.after["email"] == "eddie@example.org"
    other = client.application.test_client()
    response = other.post("/admin/sign-in", data={"email": "eddie@example.org", "password": "a long enough password"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"password": "short"}, "Enter a password of between 12 and 200 characters"),
        ({"email": "not-an-email"}, "Enter an email address in the correct format"),
        ({"email": "ada@example.org"}, "There is already an account for ada@example.org"),
        ({"role": "owner"}, "Select a role"),
        ({"name": ""}, "Enter the person&#39;s name"),
    ],
)
def test_bad_account_details_get_an_instruction(client, db, admin, changes, message):
    response = client.post("/admin/staff/new", data=NEW | changes)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StaffUser.id))) == 1


def test_change_role_disable_enable_and_reset(client, db, admin):
    person = make_staff(db, role="editor")
    client.post(f"/admin/staff/{person.id}/edit", data={"name": "Renamed", "role": "admin"})
    db.session.refresh(person)
    assert (person.name, person.role) == ("Renamed", "admin")
    client.post(f"/admin/staff/{person.id}/disable")
    db.session.refresh(person)
    assert not person.active
    assert "Disabled" in text_of(client.get_page("admin.staff"))
    client.post(f"/admin/staff/{person.id}/enable")
    db.session.refresh(person)
    assert person.active
    response = client.post(f"/admin/staff/{person.id}/password",
                           data={"password": "brand new password!", "confirm": "brand new password!"})
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.check_password("brand new password!")
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(person.id))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["update", "disable", "enable", "set_password"]


def test_mismatched_passwords_are_refused(client, db, admin):
    person = make_staff(db)
    response = client.post(f"/admin/staff/{person.id}/password",
                           data={"password": "brand new password!", "confirm": "something else entirely"})
    assert response.status_code == 400 and "Enter the same password in both boxes" in response.get_data(as_text=True)


def test_a_paused_account_can_be_unlocked(client, db, admin):
    person = make_staff(db)
    person.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    assert "Paused after failed sign-ins" in text_of(client.get_page("admin.staff"))
    client.post(f"/admin/staff/{person.id}/unlock")
    db.session.refresh(person)
    assert person.locked_until is None


def test_the_site_always_keeps_an_admin(client, db, admin):
    response = client.post(f"/admin/staff/{admin.id}/disable")
    assert response.status_code == 302
    db.session.refresh(admin)
    assert admin.active
    assert "You cannot disable your own account" in text_of(client.get_page("admin.staff"))
    response = client.post(f"/admin/staff/{admin.id}/edit", data={"name": "Ada", "role": "editor"})
    assert response.status_code == 400 and "the site needs at least one" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_anyone_can_change_their_own_password(client, db):
    editor = make_staff(db)
    signed_in(client, editor)
    response = client.post("/admin/account/password", data={
        "current_password": "wrong", "password": "a new password here", "confirm": "a new password here"})
    assert response.status_code == 400 and "Enter your current password correctly" in response.get_data(as_text=True)
    response = client.post("/admin/account/password", data={
        "current_password": PASSWORD, "password": "a new password here", "confirm": "a new password here"})
    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]
    db.session.refresh(editor)
    assert editor.check_password("a new password here")
    assert client.get("/admin/").status_code == 302  # this session ended too


def test_audit_log_filters_by_person_and_type(client, db, admin):
    editor = make_staff(db, name="Eddie")
    figure = make_figure(db)
    audit.record(db.session, editor, "publish", "figure", figure.id, "Eddie published a figure",
                 before={"published": False}, after={"published": True})
    audit.record(db.session, admin, "create", "contract", 1, "Ada added a contract", after={"title": "Hay"})
    db.session.commit()
    everything = text_of(client.get_page("admin.audit"))
    assert "Eddie published a figure" in everything and "Ada added a contract" in everything
    by_eddie = text_of(client.get_page("admin.audit", query={"person": editor.id}))
    assert "Eddie published a figure" in by_eddie and "Ada added a contract" not in by_eddie
    contracts_only = client.get_page("admin.audit", query={"type": "contract"})
    assert "Ada added a contract" in text_of(contracts_only) and "Eddie" not in text_of(contracts_only.select_one("tbody"))
    details = text_of(client.get_page("admin.audit", query={"type": "figure"}).select_one("details"))
    assert "published False True" in details
    # Filters that match no choice are ignored rather than failing.
    assert "Eddie published a figure" in text_of(client.get_page("admin.audit", query={"person": "99999", "type": "nope"}))


def test_audit_log_pages_through_many_events(client, db, admin):
    for number in range(audit.PAGE_SIZE + 3):
        audit.record(db.session, admin, "update", "figure", number, f"change {number}")
    db.session.commit()
    assert "Page 1 of 2" in text_of(client.get_page("admin.audit"))
    client.get_page("admin.audit", query={"page": "2"})
    client.get_page("admin.audit", query={"page": "999999999999"})
