"""Anonymous visitors stay anonymous (issue 14): their forms are protected without a session.

Opening or sending a visitor's form, and every page after it, sets no site-wide session cookie, so
the visitor's next public page still comes from the page cache. CSRF stays on every form: each
visitor's form refuses a missing, forged, expired or another visitor's token with the 400 page.
"""

from __future__ import annotations

import time

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select

from campaign import forms_csrf, visitor_cookies
from campaign.checkins import forms as checkin_forms
from campaign.extensions import csrf
from campaign.models import Pledge
from campaign.pledges import forms as pledge_forms
from campaign.services.pledges import managing
from tests.pages import parse, text_of
from tests.test_forms_csrf import (
    CSRF_REFUSAL,
    ONE_CLICK,
    build_world,
    fresh_request_globals,
    post_forms,
    row_counts,
    rules,
    url_for_rule,
)
from tests.test_page_cache import flask_requests
from tests.test_pledge_helpers import app_with, emails, form_data, settings, token_in


@pytest.fixture
def csrf_app(_postgres_schema):
    """The site with CSRF protection on, as in production, on an empty database."""
    with app_with(WTF_CSRF_ENABLED=True) as app:
        fresh_request_globals(app)
        yield app


@pytest.fixture
def csrf_world(csrf_app):
    """One of everything in the CSRF-protected app's database (a live pledge, a pending one, a check-in)."""
    from campaign.extensions import db

    return build_world(db)


def session_cookie_set(app, response) -> bool:
    """Whether a response sets (or so much as touches) the site-wide session cookie."""
    name = app.config["SESSION_COOKIE_NAME"]
    return any(header.startswith(f"{name}=") for header in response.headers.getlist("Set-Cookie"))


def token_on(response, index: int = -1) -> str:
    """The CSRF token of a POST form on the page (the last one unless told)."""
    return post_forms(response.get_data(as_text=True))[index].find("input", attrs={"name": "csrf_token"})["value"]


class Visitor:
    """A browser with no session: every response it gets is checked never to start one."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def get(self, url: str, **kwargs):
        return self._checked(self.client.get(url, **kwargs))

    def post(self, url: str, data: dict, **kwargs):
        return self._checked(self.client.post(url, data=data, **kwargs))

    def _checked(self, response):
        assert not session_cookie_set(self.app, response), response.request.path
        assert self.client.get_cookie(self.app.config["SESSION_COOKIE_NAME"]) is None
        return response


def test_visitors_forms_are_visitor_forms(app):
    # Every form a visitor sends is a VisitorForm, and only their blueprints skip the session's token.
    assert csrf._visitor_blueprints == {"pledges", "checkins"}
    for module in (pledge_forms, checkin_forms):
        for name, form in vars(module).items():
            if isinstance(form, type) and issubclass(form, FlaskForm) and form not in (FlaskForm, forms_csrf.VisitorForm):
                sends = getattr(form.Meta, "csrf", True) is not False  # the wall's search form is a GET
                assert not sends or issubclass(form, forms_csrf.VisitorForm), name


def test_opening_and_sending_the_pledge_form_keeps_the_visitor_on_cached_pages(csrf_app, csrf_world):
    from campaign.extensions import db

    visitor = Visitor(csrf_app)
    visitor.get("/")  # the home page, now kept in the page cache
    page = visitor.get("/pledge")
    assert page.status_code == 200
    key = visitor.client.get_cookie(visitor_cookies.FORM_KEY, path="/pledge")
    assert key is not None and key.http_only and key.same_site == "Lax" and not key.secure
    with flask_requests(csrf_app) as seen:
        assert visitor.get("/").status_code == 200
    assert seen == []  # straight from the cache, after opening the form

    sent = visitor.post("/pledge", form_data(csrf_token=token_on(page), contact_email="anon@pies.example.co.uk"))
    assert sent.status_code == 303
    check = visitor.get(sent.headers["Location"])
    assert "anon@pies.example.co.uk" in text_of(parse(check.get_data(as_text=True)))
    with flask_requests(csrf_app) as seen:
        assert visitor.get("/").status_code == 200
        assert visitor.get("/figures").status_code == 200
    assert seen == ["/figures"]  # the home page from the cache; /figures rendered once, for everyone

    # The address is on the one page that reads it and nowhere else, not even in another browser.
    assert visitor.client.get_cookie(visitor_cookies.EMAILED.name, path="/pledge/check-your-email") is not None
    assert "anon@pies.example.co.uk" not in csrf_app.test_client().get("/pledge/check-your-email").get_data(as_text=True)
    assert db.session.scalar(select(Pledge.id).where(Pledge.contact_email == "anon@pies.example.co.uk"))


def test_a_whole_visitor_journey_never_starts_a_session(csrf_app, csrf_world):
    from campaign.extensions import db

    visitor = Visitor(csrf_app)
    page = visitor.get("/pledge")
    assert visitor.post("/pledge", form_data(csrf_token=token_on(page))).status_code == 303
    confirm_url = f"/pledge/confirm/{token_in(emails(db, 'sam@pendlepies.example.co.uk')[-1].body_text)}"
    confirmed = visitor.post(confirm_url, {"csrf_token": token_on(visitor.get(confirm_url))})
    assert confirmed.status_code == 303
    thanks = visitor.get(confirmed.headers["Location"])
    assert thanks.status_code == 200 and "Pendle Pies Ltd" in thanks.get_data(as_text=True)
    assert csrf_app.test_client().get(confirmed.headers["Location"]).status_code == 404  # only for who confirmed

    pledge = db.session.scalar(select(Pledge).where(Pledge.organisation_name == "Pendle Pies Ltd"))
    manage_url = f"/pledge/manage/{managing.manage_token(pledge, settings())}"
    form = visitor.get(manage_url)
    saved = visitor.post(manage_url, {"csrf_token": token_on(form), "commitments": ["local_suppliers"], "statement": "Hi"})
    assert saved.status_code == 303
    shown = parse(visitor.get(manage_url).get_data(as_text=True))
    assert "Your changes are saved." in text_of(shown.select_one(".notification-banner--success"))
    assert not parse(visitor.get(manage_url).get_data(as_text=True)).select(".notification-banner")  # once only

    resend = visitor.get("/pledge/resend")
    assert visitor.post("/pledge/resend", {"csrf_token": token_on(resend), "email": "sam@pendlepies.example.co.uk"}).status_code == 303
    assert "sam@pendlepies.example.co.uk" in visitor.get("/pledge/new-link-sent").get_data(as_text=True)

    checkin = f"/check-in/{csrf_world.checkin_token}"
    reported = visitor.post(checkin, {"csrf_token": token_on(visitor.get(checkin)), "jobs_created": "2"})
    assert reported.status_code == 303
    assert "Thank you for checking in" in visitor.get(reported.headers["Location"]).get_data(as_text=True)

    withdraw_url = f"{manage_url}/withdraw"
    withdrawn = visitor.post(withdraw_url, {"csrf_token": token_on(visitor.get(withdraw_url)), "confirm": "y"})
    assert withdrawn.status_code == 303

    visitor.get("/pledges")
    with flask_requests(csrf_app) as seen:
        visitor.get("/pledges")
    assert seen == []


def test_no_page_a_visitor_can_open_starts_a_session(csrf_app, csrf_world):
    visitor = Visitor(csrf_app)
    opened = 0
    for rule in rules(csrf_app, "GET"):
        if rule.rule.startswith("/admin/") or rule.endpoint in ("static", "auth.sign_in") or rule.endpoint.startswith("dev."):
            continue
        visitor.get(url_for_rule(csrf_app, rule, csrf_world))
        opened += 1
    assert opened >= 25


def _visitor_forms(world) -> list[tuple[str, str, dict]]:
    """Each visitor's form: the page that shows it, where it posts, and answers it would accept."""
    return [
        ("/pledge", "/pledge", form_data()),
        (f"/pledge/confirm/{world.confirm_token}", f"/pledge/confirm/{world.confirm_token}", {}),
        ("/pledge/resend", "/pledge/resend", {"email": "owner@widgets.example.co.uk"}),
        ("/pledge/confirm/no-such-link", "/pledge/resend", {"token": "no-such-link"}),
        (f"/pledge/manage/{world.manage_token}", f"/pledge/manage/{world.manage_token}", {"commitments": ["living_wage"]}),
        (f"/check-in/{world.checkin_token}", f"/check-in/{world.checkin_token}", {"jobs_created": "3"}),
        # Its form is on the page of a used or expired link; any check-in page gives the same form cookie.
        (f"/check-in/{world.checkin_token}", "/check-in/new-link", {"token": world.checkin_token}),
        (f"/pledge/manage/{world.manage_token}/withdraw", f"/pledge/manage/{world.manage_token}/withdraw", {"confirm": "y"}),
    ]


def _refused(response) -> bool:
    return response.status_code == 400 and CSRF_REFUSAL in response.get_data(as_text=True)


def test_every_visitor_form_refuses_a_missing_forged_expired_or_borrowed_token(csrf_app, csrf_world, monkeypatch):
    from campaign.extensions import db

    forms = _visitor_forms(csrf_world)
    # Every visitor POST route is here (the one-click unsubscribe needs only its signed link).
    routes = {rule.endpoint for rule in rules(csrf_app, "POST") if rule.endpoint.split(".")[0] in csrf._visitor_blueprints}
    assert routes - ONE_CLICK == {csrf_app.url_map.bind("localhost").match(post, "POST")[0] for _, post, _ in forms}

    before = row_counts(db)
    for page_url, post_url, data in forms:
        mine, theirs = csrf_app.test_client(), csrf_app.test_client()
        token = token_on(mine.get(page_url))
        other_token = token_on(theirs.get(page_url))
        assert token != other_token
        problems = {
            "missing": mine.post(post_url, data=data),
            "forged": mine.post(post_url, data=data | {"csrf_token": "forged." + "A" * 80}),
            "tampered": mine.post(post_url, data=data | {"csrf_token": token[:-2] + ("AA" if not token.endswith("AA") else "BB")}),
            "another visitor's": mine.post(post_url, data=data | {"csrf_token": other_token}),
            "without its cookie": csrf_app.test_client().post(post_url, data=data | {"csrf_token": token}),
        }
        # A token issued longer ago than PUBLIC_FORM_HOURS, to this same browser.
        hours = csrf_app.config["PUBLIC_FORM_HOURS"]
        then = time.time() - hours * 3600 - 60
        monkeypatch.setattr("itsdangerous.timed.time.time", lambda then=then: then)
        old_token = token_on(mine.get(page_url))
        monkeypatch.undo()
        problems["expired"] = mine.post(post_url, data=data | {"csrf_token": old_token})
        for problem, response in problems.items():
            assert _refused(response), f"{post_url} did not refuse a token: {problem} ({response.status_code})"
    db.session.expire_all()
    assert row_counts(db) == before

    # The other half: each form's own token gets past the check (the withdrawal last, as it ends the pledge).
    for page_url, post_url, data in forms:
        client = csrf_app.test_client()
        response = client.post(post_url, data=data | {"csrf_token": token_on(client.get(page_url))})
        assert not _refused(response) and response.status_code < 500, (post_url, response.status_code)


def test_visitors_cookies_are_secure_where_the_session_cookie_is(_postgres_schema):
    # Production: __Secure- names, HTTPS only. Secret-link pages send no Referer (Referrer-Policy: no-referrer),
    # and their forms still work over HTTPS, where Flask-WTF's session token would insist on one.
    with app_with(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=True) as app:
        from campaign.extensions import db
        from tests.test_pledge_helpers import signed

        _, raw = signed(db)
        client = app.test_client()
        page = client.get(f"/pledge/confirm/{raw}", base_url="https://localhost")
        assert page.headers["Referrer-Policy"] == "no-referrer"
        cookie = page.headers["Set-Cookie"]
        assert cookie.startswith("__Secure-form_key=")
        for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/pledge", "Max-Age=43200"):
            assert attribute in cookie.split("; "), attribute
        confirmed = client.post(f"/pledge/confirm/{raw}", data={"csrf_token": token_on(page)}, base_url="https://localhost")
        assert confirmed.status_code == 303
        note = confirmed.headers["Set-Cookie"]
        assert note.startswith("__Secure-pledge_confirmed=") and "Secure" in note.split("; ")
        assert client.get(confirmed.headers["Location"], base_url="https://localhost").status_code == 200
        assert not session_cookie_set(app, confirmed)


def test_a_note_cannot_be_forged_or_moved_to_another_page(client, db):
    from tests.test_pledge_helpers import signed

    pledge, raw = signed(db)
    other, _ = signed(db, organisation_name="Other Pies Ltd", contact_email="o@otherpies.example.co.uk")
    client.set_cookie(visitor_cookies.CONFIRMED.name, "forged", path=f"/pledge/thank-you/{pledge.slug}")
    client.get_page("pledges.thank_you", status=404, slug=pledge.slug)
    confirmed = client.post(f"/pledge/confirm/{raw}")
    note = client.get_cookie(visitor_cookies.CONFIRMED.name, path=f"/pledge/thank-you/{pledge.slug}")
    client.set_cookie(visitor_cookies.CONFIRMED.name, note.value, path=f"/pledge/thank-you/{other.slug}")
    client.get_page("pledges.thank_you", status=404, slug=other.slug)  # a note names its own pledge
    email = visitor_cookies.EMAILED.name
    client.set_cookie(email, note.value, path="/pledge/check-your-email")  # nor passes for another kind of note
    assert pledge.slug not in client.get("/pledge/check-your-email").get_data(as_text=True)
    assert confirmed.status_code == 303


@pytest.mark.parametrize("note", visitor_cookies.NOTES, ids=lambda note: note.name)
def test_the_cookies_page_names_every_visitor_cookie(client, db, note):
    page = text_of(client.get_page("public.cookies"))
    assert note.name in page and visitor_cookies.FORM_KEY in page
