"""The whole journey against a real SMTP server, and what happens when the server is down."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from campaign.extensions import db as _db
from campaign.models import OutboxMessage, Pledge
from campaign.models.common import utcnow
from campaign.services import outbox
from tests.pages import parse, text_of
from tests.smtp import free_port, html_body, link_to, smtp_server, text_body
from tests.test_pledge_helpers import PASSWORD, app_with, form_data

STAFF_INBOX = "pledges@opcc.example.gov.uk"


def path(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def mail_server(_postgres_schema):
    """A real SMTP server on 127.0.0.1 and an app that sends to it."""
    with smtp_server() as (port, inbox):
        with app_with(
            MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False, STAFF_NOTIFY_EMAIL=STAFF_INBOX,
            STAFF_NOTIFY_MODE="each", MAIL_TIMEOUT=5,
        ) as app:
            yield app, inbox


def pledge_row() -> Pledge:
    _db.session.expire_all()
    return _db.session.scalar(select(Pledge))


def test_sign_confirm_approve_and_appear_on_the_wall(mail_server):
    app, inbox = mail_server
    visitor = app.test_client()
    visitor.get_page("pledges.sign")
    response = visitor.post("/pledge", data=form_data())
    assert response.status_code == 303
    assert "Check your email" in text_of(visitor.get_page("pledges.check_email"))

    [message] = inbox.wait_for(1)
    assert message["To"] == "sam@pendlepies.example.co.uk"
    assert message["Subject"] == "Confirm your Backing Lancashire pledge"
    assert message["Message-ID"].startswith("<outbox-")
    assert "Pendle Pies Ltd" in html_body(message)
    confirm_url = link_to(message, "/pledge/confirm/")
    link_to(message, "/pledge/manage/")
    assert len(path(confirm_url).rsplit("/", 1)[1]) >= 43  # 256 bits, base64

    # A mail scanner fetches every link: nothing is confirmed by a GET or HEAD.
    for link in (confirm_url, link_to(message, "/pledge/manage/")):
        assert visitor.get(path(link)).status_code == 200
        assert visitor.head(path(link)).status_code == 200
    assert pledge_row().status == "pending"
    page = visitor.get_page("pledges.confirm", token=path(confirm_url).rsplit("/", 1)[1])
    button = page.find("button", string="Confirm our pledge")
    assert button.find_parent("form")["method"] == "post"

    response = visitor.post(path(confirm_url))
    assert response.status_code == 303
    thanks = visitor.get(response.headers["Location"])
    assert thanks.status_code == 200
    assert "Thank you: your pledge is confirmed" in text_of(parse(thanks.get_data(as_text=True)))
    assert pledge_row().status == "confirmed"
    staff_note = inbox.wait_for(2)[1]
    assert staff_note["To"] == STAFF_INBOX and "Pendle Pies Ltd" in text_body(staff_note)
    assert "Pendle Pies" not in text_of(visitor.get_page("pledges.wall"))

    staff = app.test_client()
    from campaign.services import staff as staff_service

    staff_service.create(_db.session, "moderator@opcc.example.gov.uk", "Morgan Moderator", "editor", PASSWORD)
    staff.post("/admin/sign-in", data={"email": "moderator@opcc.example.gov.uk", "password": PASSWORD})
    queue = staff.get_page("admin.pledges")
    assert "Pendle Pies Ltd" in text_of(queue) and "sam@pendlepies.example.co.uk" in text_of(queue)
    pledge = pledge_row()
    assert staff.post(f"/admin/pledges/{pledge.id}/approve").status_code == 303
    assert pledge_row().status == "live"

    live_email = inbox.wait_for(3)[2]
    assert live_email["Subject"] == "Your Backing Lancashire pledge is live"
    assert path(link_to(live_email, "/pledges/")) == "/pledges/pendle-pies-ltd"
    link_to(live_email, "/pledge/manage/")

    wall = text_of(visitor.get_page("pledges.wall"))
    assert "Pendle Pies Ltd" in wall and "1 organisation has signed" in wall
    visitor.get_page("pledges.organisation", slug="pendle-pies-ltd")

    # Used once: the link now explains itself and offers a fresh email.
    again = visitor.post(path(confirm_url))
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)

    # Every email went exactly once.
    sent = _db.session.scalars(select(OutboxMessage)).all()
    assert [m.status for m in sent] == ["sent"] * 3
    assert len(inbox.messages) == 3


def test_smtp_down_keeps_the_pledge_and_the_worker_delivers_exactly_once(_postgres_schema):
    port = free_port()  # nothing is listening here yet
    with app_with(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=2) as app:
        visitor = app.test_client()
        response = visitor.post("/pledge", data=form_data())
        assert response.status_code == 303 and response.headers["Location"].endswith("/pledge/check-your-email")
        assert "Check your email" in text_of(visitor.get_page("pledges.check_email"))
        assert pledge_row().status == "pending"
        message = _db.session.scalar(select(OutboxMessage))
        assert (message.status, message.attempts) == ("pending", 1)
        assert message.last_error and message.next_attempt_at > utcnow()

        runner = app.test_cli_runner()
        assert "Sent 0" in runner.invoke(args=["outbox", "send"]).output  # still down, and not yet due

        with smtp_server(port) as (_, inbox):
            assert "Sent 0" in runner.invoke(args=["outbox", "send"]).output  # up, but backing off
            _db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
            _db.session.commit()
            assert "Sent 1" in runner.invoke(args=["outbox", "send"]).output
            assert "Sent 0" in runner.invoke(args=["outbox", "send"]).output
            _db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
            _db.session.commit()
            assert "Sent 0" in runner.invoke(args=["outbox", "send"]).output
            [delivered] = inbox.wait_for(1)
            assert "/pledge/confirm/" in text_body(delivered)
        _db.session.expire_all()
        message = _db.session.scalar(select(OutboxMessage))
        assert (message.status, message.attempts) == ("sent", 2)
        assert len(inbox.messages) == 1


def test_a_refused_address_is_given_up_on_and_shown_to_staff(_postgres_schema):
    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
            return "550 No such user here"

    from aiosmtpd.controller import Controller

    controller = Controller(Refusing(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with app_with(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_SUPPRESS_SEND=False) as app:
            app.test_client().post("/pledge", data=form_data())
            message = _db.session.scalar(select(OutboxMessage))
            assert message.status == "failed" and "550" in message.last_error
            assert outbox.failed_messages(_db.session) == [message]
    finally:
        controller.stop()


def test_development_mailbox_shows_emails_with_links_when_no_mail_server_is_set(_postgres_schema):
    with app_with(SHOW_DEV_MAIL=True, MAIL_SERVER="") as app:
        visitor = app.test_client()
        visitor.post("/pledge", data=form_data())
        message = _db.session.scalar(select(OutboxMessage))
        assert message.status == "sent"
        mailbox = visitor.get_page("dev.mail")
        assert "Confirm your Backing Lancashire pledge" in text_of(mailbox)
        confirm = mailbox.find("a", href=lambda href: href and "/pledge/confirm/" in href)
        assert confirm is not None
        html = visitor.get(f"/dev/mail/{message.id}.html")
        assert html.status_code == 200 and "sandbox" in html.headers["Content-Security-Policy"]
        assert "development mailbox" in text_of(visitor.get_page("pledges.check_email"))
        # The newcomer confirms from the mailbox alone.
        assert visitor.post(path(confirm["href"])).status_code == 303
        assert pledge_row().status == "confirmed"


def test_development_mailbox_does_not_exist_outside_development(client):
    assert client.get("/dev/mail").status_code == 404
