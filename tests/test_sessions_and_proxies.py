"""Rate limits that count the right things from the right address, and pages no cache may keep (issue 13)."""

from __future__ import annotations

import pytest
from flask import request

from campaign import create_app
from campaign.extensions import limiter
from tests.test_pledge_helpers import app_with, form_data

# Finding 11: only accepted sign-ups count; a looser limit covers every post.

def test_form_mistakes_do_not_use_up_the_sign_up_limit(_postgres_schema):
    with app_with(RATELIMIT_ENABLED=True, PLEDGE_RATE_LIMIT="3 per 10 minutes") as app:
        client = app.test_client()
        for _ in range(6):  # an office making typos
            assert client.post("/pledge", data=form_data(contact_email="not an email")).status_code == 400
        statuses = [
            client.post("/pledge", data=form_data(contact_email=f"p{n}@example.com", organisation_name=f"Org {n}")).status_code
            for n in range(4)
        ]
        assert statuses == [303, 303, 303, 429]


def test_every_post_counts_towards_a_looser_limit(_postgres_schema):
    with app_with(RATELIMIT_ENABLED=True, PLEDGE_RATE_LIMIT="3 per 10 minutes", PLEDGE_POST_RATE_LIMIT="5 per 10 minutes") as app:
        client = app.test_client()
        statuses = [client.post("/pledge", data=form_data(contact_email="bad")).status_code for _ in range(6)]
        assert statuses == [400] * 5 + [429]


# Finding 12: no-store on forms and on responses that set the session; __Host- cookies; ProxyFix.

def test_the_pledge_form_is_never_stored_by_a_cache(client):
    for response in (client.get("/pledge"), client.post("/pledge", data=form_data(contact_email="bad"))):
        assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/pledge", "/pledge/resend", "/admin/sign-in"])
def test_pages_that_set_the_session_cookie_say_no_store(_postgres_schema, path):
    with app_with(WTF_CSRF_ENABLED=True) as app:
        response = app.test_client().get(path)
        assert "Set-Cookie" in response.headers
        assert "no-store" in response.headers["Cache-Control"]


def test_production_session_cookie_has_the_host_prefix():
    app = create_app("production", SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_PATH"] == "/" and app.config["SESSION_COOKIE_DOMAIN"] is None
    with app.test_request_context("/"):
        from flask import session

        session["x"] = 1
        response = app.make_response("ok")
        app.session_interface.save_session(app, session, response)
        cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


def _address_app(**config):
    app = create_app("test", **config)

    @app.route("/test-only/address")
    def address():
        return request.remote_addr or ""

    return app


def test_forwarded_for_is_ignored_without_proxy_fix():
    client = _address_app(PROXY_FIX_X_FOR=0).test_client()
    response = client.get("/test-only/address", headers={"X-Forwarded-For": "6.6.6.6"},
                          environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert response.get_data(as_text=True) == "10.0.0.5"


def test_forwarded_for_is_trusted_only_for_the_configured_number_of_proxies():
    client = _address_app(PROXY_FIX_X_FOR=1).test_client()
    # The client forged the first entry; our one proxy appended the address it really saw.
    response = client.get("/test-only/address", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"},
                          environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert response.get_data(as_text=True) == "203.0.113.7"
    two = _address_app(PROXY_FIX_X_FOR=2).test_client()
    response = two.get("/test-only/address", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.1, 203.0.113.7"},
                       environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert response.get_data(as_text=True) == "198.51.100.1"


def test_rate_limits_key_on_the_address_the_proxy_saw(_postgres_schema):
    with app_with(RATELIMIT_ENABLED=True, PROXY_FIX_X_FOR=1, PLEDGE_POST_RATE_LIMIT="2 per 10 minutes") as app:
        limiter.reset()
        client = app.test_client()

        def post(forged: str, real: str) -> int:
            return client.post("/pledge", data=form_data(contact_email="bad"),
                               headers={"X-Forwarded-For": f"{forged}, {real}"},
                               environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code

        # Changing the forged part does not escape the limit; another real address has its own.
        assert [post(f"6.6.6.{n}", "203.0.113.7") for n in range(3)] == [400, 400, 429]
        assert post("6.6.6.9", "203.0.113.8") == 400
