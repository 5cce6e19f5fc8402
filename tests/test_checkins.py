"""The yearly check-in (issue 15): a journey against a real SMTP server on a fixed clock, and its edges."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import current_app
from sqlalchemy import func, select

import campaign.services.checkins as checkins
from campaign.extensions import db as _db
from campaign.models import AuditEvent, CheckIn, OutboxMessage, Pledge, PledgeReport
from campaign.services.checkins import figures, invitations, reports
from tests.pages import parse, text_of
from tests.smtp import free_port, link_to, smtp_server, text_body
from tests.test_pledge_helpers import app_with, live, manage_path, sign_in_staff

STAFF_INBOX = "pledges@opcc.example.gov.uk"
CONTACT = "sam@pendlepies.example.co.uk"
WENT_LIVE = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
ANNIVERSARY = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


class Clock:
    """A fixed clock for the check-in rules, moved on by hand."""

    def __init__(self, monkeypatch, start: datetime) -> None:
        self.now = start
        monkeypatch.setattr(checkins, "now", lambda: self.now)

    def set(self, moment: datetime) -> None:
        self.now = moment


def key() -> str:
    return current_app.config["SECRET_KEY"]


def path(url: str) -> str:
    return urlsplit(url).path


def went_live(db, when: datetime = WENT_LIVE) -> Pledge:
    """A pledge made live through the services, dated `when`, with its earlier emails out of the way."""
    pledge = live(db)
    pledge.live_at = when
    db.session.execute(OutboxMessage.__table__.update().values(status="sent"))
    db.session.commit()
    return pledge


def checkin_emails(db) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like("checkin:%")).order_by(OutboxMessage.id)
    ))


def good_report(**overrides) -> dict:
    data = {
        "local_share": "42.5", "local_spend": "12,500", "pays_real_living_wage": "yes",
        "living_wage_accredited": "no", "jobs_created": "3", "apprenticeships_created": "2",
        "volunteering_hours": "120", "summary": "We moved our catering contract to a Burnley bakery.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def mail_server(_postgres_schema, monkeypatch):
    """A real SMTP server on 127.0.0.1, an app that sends to it, and a fixed clock."""
    with smtp_server() as (port, inbox):
        with app_with(
            MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False, STAFF_NOTIFY_EMAIL=STAFF_INBOX,
            STAFF_NOTIFY_MODE="each", MAIL_TIMEOUT=5,
        ) as app:
            yield app, inbox, Clock(monkeypatch, WENT_LIVE)


def test_live_anniversary_report_approval_public_and_withdrawal(mail_server):
    app, inbox, clock = mail_server
    pledge = went_live(_db)
    runner = app.test_cli_runner()

    clock.set(ANNIVERSARY - timedelta(days=1))
    assert "Queued 0 check-in invitation(s)" in runner.invoke(args=["checkins", "send"]).output
    clock.set(ANNIVERSARY)
    assert "Queued 1 check-in invitation(s)" in runner.invoke(args=["checkins", "send"]).output
    assert "Queued 0 check-in invitation(s)" in runner.invoke(args=["checkins", "send"]).output
    assert "Sent 1" in runner.invoke(args=["outbox", "send"]).output

    [invite] = [m for m in inbox.wait_for(1) if "check-in" in m["Subject"]]
    assert invite["To"] == CONTACT and invite["Subject"] == "Your Backing Lancashire check-in for 2026"
    stop_url = link_to(invite, "/check-in/stop/")
    assert "".join(invite["List-Unsubscribe"].split()) == f"<{stop_url}>"  # a long header is folded
    assert invite["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Stop check-in emails" in text_body(invite) or "stop check-in emails" in text_body(invite)
    report_path = path(link_to(invite, "/check-in/"))

    visitor = app.test_client()
    form = visitor.get(report_path)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store, private"
    page = parse(form.get_data(as_text=True))
    assert page.find("h1").get_text(strip=True) == "Your 2026 check-in"
    assert page.find("form").has_attr("novalidate")

    bad = visitor.post(report_path, data=good_report(local_share="120"))
    assert bad.status_code == 400
    assert "Enter a percentage between 0 and 100" in text_of(parse(bad.get_data(as_text=True)))
    assert _db.session.scalar(select(func.count(PledgeReport.id))) == 0

    saved = visitor.post(report_path, data=good_report())
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/check-in/thank-you")
    assert "Thank you for checking in" in text_of(visitor.get_page("checkins.thank_you"))
    thanks = [m for m in inbox.wait_for(3) if m["Subject"].startswith("Thank you")]
    assert thanks and thanks[0]["To"] == CONTACT
    assert any(m["To"] == STAFF_INBOX and "Pendle Pies" in m["Subject"] for m in inbox.messages)

    used = visitor.get(report_path)
    assert used.status_code == 410 and "already been used" in used.get_data(as_text=True)

    # Not public until staff approve it.
    org_page = text_of(visitor.get_page("pledges.organisation", slug=pledge.slug))
    assert "2026 check-in" not in org_page
    staff = app.test_client()
    sign_in_staff(staff, _db)
    reported = text_of(staff.get_page("admin.checkins", tab="reported"))
    assert "Pendle Pies Ltd: 2026 check-in" in reported and "42.5%" in reported
    report = _db.session.scalar(select(PledgeReport))
    assert (report.local_share_bp, report.local_spend_pence, report.jobs_created) == (4250, 1_250_000, 3)
    assert staff.post(f"/admin/check-ins/reports/{report.id}/approve").status_code == 303
    _db.session.expire_all()
    assert _db.session.scalar(select(PledgeReport.status)) == "approved"
    assert _db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "pledge_report")).action == "approve"

    org_page = text_of(visitor.get_page("pledges.organisation", slug=pledge.slug))
    assert "2026 check-in" in org_page and "42.5%" in org_page and "Burnley bakery" in org_page
    figures_page = text_of(visitor.get_page("public.figures_page"))
    assert "What pledging organisations report" in figures_page
    assert "Self-reported by 1 organisation, not audited" in figures_page
    document = json.loads(visitor.get("/api/pledges.json").data)
    [record] = document["pledges"][0]["reports"]
    assert record["year"] == 2026 and record["local_share_percent"] == 42.5 and record["audited"] is False
    [row] = csv.DictReader(io.StringIO(visitor.get("/pledges.csv").get_data(as_text=True)))
    assert row["latest_report_year"] == "2026" and row["latest_jobs_created"] == "3"
    assert "Reported 2026" in visitor.get(f"/pledges/{pledge.slug}/badge.svg").get_data(as_text=True)
    assert "Reported 2026:" in text_of(visitor.get_page("pledges.certificate", slug=pledge.slug))
    assert reports.latest_approved_report(_db.session, pledge).year == 2026

    # Withdrawing removes it from every page, file and figure, and erases the report.
    manage = manage_path(pledge)
    assert visitor.post(f"{manage}/withdraw", data={"confirm": "y"}).status_code == 303
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count(PledgeReport.id))) == 0
    assert _db.session.scalar(select(func.count(CheckIn.id))) == 0
    assert figures.self_reported(_db.session).reporting == 0
    assert "No organisation has reported yet" in text_of(visitor.get_page("public.figures_page"))
    assert json.loads(visitor.get("/api/pledges.json").data)["pledges"] == []
    assert visitor.get(report_path).status_code == 404


@pytest.mark.parametrize("field, value, message", [
    ("local_share", "100.5", "Enter a percentage between 0 and 100"),
    ("local_share", "-1", "Enter a percentage of 0 or more"),
    ("local_share", "lots", "Enter a percentage between 0 and 100"),
    ("local_spend", "-5", "Enter an amount of £0 or more"),
    ("jobs_created", "-2", "Enter a number of jobs of 0 or more"),
    ("apprenticeships_created", "1.5", "Enter the number of apprenticeships as a whole number"),
    ("volunteering_hours", "−3", "Enter a number of volunteering hours of 0 or more"),
    ("summary", "x" * 201, "Enter a sentence of 200 characters or fewer"),
    ("pays_real_living_wage", "maybe", "Select one of the options shown"),
])
def test_bad_answers_get_an_instruction_and_a_400(client, db, monkeypatch, field, value, message):
    Clock(monkeypatch, ANNIVERSARY)
    pledge = went_live(db)
    invitations.run(db.session, key(), ANNIVERSARY)
    raw = token_for(db, pledge)
    response = client.post(f"/check-in/{raw}", data=good_report(**{field: value}))
    assert response.status_code == 400
    page = parse(response.get_data(as_text=True))
    assert message in page.select_one(".error-summary").get_text()
    assert page.title.get_text().startswith("Error: ")
    assert db.session.scalar(select(func.count(PledgeReport.id))) == 0


def token_for(db, pledge: Pledge) -> str:
    """The raw link from the latest check-in email."""
    message = checkin_emails(db)[-1]
    return text_body_path(message.body_text).rsplit("/", 1)[1]


def text_body_path(body: str) -> str:
    return next(path(word) for word in body.split() if "/check-in/" in word and "/stop/" not in word)


def test_every_question_is_optional_and_an_empty_report_is_kept(client, db, monkeypatch):
    Clock(monkeypatch, ANNIVERSARY)
    pledge = went_live(db)
    invitations.run(db.session, key(), ANNIVERSARY)
    assert client.post(f"/check-in/{token_for(db, pledge)}", data={}).status_code == 303
    report = db.session.scalar(select(PledgeReport))
    assert report.status == "submitted" and report.local_share_bp is None and report.pays_real_living_wage is None


def test_the_database_refuses_out_of_range_values(db):
    from sqlalchemy.exc import IntegrityError

    pledge = went_live(db)
    for values in ({"local_share_bp": 10001}, {"jobs_created": -1}, {"local_spend_pence": -1}):
        db.session.add(PledgeReport(pledge_id=pledge.id, year=2026, status="submitted", **values))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_an_expired_link_explains_itself_and_offers_a_new_one(client, db, monkeypatch):
    clock = Clock(monkeypatch, ANNIVERSARY)
    pledge = went_live(db)
    invitations.run(db.session, key(), ANNIVERSARY)
    raw = token_for(db, pledge)
    clock.set(ANNIVERSARY + timedelta(days=invitations.LINK_DAYS, seconds=1))
    response = client.get(f"/check-in/{raw}")
    assert response.status_code == 410
    page = parse(response.get_data(as_text=True))
    assert "has expired" in page.find("h1").get_text()
    assert page.find("form")["action"] == "/check-in/new-link"
    assert client.post(f"/check-in/{raw}", data=good_report()).status_code == 410
    assert client.post("/check-in/new-link", data={"token": raw}).status_code == 200
    fresh = checkin_emails(db)[-1]
    assert fresh.dedupe_key.startswith(f"checkin:{pledge.id}:2026:fresh:")
    assert client.get(text_body_path(fresh.body_text)).status_code == 200
    assert client.get("/check-in/not-a-real-link").status_code == 404


def test_invites_are_idempotent_even_when_two_runs_race(app, db):
    pledge = went_live(db)
    first = invitations.run(db.session, key(), ANNIVERSARY)
    second = invitations.run(db.session, key(), ANNIVERSARY + timedelta(hours=1))
    assert (first.invited, second.invited) == (1, 0)
    # A run that saw the pledge as due before the other committed: the unique row refuses it.
    assert invitations.invite(db.session, pledge, 2026, key(), ANNIVERSARY) is None
    assert len(checkin_emails(db)) == 1
    # Next year brings one more.
    assert invitations.run(db.session, key(), ANNIVERSARY.replace(year=2027)).invited == 1


def test_one_reminder_after_30_days_then_nothing_more(db):
    went_live(db)
    invitations.run(db.session, key(), ANNIVERSARY)
    assert invitations.run(db.session, key(), ANNIVERSARY + timedelta(days=29)).reminded == 0
    assert invitations.run(db.session, key(), ANNIVERSARY + timedelta(days=30)).reminded == 1
    assert invitations.run(db.session, key(), ANNIVERSARY + timedelta(days=31)).reminded == 0
    assert invitations.run(db.session, key(), ANNIVERSARY + timedelta(days=90)).reminded == 0
    subjects = [message.subject for message in checkin_emails(db)]
    assert subjects == ["Your Backing Lancashire check-in for 2026", "Reminder: your Backing Lancashire check-in for 2026"]
    assert all(message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for message in checkin_emails(db))


def test_no_reminder_once_they_have_reported(client, db, monkeypatch):
    Clock(monkeypatch, ANNIVERSARY)
    pledge = went_live(db)
    invitations.run(db.session, key(), ANNIVERSARY)
    assert client.post(f"/check-in/{token_for(db, pledge)}", data=good_report()).status_code == 303
    assert invitations.run(db.session, key(), ANNIVERSARY + timedelta(days=40)).reminded == 0


def test_one_click_unsubscribe_stops_reminders_and_next_years_invitations(client, db):
    pledge = went_live(db)
    invitations.run(db.session, key(), ANNIVERSARY)
    stop = path(checkin_emails(db)[0].headers["List-Unsubscribe"].strip("<>"))
    page = client.get(stop)
    assert page.status_code == 200 and "Stop check-in emails" in page.get_data(as_text=True)
    assert db.session.scalar(select(CheckIn.unsubscribed_at)) is None  # opening the link stops nothing
    # RFC 8058: the mail program posts this body, with no CSRF token.
    response = client.post(stop, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "no more check-in emails" in response.get_data(as_text=True)
    assert invitations.run(db.session, key(), ANNIVERSARY + timedelta(days=31)).reminded == 0
    assert invitations.run(db.session, key(), ANNIVERSARY.replace(year=2027)).invited == 0
    assert len(checkin_emails(db)) == 1
    assert client.get("/check-in/stop/forged").status_code == 404
    assert pledge.status == "live"


def test_a_report_saved_while_the_mail_server_is_down_is_kept_and_sent_later(_postgres_schema, monkeypatch):
    port = free_port()  # nothing listening
    with app_with(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=2,
                  STAFF_NOTIFY_EMAIL=STAFF_INBOX) as app:
        Clock(monkeypatch, ANNIVERSARY)
        pledge = went_live(_db)
        invitations.run(_db.session, key(), ANNIVERSARY)
        raw = token_for(_db, pledge)
        response = app.test_client().post(f"/check-in/{raw}", data=good_report())
        assert response.status_code == 303
        assert _db.session.scalar(select(func.count(PledgeReport.id))) == 1
        waiting = [m for m in checkin_emails(_db) if ":thanks:" in m.dedupe_key or ":staff:" in m.dedupe_key]
        assert len(waiting) == 2 and all(m.status == "pending" for m in waiting)
        with smtp_server(port) as (_, inbox):
            _db.session.execute(OutboxMessage.__table__.update().values(next_attempt_at=ANNIVERSARY))
            _db.session.commit()
            app.test_cli_runner().invoke(args=["outbox", "send"])
            inbox.wait_for(3)
            assert {m["To"] for m in inbox.messages} == {CONTACT, STAFF_INBOX}


def test_staff_see_due_and_overdue_hide_with_a_reason_and_invite_by_hand(client, db, monkeypatch):
    clock = Clock(monkeypatch, ANNIVERSARY - timedelta(days=10))
    pledge = went_live(db)
    sign_in_staff(client, db)
    due = text_of(client.get_page("admin.checkins", tab="due"))
    assert "Pendle Pies Ltd" in due
    assert client.post(f"/admin/check-ins/pledges/{pledge.id}/invite").status_code == 303
    assert len(checkin_emails(db)) == 1
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity_type == "check_in")) == "invite"
    clock.set(ANNIVERSARY + timedelta(days=31))
    invitations.run(db.session, key(), clock.now)
    assert "Pendle Pies Ltd" in text_of(client.get_page("admin.checkins", tab="overdue"))

    db.session.add(PledgeReport(pledge_id=pledge.id, year=2026, status="submitted", summary="Hello", submitted_at=clock.now))
    db.session.commit()
    report_id = db.session.scalar(select(PledgeReport.id))
    empty = client.post(f"/admin/check-ins/reports/{report_id}/hide", data={"reason": ""})
    assert empty.status_code == 400 and "Enter why you are hiding this report" in empty.get_data(as_text=True)
    assert client.post(f"/admin/check-ins/reports/{report_id}/hide", data={"reason": "Not about Lancashire"}).status_code == 303
    db.session.expire_all()
    report = db.session.get(PledgeReport, report_id)
    assert (report.status, report.hidden_reason) == ("hidden", "Not about Lancashire")
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity_type == "pledge_report")) == "hide"
    assert "Hello" not in text_of(client.get_page("pledges.organisation", slug=pledge.slug))
    assert client.get("/admin/check-ins?tab=nonsense").status_code == 404


def test_the_wall_filters_pledges_reported_in_the_last_12_months(client, db):
    pledge = went_live(db)
    other = live(db, organisation_name="Other Org", contact_email="x@other.example.org", postcode="PR1 2AA")
    db.session.add(PledgeReport(pledge_id=pledge.id, year=2026, status="approved", submitted_at=datetime.now(UTC)))
    db.session.add(PledgeReport(pledge_id=other.id, year=2024, status="approved",
                                submitted_at=datetime.now(UTC) - timedelta(days=400)))
    db.session.commit()
    page = text_of(client.get_page("pledges.wall", reported="12m"))
    assert "Pendle Pies Ltd" in page and "Other Org" not in page


def test_figures_count_each_organisation_once_with_median_share(db):
    now = datetime.now(UTC)
    first = went_live(db)
    second = live(db, organisation_name="Other Org", contact_email="x@other.example.org", postcode="PR1 2AA")
    db.session.add_all([
        PledgeReport(pledge_id=first.id, year=2025, status="approved", local_share_bp=1000, jobs_created=50, submitted_at=now),
        PledgeReport(pledge_id=first.id, year=2026, status="approved", local_share_bp=3000, jobs_created=2,
                     pays_real_living_wage=True, submitted_at=now),
        PledgeReport(pledge_id=second.id, year=2026, status="approved", local_share_bp=5000, apprenticeships_created=1,
                     pays_real_living_wage=False, submitted_at=now),
        PledgeReport(pledge_id=second.id, year=2027, status="submitted", jobs_created=999, submitted_at=now),
    ])
    db.session.commit()
    shown = {item.slug: item for item in figures.self_reported(db.session).figures}
    assert shown["reporting"].value == 2
    assert shown["median-local-share"].value == 4000 and shown["median-local-share"].text == "40%"
    assert shown["jobs"].value == 2 and shown["jobs"].note == "Self-reported by 1 organisation, not audited"
    assert shown["apprenticeships"].value == 1
    assert shown["living-wage"].text == "1 of 2"
