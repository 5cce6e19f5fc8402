"""Every response carries the protective headers: pages, staff pages, errors, JSON, CSV, images and cards.

The route walk fills every GET rule of the app with real rows (see test_forms_csrf.build_world),
so a new page is checked the day it is added.
"""

from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import text

from campaign import create_app
from campaign.extensions import db as _db
from campaign.models import OutboxMessage, StaffUser
from tests.factories import signed_in
from tests.test_forms_csrf import build_world, fresh_request_globals, rules, url_for_rule
from tests.test_pledge_helpers import app_with, form_data

TOO_BIG = 13 * 1024 * 1024  # bytes: over MAX_CONTENT_LENGTH (12 MB)


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as {directive: [sources]}."""
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed


def header_problems(response, production: bool = False) -> list[str]:
    """What is missing or weak in a response's security headers (empty when all is well)."""
    headers = response.headers
    problems = []
    policy = headers.get("Content-Security-Policy")
    if not policy:
        problems.append("no Content-Security-Policy")
    else:
        found = directives(policy)
        scripts = found.get("script-src", found.get("default-src"))
        if scripts is None:
            problems.append("CSP limits neither script-src nor default-src")
        elif "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts or "*" in scripts:
            problems.append(f"CSP allows inline scripts: {scripts}")
        if found.get("frame-ancestors") != ["'none'"]:
            problems.append(f"CSP frame-ancestors is {found.get('frame-ancestors')}, not 'none' ({policy!r})")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options is {headers.get('X-Content-Type-Options')!r}")
    if headers.get("Referrer-Policy") not in {"no-referrer", "strict-origin-when-cross-origin", "same-origin", "strict-origin"}:
        problems.append(f"Referrer-Policy is {headers.get('Referrer-Policy')!r}")
    permissions = headers.get("Permissions-Policy", "")
    if not all(f"{feature}=()" in permissions for feature in ("camera", "microphone", "geolocation")):
        problems.append(f"Permissions-Policy is {permissions!r}")
    hsts = headers.get("Strict-Transport-Security")
    if production and not (hsts and "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000):
        problems.append(f"production answered without a year of HSTS: {hsts!r}")
    if not production and hsts:
        problems.append(f"HSTS outside production: {hsts!r}")
    return problems


@pytest.fixture
def world(app, db):
    """One of everything, so every URL rule can be filled in."""
    fresh_request_globals(app)
    return build_world(db)


def test_every_get_route_for_staff_and_public(app, db, world):
    admin = db.session.get(StaffUser, world.admin_id)
    staff = signed_in(app.test_client(), admin)
    anonymous = app.test_client()
    checked, problems, statuses = 0, [], {}
    for rule in rules(app, "GET"):
        url = url_for_rule(app, rule, world)
        for who, client in (("staff", staff), ("public", anonymous)):
            response = client.get(url)
            statuses[(rule.endpoint, who)] = response.status_code
            checked += 1
            problems += [f"{who} GET {url} ({response.status_code}): {p}" for p in header_problems(response)]
            etag = response.headers.get("ETag")
            if etag and response.status_code == 200:
                again = client.get(url, headers={"If-None-Match": etag})
                problems += [f"{who} GET {url} ({again.status_code}): {p}" for p in header_problems(again)]
    assert checked >= 120
    # The walk really reached the pages: staff see the staff area, the public see every public page.
    assert all(statuses[(rule.endpoint, "staff")] < 400 for rule in rules(app, "GET") if rule.rule.startswith("/admin"))
    assert statuses[("api.pledges_json", "public")] == 200 and statuses[("api.pledges_csv", "public")] == 200
    assert statuses[("social.campaign_card", "public")] == 200 and statuses[("public.image", "public")] == 200
    assert statuses[("admin.contracts_export", "staff")] == 200
    assert not problems, "\n".join(problems)


def test_redirects_and_options(app, db, world):
    client = app.test_client()
    for response in (client.get("/admin/"), client.options("/pledge"), client.head("/pledges")):
        assert response.status_code in (200, 302)
        assert header_problems(response) == []


@pytest.mark.own_app
def test_error_pages(app, db, world):
    client = app.test_client()

    @app.route("/test-only/broken")
    def broken():
        raise RuntimeError("a bug in a view")

    @app.route("/test-only/forbidden")
    def forbidden():
        abort(403)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    responses = {
        404: client.get("/no-such-page"),
        405: client.get("/admin/sign-out"),
        403: client.get("/test-only/forbidden"),
        413: client.post("/pledge", data=b"x" * TOO_BIG, content_type="application/octet-stream"),
        500: client.get("/test-only/broken"),
    }
    for status, response in responses.items():
        assert response.status_code == status
        assert header_problems(response) == [], (status, header_problems(response))


def test_csrf_and_rate_limit_refusals(_postgres_schema):
    with app_with(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, PLEDGE_RATE_LIMIT="1 per minute") as app:
        client = app.test_client()
        refused = client.post("/pledge", data=form_data())
        assert refused.status_code == 400 and header_problems(refused) == []
        app.config["WTF_CSRF_ENABLED"] = False
        client.post("/pledge", data=form_data())
        limited = client.post("/pledge", data=form_data(contact_email="other@example.org"))
        assert limited.status_code == 429 and header_problems(limited) == []


def test_database_down_page(tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/site.db")
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert header_problems(response) == []


def test_development_mailbox(_postgres_schema):
    with app_with(SHOW_DEV_MAIL=True, MAIL_SERVER="") as app:
        client = app.test_client()
        client.post("/pledge", data=form_data())
        message = _db.session.query(OutboxMessage).first()
        for url in ("/dev/mail", f"/dev/mail/{message.id}.html"):
            response = client.get(url)
            assert response.status_code == 200
            assert header_problems(response) == [], (url, header_problems(response))


def test_hsts_only_in_production(tmp_path):
    app = create_app("production", SECRET_KEY="p" * 40, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/production.db",
                     RATELIMIT_STORAGE_URI="memory://")
    fresh_request_globals(app)
    with app.app_context():
        _db.create_all()
        _db.session.execute(text("SELECT 1"))
        client = app.test_client()
        for url in ("/", "/pledges", "/pledge", "/api/figures.json", "/admin/sign-in", "/no-such-page", "/static/css/site.css"):
            response = client.get(url)
            assert response.status_code in (200, 404)
            assert header_problems(response, production=True) == [], (url, header_problems(response, production=True))
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()
