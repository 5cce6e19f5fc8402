"""Staff sign-in under attack (issue 13): copied cookies after sign-out, session age, timing, and lockouts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from campaign import create_app
from campaign.extensions import limiter
from campaign.models import OutboxMessage, StaffUser
from campaign.models.common import utcnow
from campaign.services import staff
from tests.factories import PASSWORD, app_with, load_user_per_request, make_staff, signed_in


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


def sign_in(client, email, password, address="127.0.0.1"):
    """POST the sign-in form from an address."""
    return client.post("/admin/sign-in", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _session_cookie(client, app) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return cookie.value


# Finding 1: sign-out ends the session on the server, and sessions have an absolute lifetime.

def test_a_copied_session_cookie_stops_working_at_sign_out(app, client, db):
    make_staff(db, email="copied@example.org")
    assert sign_in(client, "copied@example.org", PASSWORD).status_code == 302
    copied = _session_cookie(client, app)
    assert client.get("/admin/figures").status_code == 200
    client.post("/admin/sign-out")

    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    response = thief.get("/admin/figures")
    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]


def test_a_remember_me_cookie_stops_working_at_sign_out(app, client, db):
    user = make_staff(db, email="remembered@example.org")
    old_identity = user.get_id()
    signed_in(client, user)
    client.post("/admin/sign-out")
    db.session.refresh(user)
    assert staff.load_session_user(db.session, old_identity) is None
    assert staff.load_session_user(db.session, user.get_id()) == user


def test_a_busy_session_still_ends_after_staff_session_hours(client, db):
    signed_in(client, make_staff(db))
    assert client.application.config["STAFF_SESSION_HOURS"] == 12
    now = int(utcnow().timestamp())
    with client.session_transaction() as sess:
        sess["signed_in_at"], sess["last_seen"] = now - 11 * 3600, now
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as sess:
        sess["signed_in_at"], sess["last_seen"] = now - 13 * 3600, now
    response = client.get("/admin/figures")
    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]
    assert client.get("/admin/").status_code == 302


def test_a_session_without_a_sign_in_time_is_not_accepted(client, db):
    user = make_staff(db)
    with client.session_transaction() as sess:  # as a remember-me cookie would restore it
        sess["_user_id"] = user.get_id()
        sess["last_seen"] = int(utcnow().timestamp())
    assert client.get("/admin/").status_code == 302


def test_staff_session_hours_is_a_setting():
    app = create_app("test", STAFF_SESSION_HOURS=2)
    assert app.config["STAFF_SESSION_HOURS"] == 2


# Finding 6: the same hash work whatever the account's state.

@pytest.mark.parametrize("state", ["wrong password", "paused address", "slowed account", "unknown", "disabled"])
def test_every_failed_sign_in_does_one_hash_of_the_configured_kind(db, monkeypatch, state):
    user = make_staff(db, email="timed@example.org")
    make_staff(db, email="off@example.org", active=False)
    now = utcnow()
    if state == "paused address":
        for _ in range(staff.MAX_FAILURES):
            staff.authenticate(db.session, user.email, "bad", now=now, address="10.0.0.1")
    if state == "slowed account":
        user.locked_until = now + timedelta(minutes=5)
        db.session.commit()
    hashes = []
    import werkzeug.security

    real = werkzeug.security.check_password_hash

    def counting(pwhash, password):
        hashes.append(pwhash.split("$")[0])
        return real(pwhash, password)

    monkeypatch.setattr("campaign.models.staff.check_password_hash", counting)
    monkeypatch.setattr("campaign.services.staff.check_password_hash", counting)
    email = {"unknown": "nobody@example.org", "disabled": "off@example.org"}.get(state, user.email)
    password = PASSWORD if state in ("paused address", "slowed account") else "wrong password"
    result = staff.authenticate(db.session, email, password, now=now, address="10.0.0.1")
    assert result.user is None
    assert hashes == [db.session.get(StaffUser, user.id).password_hash.split("$")[0]]


# Finding 7: failures pause one address; the account as a whole is only slowed for new places.

def test_failures_from_one_address_do_not_lock_the_owner_out(db):
    user = make_staff(db, email="target@example.org")
    now = utcnow()
    for _ in range(staff.MAX_FAILURES * 3):
        staff.authenticate(db.session, user.email, "guess", now=now, address="203.0.113.9")
    assert staff.authenticate(db.session, user.email, PASSWORD, now=now, address="203.0.113.9").user is None
    assert staff.authenticate(db.session, user.email, PASSWORD, now=now, address="198.51.100.7").user == user


def test_many_addresses_slow_new_places_only_and_email_the_owner_once(db):
    user = make_staff(db, email="owner@example.org")
    now = utcnow()
    assert staff.authenticate(db.session, user.email, PASSWORD, now=now, address="198.51.100.7").user == user
    for number in range(staff.ACCOUNT_SLOWDOWN_FAILURES + 5):
        staff.authenticate(db.session, user.email, "guess", now=now, address=f"203.0.113.{number}")
    # A new place must wait a moment; the owner's usual place signs in at once.
    assert staff.authenticate(db.session, user.email, PASSWORD, now=now, address="192.0.2.1").user is None
    assert staff.authenticate(db.session, user.email, PASSWORD, now=now, address="198.51.100.7").user == user
    warnings = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == user.email)).all()
    assert len(warnings) == 1 and "wrong password" in warnings[0].body_text

    for number in range(staff.ACCOUNT_SLOWDOWN_FAILURES):
        staff.authenticate(db.session, user.email, "guess", now=now, address=f"203.0.114.{number}")
    later = now + staff.LOCKOUT + timedelta(seconds=1)
    assert staff.authenticate(db.session, user.email, PASSWORD, now=later, address="192.0.2.1").user == user


def test_ipv6_addresses_count_by_their_network():
    assert staff.source_key("2001:db8:1:2::1") == staff.source_key("2001:db8:1:2:ffff::9")
    assert staff.source_key("2001:db8:1:3::1") != staff.source_key("2001:db8:1:2::1")
    assert staff.source_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert staff.source_key("not an address") == ""


def test_the_per_account_limit_never_stops_a_known_place(db):
    with app_with(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute") as app:
        limiter.reset()
        make_staff(db, email="known@example.org")
        client = app.test_client()
        assert sign_in(client, "known@example.org", PASSWORD, address="198.51.100.7").status_code == 302
        client.post("/admin/sign-out")
        for number in range(3):
            assert sign_in(client, "known@example.org", "wrong", address=f"10.0.0.{number}").status_code == 400
        assert sign_in(client, "known@example.org", "wrong", address="10.0.0.99").status_code == 429
        assert sign_in(client, "known@example.org", PASSWORD, address="198.51.100.7").status_code == 302


def test_the_owner_can_sign_in_while_a_stranger_hammers_the_form(client, db):
    make_staff(db, email="hammered@example.org")
    for _ in range(20):
        assert sign_in(client, "hammered@example.org", "guess", address="203.0.113.50").status_code == 400
    assert sign_in(client, "hammered@example.org", PASSWORD, address="198.51.100.8").status_code == 302
