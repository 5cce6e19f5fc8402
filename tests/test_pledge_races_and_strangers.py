"""Unconfirmed pledges block nobody, and the daily cap of fresh links holds under concurrency (issue 13)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from campaign.models import OutboxMessage, Pledge
from campaign.services.pledges import emails as pledge_emails
from tests.conftest import USING_POSTGRES
from tests.test_concurrent_signups import live_server
from tests.test_pledge_helpers import emails, form_data, pledges, settings, submission, token_in

STRANGER = "stranger@elsewhere.example.org"
OWNER = "sam@pendlepies.example.co.uk"


def _sign(db, email):
    return pledges.sign(db.session, submission(contact_email=email), settings())


def test_a_strangers_unconfirmed_pledge_does_not_block_the_organisation(db):
    stranger = _sign(db, STRANGER)
    owner = _sign(db, OWNER)
    assert owner.state == "new" and owner.pledge.id != stranger.pledge.id
    # The owner hears only about their own pledge; nothing mentions the stranger's.
    owner_mail = emails(db, OWNER)
    assert [m.subject for m in owner_mail] == ["Confirm your Backing Lancashire pledge"]
    assert STRANGER not in owner_mail[0].body_text
    assert len(emails(db, STRANGER)) == 1


def test_the_first_to_confirm_wins(client, db):
    stranger = _sign(db, STRANGER)
    owner = _sign(db, OWNER)
    assert pledges.confirm(db.session, token_in(owner.messages[0].body_text), settings()).state == "confirmed"
    response = client.post(f"/pledge/confirm/{token_in(stranger.messages[0].body_text)}")
    assert response.status_code == 409
    assert "already signed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Pledge, stranger.pledge.id).status == "pending"
    assert db.session.get(Pledge, owner.pledge.id).status == "confirmed"


def test_once_confirmed_the_organisation_blocks_a_second_pledge(db):
    owner = _sign(db, OWNER)
    pledges.confirm(db.session, token_in(owner.messages[0].body_text), settings())
    later = _sign(db, STRANGER)
    assert later.state == "duplicate" and later.pledge.id == owner.pledge.id
    assert [m.subject for m in emails(db, STRANGER)] == [
        "Your organisation has already signed the Backing Lancashire pledge"
    ]


def test_the_sign_up_page_for_a_stranger_says_only_check_your_email(client, db):
    _sign(db, STRANGER)
    response = client.post("/pledge", data=form_data())
    assert response.status_code == 303 and response.headers["Location"].endswith("/pledge/check-your-email")
    assert db.session.scalar(select(Pledge.id).where(Pledge.email_key == OWNER)) is not None


@pytest.mark.postgres
@pytest.mark.skipif(not USING_POSTGRES, reason="needs TEST_DATABASE_URL pointing at PostgreSQL: SQLite serialises writes")
def test_20_concurrent_repeats_send_at_most_3_fresh_links_on_postgresql(app, db):
    first = pledges.sign(db.session, submission(), settings())
    assert first.state == "new"
    data = form_data(contact_email="sam@pendlepies.example.co.uk")
    with live_server(app) as url:
        def post(_):
            return requests.post(url + "/pledge", data=data, allow_redirects=False, timeout=60).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(post, range(20)))
    assert set(statuses) == {303}
    db.session.expire_all()
    fresh = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"pledge:{first.pledge.id}:fresh%"))
    ).all()
    assert len(fresh) == pledge_emails.FRESH_LINKS_PER_DAY


def test_the_cap_holds_one_after_another_on_any_database(db):
    first = pledges.sign(db.session, submission(), settings())
    for _ in range(6):
        pledges.sign(db.session, submission(), settings())
    assert pledge_emails.fresh_links_today(db.session, first.pledge) == pledge_emails.FRESH_LINKS_PER_DAY
