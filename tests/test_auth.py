"""Staff sign-in: the matrix of right and wrong details, lockout, limits, sessions and safe redirects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import session as flask_session

from campaign import create_app
from campaign.auth.views import safe_next
from campaign.extensions import limiter
from campaign.models.common import utcnow
from campaign.services import staff
from tests.factories import PASSWORD, app_with, load_user_per_request, make_staff, signed_in
from tests.pages import text_of


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


GENERIC = "Enter a correct email address and password"


def sign_in(client, email, password, next_url=None, **kwargs):
    """POST the sign-in form."""
    url = "/admin/sign-in" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data={"email": email, "password": password}, **kwargs)


def test_sign_in_page_passes_the_page_checks(client):
    page = client.get_page("auth.sign_in")
    assert page.find("form").has_attr("novalidate")


def test_right_password_signs_in_and_goes_to_the_dashboard(client, db):
    user = make_staff(db, email="editor@example.org")
    response = sign_in(client, "Editor@Example.org ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200
    assert db.session.get(type(user), user.id).last_sign_in_at is not None


@pytest.mark.parametrize("case", ["wrong password", "unknown account", "disabled account", "blank"])
def test_every_failure_gets_the_same_message(client, db, case):
    make_staff(db, email="someone@example.org")
    make_staff(db, email="gone@example.org", active=False)
    email, password = {
        "wrong password": ("someone@example.org", "not the password at all"),
        "unknown account": ("nobody@example.org", PASSWORD),
        "disabled account": ("gone@example.org", PASSWORD),
        "blank": ("someone@example.org", ""),
    }[case]
    response = sign_in(client, email, password)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    if case == "blank":
        assert "Enter your password" in page
    else:
        assert GENERIC in page
        assert "nobody" not in page.replace("nobody@example.org", "")  # nothing says the account is unknown
    assert client.get("/admin/").status_code == 302


def test_unknown_and_wrong_password_pages_are_identical(client, db):
    make_staff(db, email="someone@example.org")
    wrong = sign_in(client, "someone@example.org", "not the password at all").get_data(as_text=True)
    unknown = sign_in(client, "nobody@example.org", "not the password at all").get_data(as_text=True)
    assert wrong.replace("someone@example.org", "X") == unknown.replace("nobody@example.org", "X")


def test_five_failures_pause_the_account_and_it_reopens_after_15_minutes(client, db, monkeypatch):
    user = make_staff(db, email="target@example.org")
    start = utcnow()
    monkeypatch.setattr(staff, "utcnow", lambda: start)
    for _ in range(5):
        assert sign_in(client, "target@example.org", "wrong password here").status_code == 400
    # Now even the right password is refused, with the same message as any failure.
    paused = sign_in(client, "target@example.org", PASSWORD)
    assert paused.status_code == 400 and GENERIC in paused.get_data(as_text=True)
    monkeypatch.setattr(staff, "utcnow", lambda: start + timedelta(minutes=14))
    assert sign_in(client, "target@example.org", PASSWORD).status_code == 400
    monkeypatch.setattr(staff, "utcnow", lambda: start + timedelta(minutes=16))
    assert sign_in(client, "target@example.org", PASSWORD).status_code == 302
    db.session.refresh(user)
    assert user.locked_until is None and user.failed_sign_ins == 0


def test_lockout_with_a_controllable_clock(db):
    user = make_staff(db, email="clock@example.org")
    now = utcnow()
    for minute in range(4):
        assert not staff.authenticate(db.session, user.email, "bad", now=now + timedelta(minutes=minute)).locked
    fifth = staff.authenticate(db.session, user.email, "bad", now=now + timedelta(minutes=4))
    assert fifth.locked and fifth.user is None
    assert staff.authenticate(db.session, user.email, PASSWORD, now=now + timedelta(minutes=18)).user is None
    assert staff.authenticate(db.session, user.email, PASSWORD, now=now + timedelta(minutes=20)).user == user


def test_failures_more_than_15_minutes_apart_do_not_add_up(db):
    user = make_staff(db, email="slow@example.org")
    now = utcnow()
    for minute in (0, 1, 2, 3):
        staff.authenticate(db.session, user.email, "bad", now=now + timedelta(minutes=minute))
    result = staff.authenticate(db.session, user.email, "bad", now=now + timedelta(minutes=30))
    assert not result.locked
    assert staff.authenticate(db.session, user.email, PASSWORD, now=now + timedelta(minutes=31)).user == user


@pytest.mark.parametrize(
    "target",
    ["//evil.com", "https://evil.com", "http://evil.com/admin/", "/\\evil.com", "\\\\evil.com", "javascript:alert(1)",
     "//evil.com/%2F..", "evil.com", " //evil.com", "/%5Cevil.com"],
)
def test_next_never_leaves_the_site(client, db, target):
    make_staff(db, email="next@example.org")
    response = sign_in(client, "next@example.org", PASSWORD, next_url=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    assert "evil" not in location.split("?")[0] or location.startswith("/admin")


def test_next_within_the_site_is_followed(client, db):
    make_staff(db, email="next@example.org")
    response = sign_in(client, "next@example.org", PASSWORD, next_url="/admin/figures")
    assert response.headers["Location"] == "/admin/figures"


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil.com", "\\evil.com", "", None])
def test_safe_next_refuses_other_hosts(target):
    assert safe_next(target) is None


def test_signing_in_renews_the_session(client, db):
    make_staff(db, email="fixation@example.org")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    sign_in(client, "fixation@example.org", PASSWORD)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.permanent


def test_anonymous_visit_to_admin_asks_for_sign_in_then_returns(client, db):
    make_staff(db, email="returning@example.org")
    response = client.get("/admin/figures")
    assert response.status_code == 302
    assert "/admin/sign-in?next=" in response.headers["Location"]
    back = sign_in(client, "returning@example.org", PASSWORD, next_url="/admin/figures")
    assert back.headers["Location"] == "/admin/figures"


def test_idle_session_expires_after_30_minutes(client, db):
    user = make_staff(db)
    signed_in(client, user)
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as sess:
        sess["last_seen"] = int((utcnow() - timedelta(minutes=29)).timestamp())
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as sess:
        sess["last_seen"] = int((utcnow() - timedelta(minutes=31)).timestamp())
    response = client.get("/admin/figures")
    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]
    assert client.get("/admin/").status_code == 302


def test_sign_out_is_a_post_and_ends_the_session(client, db):
    user = make_staff(db)
    signed_in(client, user)
    assert client.get("/admin/sign-out").status_code == 405
    client.post_and_redirect("/admin/sign-out", to="auth.sign_in")
    assert client.get("/admin/").status_code == 302


def test_sign_out_needs_a_csrf_token(db):
    with app_with(WTF_CSRF_ENABLED=True) as app:
        user = make_staff(db)
        client = app.test_client()
        signed_in(client, user)
        assert client.post("/admin/sign-out").status_code == 400
        assert client.get("/admin/").status_code == 200


def test_sign_in_form_needs_a_csrf_token_and_works_with_one(db):
    with app_with(WTF_CSRF_ENABLED=True) as app:
        make_staff(db, email="csrf@example.org")
        client = app.test_client()
        assert sign_in(client, "csrf@example.org", PASSWORD).status_code == 400
        page = client.get("/admin/sign-in").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post(
            "/admin/sign-in", data={"email": "csrf@example.org", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302


def test_a_new_password_ends_other_sessions(client, db):
    user = make_staff(db)
    signed_in(client, user)
    assert client.get("/admin/").status_code == 200
    staff.set_password(db.session, user, "another long password")
    assert client.get("/admin/").status_code == 302


def test_disabling_an_account_ends_its_sessions(client, db):
    admin = make_staff(db, role="admin")
    user = make_staff(db)
    signed_in(client, user)
    staff.set_active(db.session, user, False, admin)
    assert client.get("/admin/").status_code == 302


def test_failed_sign_ins_are_rate_limited_per_address(db):
    with app_with(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute") as app:
        limiter.reset()
        make_staff(db, email="limited@example.org")
        client = app.test_client()
        for number in range(3):
            assert sign_in(client, f"guess{number}@example.org", "wrong password").status_code == 400
        assert sign_in(client, "limited@example.org", PASSWORD).status_code == 429


def test_failed_sign_ins_are_rate_limited_per_account_across_addresses(db):
    with app_with(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute") as app:
        limiter.reset()
        make_staff(db, email="limited@example.org")
        client = app.test_client()
        for number in range(3):
            response = sign_in(client, "limited@example.org", "wrong password",
                               environ_base={"REMOTE_ADDR": f"10.0.0.{number + 1}"})
            assert response.status_code == 400
        response = sign_in(client, "limited@example.org", "wrong password", environ_base={"REMOTE_ADDR": "10.0.0.99"})
        assert response.status_code == 429
        # Another account from that fresh address is not held back.
        assert sign_in(client, "other@example.org", "wrong password",
                       environ_base={"REMOTE_ADDR": "10.0.0.98"}).status_code == 400


def test_production_cookies_are_secure_httponly_and_lax():
    app = create_app("production", SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["PERMANENT_SESSION_LIFETIME"] == 30 * 60


def test_session_cookie_is_httponly_and_lax(client, db):
    make_staff(db, email="cookie@example.org")
    response = sign_in(client, "cookie@example.org", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_signed_in_person_visiting_sign_in_goes_to_the_dashboard(client, db):
    signed_in(client, make_staff(db))
    response = client.get("/admin/sign-in")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")


def test_sign_in_never_fails_with_huge_or_strange_input(client, db):
    for email, password in (("a" * 100_000, "b" * 100_000), ("\x00\xff", "\ud800".encode("utf-8", "surrogatepass")),
                            ("", ""), ("x@y", None)):
        data = {"email": email}
        if password is not None:
            data["password"] = password
        response = client.post("/admin/sign-in", data=data)
        assert response.status_code == 400


def test_the_signed_in_page_names_the_person(client, db):
    user = make_staff(db, name="Priya Patel")
    signed_in(client, user)
    page = text_of(client.get_page("admin.dashboard"))
    assert "signed in as Priya Patel" in page
    with client:
        client.get("/admin/")
        assert flask_session.get("_user_id") == user.get_id()
