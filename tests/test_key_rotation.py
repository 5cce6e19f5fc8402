"""Rotating SECRET_KEY keeps what the old key signed working while it is listed in SECRET_KEY_FALLBACKS.

Emails already sent hold manage and unsubscribe links; browsers hold open forms and staff sessions.
With the old key as a fallback they all still work, and the new key signs everything new; once the
fallback is dropped, they stop working, and the visitor is asked to start again (never a 500).
"""

from __future__ import annotations

import pytest

from campaign.extensions import db as _db
from campaign.keys import signing_keys
from campaign.services.checkins import invitations
from campaign.services.pledges import tokens
from tests.factories import fresh_request_globals, make_staff, signed_in
from tests.test_pledge_helpers import app_with, form_data, live

OLD = "old-secret-key-" + "o" * 40
NEW = "new-secret-key-" + "n" * 40


@pytest.fixture
def old_key_app(_postgres_schema):
    with app_with(WTF_CSRF_ENABLED=True, SECRET_KEY=OLD) as app:
        fresh_request_globals(app)
        yield app


def _form_token(client) -> str:
    page = client.get_page("pledges.sign")
    return page.find("input", attrs={"name": "csrf_token"})["value"]


def test_what_the_old_key_signed_works_while_it_is_a_fallback_and_not_after(old_key_app):
    app = old_key_app
    pledge = live(_db)
    manage = f"/pledge/manage/{tokens.manage_token(pledge, signing_keys(app.config))}"
    stop = f"/check-in/stop/{invitations.stop_token(pledge, signing_keys(app.config))}"
    visitor = app.test_client()
    token = _form_token(visitor)
    staff = app.test_client()
    signed_in(staff, make_staff(_db))
    assert visitor.get(manage).status_code == 200 and visitor.get(stop).status_code == 200
    assert staff.get("/admin/").status_code == 200

    app.config.update(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[OLD])
    assert visitor.get(manage).status_code == 200
    assert visitor.get(stop).status_code == 200
    assert staff.get("/admin/").status_code == 200  # Flask reads the fallbacks for the session itself
    response = visitor.post("/pledge", data=form_data(csrf_token=token, contact_email="rotated@example.org"))
    assert response.status_code == 303  # a form opened before the rotation still goes through
    # Everything new is signed with the new key alone.
    assert tokens.check_manage(_db.session, tokens.manage_token(pledge, [NEW]), [NEW]).state == "valid"

    app.config.update(SECRET_KEY_FALLBACKS=[])
    assert visitor.get(manage).status_code in (404, 410)
    assert visitor.get(stop).status_code == 404
    # A staff member who used the site during the rotation had their session signed again with the new key.
    assert staff.get("/admin/").status_code == 200
    response = visitor.post("/pledge", data=form_data(csrf_token=token, contact_email="late@example.org"))
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True).lower()
