"""Staff moderation: the queue, approve, hide with a reason, edit, remove a statement or logo, all audited."""

from __future__ import annotations

from sqlalchemy import select

from campaign.models import AuditEvent, OutboxMessage, Pledge, StoredImage
from campaign.services.pledges import signing as pledges
from tests.pages import text_of
from tests.test_pledge_helpers import emails, live, manage_path, settings, sign_in_staff, signed


def confirmed(db, **overrides) -> Pledge:
    pledge, token = signed(db, **overrides)
    pledges.confirm(db.session, token, settings())
    return pledge


def audit_actions(db) -> list[str]:
    return [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_the_queue_needs_sign_in(client, db):
    response = client.get("/admin/pledges")
    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]


def test_the_queue_lists_pledges_waiting_with_their_contact(client, db):
    confirmed(db, statement="Proud to sign.")
    signed(db, contact_email="p@example.com", organisation_name="Not Yet Confirmed", postcode="PR1 2AB")
    sign_in_staff(client, db)
    soup = client.get_page("admin.pledges")
    page = text_of(soup)
    assert "Waiting for approval (1)" in page and "Not yet confirmed by email (1)" in page
    assert "Pendle Pies Ltd" in page and "Sam Baker, Owner" in page and "Proud to sign." in page
    assert "Not Yet Confirmed" not in page
    assert any(button.get_text().startswith("Approve") for button in soup.find_all("button"))
    client.get_page("admin.pledges", query={"queue": "pending"})
    client.get_page("admin.pledges", status=404, query={"queue": "nonsense"})


def test_approving_puts_the_pledge_live_emails_the_organisation_and_is_audited(client, db):
    pledge = confirmed(db)
    sign_in_staff(client, db)
    response = client.post(f"/admin/pledges/{pledge.id}/approve?queue=waiting")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/pledges?queue=waiting")
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).status == "live"
    assert emails(db)[-1].subject == "Your Backing Lancashire pledge is live"
    assert audit_actions(db)[-1] == "pledge.approve"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pledge.approve")).one()
    assert event.staff_email == "moderator@opcc.example.gov.uk"
    assert event.before == {"status": "confirmed"} and event.after == {"status": "live"}


def test_hiding_needs_a_reason_which_the_organisation_sees(client, db):
    pledge = live(db)
    sign_in_staff(client, db)
    client.get_page("admin.hide_pledge", pledge_id=pledge.id)
    soup = client.post_page(f"/admin/pledges/{pledge.id}/hide", data={"reason": ""}, status=400)
    assert "Enter why you are hiding this pledge" in text_of(soup)
    client.post(f"/admin/pledges/{pledge.id}/hide", data={"reason": "This is not a real organisation"})
    db.session.expire_all()
    pledge = db.session.get(Pledge, pledge.id)
    assert (pledge.status, pledge.hidden_reason) == ("hidden", "This is not a real organisation")
    assert client.get_page("pledges.wall").select(".pledge-card") == []
    assert "This is not a real organisation" in client.get(manage_path(pledge)).get_data(as_text=True)
    assert audit_actions(db)[-1] == "pledge.hide"
    client.post(f"/admin/pledges/{pledge.id}/approve")
    client.get_page("admin.pledges")
    assert len(client.get_page("pledges.wall").select(".pledge-card")) == 1
    live_emails = [m for m in emails(db) if m.subject == "Your Backing Lancashire pledge is live"]
    assert len(live_emails) == 1  # only the first time it goes live


def test_staff_can_edit_the_public_details(client, db):
    pledge = live(db)
    sign_in_staff(client, db)
    soup = client.get_page("admin.edit_pledge", pledge_id=pledge.id)
    assert soup.find("input", id="organisation_name")["value"] == "Pendle Pies Ltd"
    for name in ("sector", "area"):  # a required select must open with an empty choice to be valid HTML
        assert soup.find("select", id=name).find("option")["value"] == ""
    assert soup.find("select", id="area").find("option", selected=True)["value"] == pledge.area
    data = {
        "organisation_name": "Pendle Pies", "org_type": "business", "size": "medium", "sector": "hospitality",
        "area": "burnley", "postcode": "bb11 1aa", "website": "pendlepies.example.com", "commitments": ["vcse"],
        "statement": "Edited.",
    }
    assert client.post(f"/admin/pledges/{pledge.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    pledge = db.session.get(Pledge, pledge.id)
    assert (pledge.organisation_name, pledge.area, pledge.postcode, pledge.slug) == ("Pendle Pies", "burnley", "BB11 1AA", "pendle-pies-ltd")
    assert pledge.website == "https://pendlepies.example.com" and pledge.commitments == ["vcse"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pledge.edit")).one()
    assert event.after["organisation_name"] == "Pendle Pies" and "contact_email" not in event.after
    bad = client.post_page(f"/admin/pledges/{pledge.id}/edit", data=dict(data, postcode="nonsense", website="javascript:x"), status=400)
    assert "Enter a real UK postcode, like PR1 2AB" in text_of(bad)


def test_an_edit_that_would_duplicate_another_pledge_is_refused(client, db):
    live(db)
    other = live(db, organisation_name="Other", contact_email="o@example.com", postcode="PR1 2AB")
    sign_in_staff(client, db)
    data = {
        "organisation_name": "Pendle Pies Ltd", "org_type": "business", "size": "small", "sector": "hospitality",
        "area": "pendle", "postcode": "BB9 7AA", "website": "", "commitments": ["vcse"], "statement": "",
    }
    soup = client.post_page(f"/admin/pledges/{other.id}/edit", data=data, status=400)
    assert "Another pledge already has this organisation name and postcode" in text_of(soup)


def test_statements_and_logos_can_be_removed_separately(client, db):
    pledge = live(db, statement="Something rude.")
    pledge.logo = StoredImage(sha256="0" * 64, mime_type="image/png", width=1, height=1, data=b"x")
    db.session.commit()
    sign_in_staff(client, db)
    client.post(f"/admin/pledges/{pledge.id}/remove-statement")
    client.post(f"/admin/pledges/{pledge.id}/remove-logo")
    db.session.expire_all()
    pledge = db.session.get(Pledge, pledge.id)
    assert pledge.statement is None and pledge.logo_id is None and pledge.status == "live"
    assert db.session.scalar(select(StoredImage)) is None
    assert audit_actions(db)[-2:] == ["pledge.remove_statement", "pledge.remove_logo"]


def test_actions_need_a_post(client, db):
    pledge = confirmed(db)
    sign_in_staff(client, db)
    assert client.get(f"/admin/pledges/{pledge.id}/approve").status_code == 405
    assert client.post("/admin/pledges/999/approve").status_code == 404


def test_failed_emails_are_shown_and_can_be_retried(client, db):
    confirmed(db)
    message = db.session.scalars(select(OutboxMessage)).first()
    message.status = "failed"
    message.last_error = "SMTPServerDisconnected: gone"
    message.attempts = 12
    db.session.commit()
    sign_in_staff(client, db)
    soup = client.get_page("admin.pledges")
    assert "SMTPServerDisconnected: gone" in text_of(soup)
    client.post(f"/admin/outbox/{message.id}/retry")
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == "pending"


def test_impossible_ids_and_pages_are_not_found(client, db):
    sign_in_staff(client, db)
    huge = 10**20
    assert client.post(f"/admin/pledges/{huge}/approve").status_code == 404
    assert client.get(f"/admin/pledges/{huge}/edit").status_code == 404
    assert client.post(f"/admin/outbox/{huge}/retry").status_code == 404
    assert client.get(f"/admin/pledges?page={huge}").status_code == 404
