"""Managing a pledge, withdrawing it (erasing personal data), and deleting unconfirmed pledges."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from campaign.models import OutboxMessage, Pledge, PledgeToken, StoredImage
from campaign.models.common import utcnow
from campaign.services.pledges import emails as pledge_emails
from campaign.services.pledges import moderation, retention
from tests.pages import text_of
from tests.test_pledge_helpers import app_with, emails, form_data, live, manage_path, settings, signed


def png(colour=(0, 112, 60)) -> io.BytesIO:
    output = io.BytesIO()
    Image.new("RGB", (60, 30), colour).save(output, "PNG")
    output.seek(0)
    return output


def test_manage_page_shows_the_pledge_and_its_current_choices(client, db):
    pledge = live(db, statement="Local first.", commitments=["living_wage", "vcse"])
    soup = client.get_page("pledges.manage", token=manage_path(pledge).rsplit("/", 1)[1])
    assert "On the pledge wall" in text_of(soup)
    checked = [box["value"] for box in soup.find_all("input", attrs={"name": "commitments", "checked": True})]
    assert checked == ["living_wage", "vcse"]
    assert soup.find("textarea", id="statement").get_text().strip() == "Local first."
    assert soup.find("a", href=lambda href: href and href.startswith("/pledge/manage/") and href.endswith("/withdraw"))


def test_a_new_statement_waits_for_staff_when_moderation_is_pre(client, db):
    pledge = live(db, statement="Old words.")
    response = client.post(manage_path(pledge), data={"statement": "New words.", "commitments": ["local_suppliers"]})
    assert response.status_code == 303
    page = text_of(client.get_page("pledges.organisation", slug=pledge.slug))
    assert "New words." not in page and "Old words." not in page
    assert "Pendle Pies Ltd" in page  # still on the wall while staff check the change
    assert moderation.queue_counts(db.session)["review"] == 1
    moderation.approve(db.session, db.session.get(Pledge, pledge.id), None, settings())
    assert "New words." in text_of(client.get_page("pledges.organisation", slug=pledge.slug))


def test_commitments_alone_change_at_once(client, db):
    pledge = live(db)
    client.post(manage_path(pledge), data={"statement": "", "commitments": ["environment", "vcse"]})
    page = text_of(client.get_page("pledges.organisation", slug=pledge.slug))
    assert "Reduce our environmental impact" in page and "Buy from Lancashire suppliers" not in page
    assert not db.session.get(Pledge, pledge.id).needs_review


def test_with_post_moderation_changes_show_at_once_and_go_to_the_review_queue(_postgres_schema):
    with app_with(PLEDGE_MODERATION="post") as app:
        from campaign.extensions import db

        client = app.test_client()
        pledge = live(db)
        client.post(manage_path(pledge), data={"statement": "Straight away.", "commitments": ["vcse"]})
        assert "Straight away." in text_of(client.get_page("pledges.organisation", slug=pledge.slug))
        assert moderation.queue_counts(db.session)["review"] == 1


def test_a_logo_can_be_replaced_and_removed_and_the_old_one_is_deleted(client, db):
    pledge = live(db)
    client.post(
        manage_path(pledge), data={"statement": "", "commitments": ["vcse"], "logo": (png(), "logo.png")},
        content_type="multipart/form-data",
    )
    first = db.session.get(Pledge, pledge.id).logo_id
    assert first is not None
    client.post(
        manage_path(pledge), data={"statement": "", "commitments": ["vcse"], "logo": (png((0, 0, 0)), "new.png")},
        content_type="multipart/form-data",
    )
    db.session.expire_all()
    second = db.session.get(Pledge, pledge.id).logo_id
    assert second != first and db.session.get(StoredImage, first) is None
    client.post(manage_path(pledge), data={"statement": "", "commitments": ["vcse"], "remove_logo": "y"})
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).logo_id is None
    assert db.session.scalar(select(func.count(StoredImage.id))) == 0


def test_manage_form_errors_are_instructions(client, db):
    pledge = live(db)
    soup = client.post_page(manage_path(pledge), data={"statement": "x" * 501}, status=400)
    messages = [a.get_text() for a in soup.find(class_="error-summary").find_all("a")]
    assert messages == ["Select at least one thing your organisation will do", "Enter a statement of 500 characters or fewer"]


def test_withdrawing_needs_a_clear_yes(client, db):
    pledge = live(db)
    page = client.get_page("pledges.withdraw", token=manage_path(pledge).rsplit("/", 1)[1])
    assert "This cannot be undone" in text_of(page)
    soup = client.post_page(manage_path(pledge) + "/withdraw", data={}, status=400)
    assert "Confirm that you want to withdraw your pledge" in text_of(soup)
    assert db.session.get(Pledge, pledge.id).status == "live"


def test_withdrawing_takes_the_pledge_down_and_erases_personal_data(client, db):
    pledge = live(db, statement="We back Lancashire.", commitments=["living_wage", "vcse"])
    client.post(
        manage_path(pledge), data={"statement": "We back Lancashire.", "commitments": ["living_wage", "vcse"], "logo": (png(), "l.png")},
        content_type="multipart/form-data",
    )
    pledge_id, slug, old_link = pledge.id, pledge.slug, manage_path(pledge)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) > 0

    response = client.post(old_link + "/withdraw", data={"confirm": "y"})
    assert response.status_code == 303
    client.get_page("pledges.withdrawn")

    db.session.expire_all()
    pledge = db.session.get(Pledge, pledge_id)
    assert pledge.status == "withdrawn" and pledge.withdrawn_at is not None
    for column in (
        "contact_name", "contact_role", "contact_email", "email_key", "organisation_name", "name_key", "slug",
        "statement", "website", "postcode", "logo_id",
    ):
        assert getattr(pledge, column) is None, column
    # Only anonymous facts remain, for the count.
    assert (pledge.org_type, pledge.size, pledge.sector, pledge.area) == ("business", "small", "hospitality", "pendle")
    assert pledge.commitments == ["living_wage", "vcse"] and pledge.created_at and pledge.confirmed_at
    assert db.session.scalar(select(func.count(StoredImage.id))) == 0
    assert db.session.scalar(select(func.count(PledgeToken.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0

    client.get_page("pledges.organisation", status=404, slug=slug)
    assert client.get(f"/pledges/{slug}/badge.png").status_code == 404
    assert "Pendle Pies" not in client.get("/pledges").get_data(as_text=True)
    assert "Pendle Pies" not in client.get("/pledges.csv").get_data(as_text=True)
    assert client.get(old_link).status_code == 404
    # The organisation may sign again.
    assert client.post("/pledge", data=form_data()).status_code == 303
    assert db.session.scalar(select(func.count(Pledge.id))) == 2


def test_purge_deletes_old_unconfirmed_pledges_with_everything_about_them(app, db):
    old, _ = signed(db)
    old.logo = StoredImage(sha256="0" * 64, mime_type="image/png", width=1, height=1, data=b"x")
    old.created_at = utcnow() - timedelta(days=31)
    recent, _ = signed(db, contact_email="recent@example.com", postcode="PR1 2AB")
    confirmed = live(db, contact_email="kept@example.com", postcode="LA1 1AA")
    confirmed.created_at = utcnow() - timedelta(days=365)
    unrelated = emails(db, "recent@example.com")
    db.session.commit()
    old_id = old.id

    result = app.test_cli_runner().invoke(args=["pledges", "purge"])
    assert "Deleted 1 unconfirmed pledge older than 30 days" in result.output
    db.session.expire_all()
    assert db.session.get(Pledge, old_id) is None
    assert {p.id for p in db.session.scalars(select(Pledge))} == {recent.id, confirmed.id}
    assert db.session.scalar(select(func.count(StoredImage.id))) == 0
    assert db.session.scalar(select(func.count(PledgeToken.id)).where(PledgeToken.pledge_id == old_id)) == 0
    assert emails(db, "sam@pendlepies.example.co.uk") == []
    assert emails(db, "recent@example.com") == unrelated
    assert retention.purge(db.session, settings()) == 0


def test_staff_digest_lists_new_pledges_once_a_day(_postgres_schema):
    with app_with(STAFF_NOTIFY_EMAIL="staff@example.gov.uk", STAFF_NOTIFY_MODE="digest") as app:
        from campaign.extensions import db

        live(db)
        live(db, organisation_name="Burnley Bricks", contact_email="b@example.com", postcode="BB11 1AA")
        assert emails(db, "staff@example.gov.uk") == []  # digest mode: no email per pledge
        result = app.test_cli_runner().invoke(args=["pledges", "digest"])
        assert "Queued the digest" in result.output
        [digest] = emails(db, "staff@example.gov.uk")
        assert digest.subject == "2 new Backing Lancashire pledges"
        assert "Pendle Pies Ltd" in digest.body_text and "Burnley Bricks" in digest.body_text
        assert "/admin/pledges" in digest.body_text
        assert pledge_emails.send_staff_digest(db.session, settings()) is None  # once a day
        tomorrow = pledge_emails.send_staff_digest(db.session, settings(), now=utcnow() + timedelta(days=1))
        assert tomorrow is None  # nothing new since
