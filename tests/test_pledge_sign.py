"""Signing: the form, its errors, the area from a postcode, duplicates, the honeypot, limits and CSRF."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from campaign.extensions import db as _db
from campaign.models import OutboxMessage, Pledge, PledgeToken, StoredImage
from campaign.services.content.seed import PLEDGE_WORDING
from campaign.services.pledges import emails as pledge_emails
from campaign.services.pledges import moderation
from campaign.services.pledges import signing as pledges
from tests.pages import check_page, parse, text_of
from tests.test_pledge_helpers import app_with, emails, form_data, settings, signed, submission


def pledge_count(db) -> int:
    return db.session.scalar(select(func.count(Pledge.id)))


def png_bytes(size=(40, 20)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (165, 28, 48)).save(output, "PNG")
    return output.getvalue()


def test_form_shows_the_pledge_wording_and_every_field(client):
    soup = client.get_page("pledges.sign")
    page = text_of(soup)
    assert PLEDGE_WORDING.format(organisation="(your organisation)") in page
    form = soup.find("form", attrs={"enctype": "multipart/form-data"})
    assert form.has_attr("novalidate")
    names = {control.get("name") for control in form.find_all(["input", "select", "textarea"])}
    for name in (
        "organisation_name", "org_type", "size", "sector", "area", "postcode", "website",
        "contact_name", "contact_role", "contact_email", "commitments", "statement", "logo",
        "consent_listed", "welcome_on_x", "privacy", "homepage",
    ):
        assert name in names, name
    areas = [option.get_text() for option in soup.find("select", id="area").find_all("option")]
    assert len(areas) == 1 + 14 + 2
    assert "Elsewhere in the North West" in areas and "Blackburn with Darwen" in areas
    assert soup.find("a", href="/privacy")


def test_honeypot_is_hidden_from_people_and_screen_readers(client):
    soup = client.get_page("pledges.sign")
    trap = soup.find("input", attrs={"name": "homepage"})
    wrapper = trap.find_parent(class_="honeypot")
    assert wrapper["aria-hidden"] == "true"
    assert trap["tabindex"] == "-1" and trap["autocomplete"] == "off"
    assert soup.find("label", attrs={"for": trap["id"]}).get_text() == "Leave this field empty"


def test_signing_stores_a_pending_pledge_and_its_email_and_shows_check_your_email(client, db):
    response = client.post("/pledge", data=form_data())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pledge/check-your-email")
    pledge = db.session.scalar(select(Pledge))
    assert pledge.status == "pending"
    assert pledge.email_key == "sam@pendlepies.example.co.uk"
    assert pledge.website == "https://pendlepies.example.co.uk"
    assert pledge.postcode == "BB9 7AA"
    assert pledge.commitments == ["local_suppliers", "living_wage"]
    assert pledge.slug == "pendle-pies-ltd"
    [message] = emails(db)
    assert message.recipient == "sam@pendlepies.example.co.uk"
    assert "/pledge/confirm/" in message.body_text and "/pledge/manage/" in message.body_text
    assert message.body_html and "/pledge/manage/" in message.body_html
    page = text_of(client.get_page("pledges.check_email"))
    assert "sam@pendlepies.example.co.uk" in page


def test_errors_are_instructions_in_a_summary_and_keep_what_was_typed(client, db):
    data = form_data(organisation_name="", contact_email="not-an-email", commitments=None, privacy=None)
    soup = client.post_page("/pledge", data=data, status=400)
    assert soup.title.get_text().startswith("Error: ")
    summary = soup.find(class_="error-summary")
    messages = [link.get_text() for link in summary.find_all("a")]
    assert messages == [
        "Enter your organisation's name",
        "Select at least one thing your organisation will do",
        "Enter an email address in the correct format, like name@example.co.uk",
        "Confirm that you have read the privacy notice",
    ]
    assert summary.find("a", href="#commitments-0")
    assert soup.find(id="commitments-0")
    assert soup.find("input", id="contact_name")["value"] == "Sam Baker"
    assert soup.find("input", id="contact_email")["value"] == "not-an-email"
    assert soup.find("textarea", id="statement").get_text().strip() == "We buy our flour from Lancashire mills."
    assert soup.find("input", id="org_type-0").has_attr("checked")
    assert soup.find("select", id="area").find("option", selected=True)["value"] == "pendle"
    assert pledge_count(db) == 0


def test_statement_over_500_characters_is_refused_but_crlf_counts_once(client, db):
    client.post_page("/pledge", data=form_data(statement="x" * 501), status=400)
    lines = "\r\n".join(["y" * 49] * 10)  # 490 characters plus 9 line breaks
    assert client.post("/pledge", data=form_data(statement=lines)).status_code == 303
    assert len(db.session.scalar(select(Pledge.statement))) == 499


def test_postcode_fills_in_the_area_when_none_is_chosen(client, db):
    assert client.post("/pledge", data=form_data(area="", postcode="bb97aa")).status_code == 303
    pledge = db.session.scalar(select(Pledge))
    assert (pledge.area, pledge.postcode) == ("pendle", "BB9 7AA")


def test_a_postcode_across_council_areas_asks_the_person_to_choose(client, db):
    soup = client.post_page("/pledge", data=form_data(area="", postcode="PR4 1AA"), status=400)
    message = soup.find(class_="error-summary").find("a", href="#area").get_text()
    assert message.startswith("Postcodes starting PR4 are in more than one council area: choose")
    assert pledge_count(db) == 0


def test_postcodes_outside_lancashire_fill_in_north_west_or_elsewhere(client, db):
    client.post("/pledge", data=form_data(area="", postcode="M1 1AA", contact_email="a@example.com"))
    client.post("/pledge", data=form_data(area="", postcode="SW1A 1AA", organisation_name="Other", contact_email="b@example.com"))
    assert set(db.session.scalars(select(Pledge.area))) == {"north-west", "elsewhere"}


def test_no_area_and_no_postcode_or_a_bad_postcode_is_an_error(client, db):
    soup = client.post_page("/pledge", data=form_data(area="", postcode=""), status=400)
    assert "Choose where your organisation is based, or enter its postcode" in text_of(soup)
    soup = client.post_page("/pledge", data=form_data(postcode="QQ1 1AA"), status=400)
    assert "Enter a real UK postcode, like PR1 2AB" in text_of(soup)


@pytest.mark.parametrize("website", ["javascript:alert(1)", "not a website", "https://", "ftp://example.com"])
def test_websites_must_be_web_addresses(client, db, website):
    soup = client.post_page("/pledge", data=form_data(website=website), status=400)
    assert soup.find(class_="error-summary").find("a", href="#website")


def test_tampered_choices_get_an_instruction_not_a_crash(client, db):
    soup = client.post_page("/pledge", data=form_data(org_type="spaceship", sector="x", area="mars"), status=400)
    assert "Select one of the options shown" in text_of(soup)


def test_a_logo_is_re_encoded_and_an_svg_is_refused(client, db):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    data = form_data(logo=(io.BytesIO(svg), "logo.png"))
    soup = client.post_page("/pledge", data=data, status=400, content_type="multipart/form-data")
    assert "The selected file must be a PNG, JPG or WebP image" in text_of(soup)
    data = form_data(logo=(io.BytesIO(png_bytes((2000, 1000))), "logo.png"))
    assert client.post("/pledge", data=data, content_type="multipart/form-data").status_code == 303
    image = db.session.scalar(select(StoredImage))
    assert image.mime_type == "image/png" and max(image.width, image.height) <= 800
    assert db.session.scalar(select(Pledge.logo_id)) == image.id


def test_the_honeypot_quietly_stores_nothing(client, db):
    response = client.post("/pledge", data=form_data(homepage="http://spam.example"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pledge/check-your-email")
    assert pledge_count(db) == 0
    assert emails(db) == []


@pytest.mark.parametrize(
    "second",
    [
        {"contact_email": "SAM+pledge@PendlePies.example.co.uk", "organisation_name": "Another name", "postcode": ""},
        {"contact_email": "someone.else@example.com", "organisation_name": "pendle pies limited"},
    ],
    ids=["same-email-with-tag", "same-name-and-postcode"],
)
def test_a_second_pledge_is_never_made_and_a_link_is_emailed(client, db, second):
    client.post("/pledge", data=form_data())
    first = client.get_page("pledges.check_email")
    if second["contact_email"] == "someone.else@example.com":
        # Only a confirmed pledge blocks another address (issue 13: an unconfirmed one blocks no one).
        db.session.scalar(select(Pledge)).status = "confirmed"
        db.session.commit()
    response = client.post("/pledge", data=form_data(**second))
    assert response.status_code == 303 and response.headers["Location"].endswith("/pledge/check-your-email")
    assert pledge_count(db) == 1
    fresh = emails(db, "sam@pendlepies.example.co.uk")
    assert len(fresh) == 2
    if second["contact_email"] == "someone.else@example.com":  # confirmed: a link to manage it, not to confirm it
        assert "already signed" in fresh[1].body_text and "/pledge/confirm/" not in fresh[1].body_text
    else:
        assert "already been signed" in fresh[1].body_text and "/pledge/confirm/" in fresh[1].body_text
    assert "/pledge/manage/" in fresh[1].body_text
    if second["contact_email"] != "SAM+pledge@PendlePies.example.co.uk":
        [notice] = emails(db, "someone.else@example.com")
        assert "already signed" in notice.body_text and "/pledge/manage/" not in notice.body_text
    # The page looks the same either way, so it reveals nothing about who has signed.
    assert text_of(client.get_page("pledges.check_email")).replace(second["contact_email"], "X") == text_of(
        first
    ).replace("sam@pendlepies.example.co.uk", "X")


def test_a_confirmed_pledge_signed_again_gets_a_manage_link(client, db):
    pledge, token = signed(db)
    pledges.confirm(db.session, token, settings())
    client.post("/pledge", data=form_data())
    latest = emails(db, "sam@pendlepies.example.co.uk")[-1]
    assert "/pledge/manage/" in latest.body_text and "/pledge/confirm/" not in latest.body_text
    assert pledge_count(db) == 1


def test_duplicate_links_are_limited_to_three_a_day(client, db):
    client.post("/pledge", data=form_data())
    for _ in range(5):
        client.post("/pledge", data=form_data())
    assert len(emails(db, "sam@pendlepies.example.co.uk")) == 1 + pledge_emails.FRESH_LINKS_PER_DAY


def test_a_race_caught_by_the_database_is_treated_as_a_duplicate(app, db, monkeypatch):
    first, _ = signed(db)
    calls = []
    real = pledges.look_up

    def misses_once(session, *args):
        calls.append(args)
        return pledges.Known(None, frozenset()) if len(calls) == 1 else real(session, *args)

    monkeypatch.setattr(pledges, "look_up", misses_once)
    outcome = pledges.sign(db.session, submission(contact_email="SAM@pendlepies.example.co.uk"), settings())
    assert outcome.state == "duplicate" and outcome.pledge.id == first.id
    assert pledge_count(db) == 1


def test_the_database_itself_refuses_a_second_pledge(db):
    first, token = signed(db)
    db.session.add(Pledge(org_type="business", size="small", sector="x", area="pendle", email_key="sam@pendlepies.example.co.uk"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # Name and postcode are unique among signed pledges: unconfirmed ones block no one (issue 13).
    pledges.confirm(db.session, token, settings())
    db.session.add(Pledge(org_type="business", size="small", sector="x", area="pendle", name_key="pendle pies",
                          postcode="BB9 7AA", status="confirmed"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_same_name_gets_its_own_page_address(db):
    signed(db)
    second, _ = signed(db, contact_email="other@example.com", postcode="PR1 2AB")
    assert second.slug == "pendle-pies-ltd-2"


def test_markup_in_every_text_field_is_shown_escaped(client, db):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    data = form_data(
        organisation_name="Evil " + attack, contact_name=attack, contact_role=attack, statement=attack,
        website="https://example.com/?q=<script>",
    )
    soup = client.post_page("/pledge", data=dict(data, contact_email="bad"), status=400)
    assert not soup.find("script", src=False) and not soup.find("img", src="x")
    assert client.post("/pledge", data=data).status_code == 303
    pledge = db.session.scalar(select(Pledge))
    assert "<script>" in pledge.organisation_name  # stored as typed, escaped when shown
    [message] = emails(db)
    assert "<script>" not in message.body_html and "&lt;script&gt;" in message.body_html
    token = message.body_text.split("/pledge/confirm/")[1].split()[0]
    page = client.get(f"/pledge/confirm/{token}").get_data(as_text=True)
    assert "<script>" not in page and "&lt;script&gt;" in page
    client.post(f"/pledge/confirm/{token}")
    moderation.approve(db.session, pledge, None, settings())
    for url in (f"/pledges/{pledge.slug}", "/pledges", f"/pledges/{pledge.slug}/badge.svg"):
        body = client.get(url).get_data(as_text=True)
        assert "<script>" not in body and "<img src=x" not in body, url
    parsed = parse(client.get(f"/pledges/{pledge.slug}").get_data(as_text=True))
    check_page(parsed)
    assert "&lt;script&gt;" in parsed.find("textarea", id="badge-snippet").get_text()


@pytest.fixture
def strict_app(_postgres_schema):
    """An app that enforces CSRF and rate limits, as production does."""
    with app_with(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, PLEDGE_RATE_LIMIT="3 per 10 minutes") as app:
        yield app


def test_csrf_is_enforced(strict_app):
    client = strict_app.test_client()
    assert client.post("/pledge", data=form_data()).status_code == 400
    assert _db.session.scalar(select(func.count(Pledge.id))) == 0
    page = parse(client.get("/pledge").get_data(as_text=True))
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    assert client.post("/pledge", data=form_data(csrf_token=token)).status_code == 303
    assert _db.session.scalar(select(func.count(Pledge.id))) == 1


def test_sign_ups_are_rate_limited_with_a_plain_english_page(strict_app):
    client = strict_app.test_client()
    page = parse(client.get("/pledge").get_data(as_text=True))
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    statuses = [
        client.post("/pledge", data=form_data(csrf_token=token, contact_email=f"p{n}@example.com", organisation_name=f"Org {n}")).status_code
        for n in range(4)
    ]
    assert statuses == [303, 303, 303, 429]
    response = client.post("/pledge", data=form_data(csrf_token=token, contact_email="late@example.com"))
    assert response.status_code == 429
    soup = parse(response.get_data(as_text=True))
    check_page(soup)
    assert "You have tried too many times" in text_of(soup)
    # When to try again, at most the limit's window; no X-RateLimit headers on every response (they cost a lookup).
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    assert not any(name.startswith("X-RateLimit") for name in response.headers.keys())
    assert client.get("/pledge").status_code == 200  # reading the form is never limited
    assert _db.session.scalar(select(func.count(Pledge.id))) == 3


def test_new_link_requests_are_rate_limited_too(strict_app):
    client = strict_app.test_client()
    page = parse(client.get("/pledge/resend").get_data(as_text=True))
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    statuses = [client.post("/pledge/resend", data={"csrf_token": token, "email": "a@example.com"}).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]


def test_nothing_is_kept_in_the_outbox_or_tokens_for_a_bot(client, db):
    client.post("/pledge", data=form_data(homepage="x"))
    assert db.session.scalar(select(func.count(PledgeToken.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_blank_looking_area_counts_as_not_chosen(client, db):
    assert client.post("/pledge", data=form_data(area="  ", postcode="BB9 7AA")).status_code == 303
    assert db.session.scalar(select(Pledge.area)) == "pendle"
