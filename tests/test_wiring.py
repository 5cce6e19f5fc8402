"""The app's wiring: channels, listeners and commands come from create_app, and one switch governs sending in a request."""

from __future__ import annotations

from pathlib import Path

import pytest

import campaign
from campaign import create_app
from campaign.extensions import db as _db
from campaign.services import outbox
from campaign.services.pledges import common
from campaign.services.pledges import signing as pledges
from campaign.services.x import posts
from tests.test_pledge_helpers import app_with, emails, form_data, settings, sign_in_staff, signed


def test_create_app_registers_each_channel_and_pledge_listener_once(app):
    assert {"email", "x"} <= set(outbox._SENDERS)
    create_app("test")
    assert common._LISTENERS["live"].count(posts.queue_welcome) == 1
    assert common._LISTENERS["withdrawn"].count(posts.forget_pledge) == 1


def test_every_command_group_is_added(app):
    assert {"seed", "staff", "outbox", "pledges", "social", "spend"} <= set(app.cli.commands)


def test_no_template_asks_whether_a_page_exists():
    templates = Path(campaign.__file__).parent / "templates"
    assert [path.name for path in templates.rglob("*.html") if "has_endpoint" in path.read_text()] == []


@pytest.mark.parametrize(("in_request", "status"), [(True, "sent"), (False, "pending")])
def test_a_sign_up_sends_its_email_in_the_request_only_when_told_to(_postgres_schema, in_request, status):
    with app_with(SHOW_DEV_MAIL=True, OUTBOX_SEND_IN_REQUEST=in_request) as app:
        assert app.test_client().post("/pledge", data=form_data()).status_code == 303
        assert [message.status for message in emails(_db)] == [status]


@pytest.mark.parametrize(("in_request", "status"), [(True, "sent"), (False, "pending")])
def test_staff_approving_a_pledge_obeys_the_same_switch(_postgres_schema, in_request, status):
    with app_with(SHOW_DEV_MAIL=True, OUTBOX_SEND_IN_REQUEST=in_request) as app:
        client = app.test_client()
        sign_in_staff(client, _db)
        pledge, token = signed(_db)
        assert pledges.confirm(_db.session, token, settings()).state == "confirmed"
        before = {message.id for message in emails(_db)}
        assert client.post(f"/admin/pledges/{pledge.id}/approve").status_code in (302, 303)
        _db.session.expire_all()
        assert [message.status for message in emails(_db) if message.id not in before] == [status]
