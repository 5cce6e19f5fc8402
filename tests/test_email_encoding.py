"""Emails with long non-ASCII lines reach a real SMTP server; a permanent refusal stops retrying (issue 13)."""

from __future__ import annotations

from aiosmtpd.controller import Controller
from sqlalchemy import select

from campaign.models import OutboxMessage
from campaign.services import outbox
from campaign.services.pledges import signing as pledges
from tests.factories import make_staff, signed_in
from tests.smtp import Inbox, free_port, smtp_server, text_body
from tests.test_pledge_helpers import app_with, settings, submission, token_in

STATEMENT = "👍" * 500  # 2,000 bytes of UTF-8 on one line: twice what SMTP allows


def _staff_email_about_an_emoji_statement(db):
    outcome = pledges.sign(db.session, submission(statement=STATEMENT), settings())
    pledges.confirm(db.session, token_in(outcome.messages[0].body_text), settings())
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "staff@example.org"))


def test_a_500_emoji_statement_is_delivered(_postgres_schema):
    with smtp_server() as (port, inbox):
        with app_with(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False, STAFF_NOTIFY_EMAIL="staff@example.org",
                      OUTBOX_SEND_IN_REQUEST=False) as app:
            from campaign.extensions import db

            message = _staff_email_about_an_emoji_statement(db)
            assert STATEMENT in message.body_text
            outbox.send_due(db.session, "worker-1")
            db.session.refresh(message)
            assert message.status == "sent", message.last_error
            received = [m for m in inbox.wait_for(1) if "staff@example.org" in m["To"]]
            assert len(received) == 1
            raw = received[0].as_bytes()
            assert max(len(line) for line in raw.split(b"\n")) <= 998
            assert STATEMENT in text_body(received[0])
            for part in received[0].walk():
                if part.get_content_maintype() == "text":
                    assert part["Content-Transfer-Encoding"] == "quoted-printable"
            assert app


class RefusingInbox(Inbox):
    """A mail server that refuses every message for good once it has read it."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        return "554 5.6.0 Message refused"


def test_a_permanent_refusal_is_not_retried_and_staff_see_it(_postgres_schema):
    port = free_port()
    controller = Controller(RefusingInbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with app_with(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False, STAFF_NOTIFY_EMAIL="staff@example.org",
                      OUTBOX_SEND_IN_REQUEST=False) as app:
            from campaign.extensions import db

            message = _staff_email_about_an_emoji_statement(db)
            report = outbox.send_due(db.session, "worker-1")
            assert report.sent == 0 and report.retrying == 0 and report.failed >= 1
            db.session.refresh(message)
            assert message.status == "failed" and message.attempts == 1
            assert "554" in message.last_error
            assert message in outbox.failed_messages(db.session, channel="email")
            client = app.test_client()
            signed_in(client, make_staff(db))
            page = client.get("/admin/pledges").get_data(as_text=True)
            assert "staff@example.org" in page and "554" in page
    finally:
        controller.stop()


def test_a_temporary_refusal_is_still_retried(_postgres_schema):
    class BusyInbox(Inbox):
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            return "451 4.3.0 Try again later"

    port = free_port()
    controller = Controller(BusyInbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with app_with(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False, STAFF_NOTIFY_EMAIL="staff@example.org",
                      OUTBOX_SEND_IN_REQUEST=False) as app:
            from campaign.extensions import db

            message = _staff_email_about_an_emoji_statement(db)
            outbox.send_due(db.session, "worker-1")
            db.session.refresh(message)
            assert message.status == "pending" and message.attempts == 1
            assert app
    finally:
        controller.stop()
