"""Issue 12's smaller faults on the pledge side: doubled headings, the wording's commas, the form's order,
honest consent words, and the staff dashboard counting pledges that wait."""

from __future__ import annotations

from campaign.services.pledges import common
from tests.pages import text_of
from tests.test_pledge_admin import confirmed
from tests.test_pledge_helpers import live, sign_in_staff, signed


def test_the_pledge_wording_sets_the_name_off_with_commas():
    assert common.wording("Example Ltd").startswith("We, Example Ltd, support ‘Backing Lancashire’")


def test_the_thank_you_page_has_one_share_heading(client, db):
    pledge, raw = signed(db, commitments=["living_wage"])
    client.post(f"/pledge/confirm/{raw}")
    soup = client.get_page("pledges.thank_you", slug=pledge.slug)
    headings = [" ".join(h.get_text().split()) for h in soup.find_all(["h2", "h3"])]
    assert headings.count("Tell people you have signed") == 1
    share = soup.find("section", class_="share")
    assert "Ask others to sign with #BackingLancashire" in text_of(share)
    native = share.find(attrs={"data-share-native": True})
    assert "committing to pay the real Living Wage" in native["data-text"]


def test_postcode_comes_before_the_area_it_fills_in(client):
    soup = client.get_page("pledges.sign")
    names = [c.get("name") for c in soup.find("form", class_="pledge-form").find_all(["input", "select"])]
    assert names.index("postcode") < names.index("area")
    hint = soup.find(id="area-hint")
    assert "postcode" in hint.get_text() and "leave this blank" in hint.get_text()


def test_the_error_summary_follows_the_page_order(client):
    soup = client.post_page("/pledge", data={"postcode": "not a postcode", "area": "nowhere"}, status=400)
    links = [a["href"] for a in soup.find(class_="error-summary").find_all("a")]
    fields = [f"#{c.get('id')}" for c in soup.find("form", class_="pledge-form").find_all(["input", "select", "textarea"])]
    shown = [href for href in links if href in fields]
    assert shown == sorted(shown, key=fields.index)


def test_consent_names_what_is_published_and_marks_nothing_public(client):
    soup = client.get_page("pledges.sign")
    page = text_of(soup)
    assert "marked public" not in page
    label = soup.find("label", attrs={"for": "consent_listed"}).get_text()
    assert "details listed below" in label
    assert "never published" in soup.find(id="consent_listed-hint").get_text()


def test_the_dashboard_says_how_many_pledges_wait(client, db):
    confirmed(db)
    confirmed(db, organisation_name="Burnley Buns", contact_email="b@example.com", postcode="BB11 1AA")
    live(db, organisation_name="Live Co", contact_email="l@example.com", postcode="PR1 2AB")
    sign_in_staff(client, db)
    soup = client.get_page("admin.dashboard")
    link = soup.find("a", href="/admin/pledges?queue=waiting")
    assert " ".join(link.get_text().split()) == "2 pledges waiting for approval"
    assert "1 pledge live" in text_of(soup)


def test_the_dashboard_says_when_nothing_waits(client, db):
    sign_in_staff(client, db)
    assert "No pledges are waiting for review." in text_of(client.get_page("admin.dashboard"))
