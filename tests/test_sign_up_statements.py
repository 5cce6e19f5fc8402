"""A sign-up is one round of work: one indexed lookup, then the pledge, its link and its email in one commit.

These pin the statements and commits of one POST /pledge, so a query added to the path (a lookup
that could be joined to another, a reload after commit, a content-version bump for a pledge that
is not public) shows up as a failing test rather than as a slower spike.
"""

from __future__ import annotations

from collections import Counter

from campaign.extensions import db as _db
from campaign.services.pledges import signing
from tests.smtp import smtp_server
from tests.statements import plans_of, recording
from tests.test_pledge_helpers import app_with, form_data, settings, signed, submission

# What the rules need: is this email or this signed organisation known already, and which page names are
# free (one lookup for both), then the pledge, its confirmation link and its email, committed together.
SIGN_UP = Counter({
    "SELECT pledge": 1, "INSERT pledge": 1, "INSERT pledge_token": 1, "INSERT outbox_message": 1,
})


def test_a_sign_up_is_one_lookup_and_three_inserts_in_one_commit(_postgres_schema):
    with app_with(OUTBOX_SEND_IN_REQUEST=False) as app:
        client = app.test_client()
        with recording(_db.engine) as sql:
            response = client.post("/pledge", data=form_data())
        assert response.status_code == 303
        assert Counter(sql.kinds) == SIGN_UP, sql.kinds
        assert sql.kinds[0] == "SELECT pledge"  # the lookup comes before any write
        assert sql.commits == 1
        # A pending pledge is on no public page, so the page cache's content version is left alone.
        assert not any("site_state" in statement for statement in sql.statements)


def test_sending_in_the_request_adds_only_the_claim_and_the_record(_postgres_schema):
    with smtp_server() as (port, inbox):
        with app_with(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False) as app:
            client = app.test_client()
            with recording(_db.engine) as sql:
                response = client.post("/pledge", data=form_data())
            assert response.status_code == 303
            inbox.wait_for(1)
            after_commit = sql.kinds[4:]
            assert Counter(sql.kinds[:4]) == SIGN_UP
            # Claimed in its own commit before the send, recorded in its own commit after it: that is
            # what lets no email go twice. The claim returns the message, so it is not loaded again.
            assert after_commit == ["UPDATE outbox_message", "UPDATE outbox_message"]
            assert sql.commits == 3


def test_a_repeat_sign_up_is_found_by_its_email_and_stores_no_second_pledge(db):
    signed(db)
    with recording(_db.engine) as sql:
        outcome = signing.sign(db.session, submission(contact_email="SAM@pendlepies.example.co.uk"), settings())
    assert outcome.state == "duplicate"
    assert "INSERT pledge" not in sql.kinds and sql.kinds[0] == "SELECT pledge"
    assert sql.commits == 1  # the fresh link and its email, together


def _index_only(plan: str, *indexes: str) -> None:
    """The plan reads the pledge table through these indexes, never by scanning it."""
    assert "Seq Scan on pledge" not in plan and "SCAN pledge" not in plan, plan
    for index in indexes:
        assert index in plan, plan


def test_the_duplicate_and_page_name_check_is_served_by_the_three_unique_indexes(db):
    slugs = signing.slug_candidates("Pendle Pies")
    [plan] = plans_of(_db.engine, lambda: signing.look_up(db.session, "sam@example.org", "pendle pies", "BB9 7AA", slugs))
    if _db.engine.dialect.name == "postgresql":
        _index_only(plan, "uq_pledge_email_key", "uq_pledge_signed_name_postcode", "Index Cond: ((slug)")
    else:
        _index_only(plan, "(email_key=?)", "uq_pledge_signed_name_postcode (name_key=? AND postcode=?)", "(slug=?)")


def test_the_lookup_finds_the_duplicate_and_the_taken_page_names(db):
    first, _ = signed(db)
    signed(db, contact_email="other@example.com", postcode=None)
    known = signing.look_up(db.session, "nobody@example.org", "pendle pies", None, signing.slug_candidates("Pendle Pies Ltd"))
    assert known.duplicate_id is None and known.slugs == {"pendle-pies-ltd", "pendle-pies-ltd-2"}
    known = signing.look_up(db.session, "sam@pendlepies.example.co.uk", "x", None, ["unused-name"])
    assert known.duplicate_id == first.id and known.slugs == set()


def test_page_names_are_numbered_past_ten_organisations_of_the_same_name(db):
    for number in range(12):
        signed(db, contact_email=f"owner{number}@example.com", postcode=None)
    candidates = signing.slug_candidates("Pendle Pies Ltd")
    taken = signing.look_up(db.session, "new@example.com", "pendle pies", None, candidates).slugs
    assert signing.free_slug(db.session, candidates, taken) == "pendle-pies-ltd-13"
