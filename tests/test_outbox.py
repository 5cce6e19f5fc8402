"""The outbox: sending by channel, backoff, giving up, leases after a crash, and never sending twice."""

from __future__ import annotations

import smtplib
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from campaign.channels import email as email_channel
from campaign.models import OutboxMessage
from campaign.models.common import utcnow
from campaign.services import mailer, outbox
from tests.conftest import USING_POSTGRES
from tests.smtp import smtp_server
from tests.test_pledge_helpers import app_with


@pytest.fixture
def x_sent(monkeypatch):
    """A stand-in sender for the "x" channel that records what it sends."""
    sent: list[int] = []
    lock = threading.Lock()

    def send(message):
        with lock:
            sent.append(message.id)
        return f"x-{message.id}"

    monkeypatch.setitem(outbox._SENDERS, "x", outbox.Sender(send=send, ready=lambda: True))
    return sent


def queue_x(db, count: int = 1, **fields) -> list[OutboxMessage]:
    messages = [outbox.enqueue(db.session, "x", recipient=None, body_text=f"post {n}", **fields) for n in range(count)]
    db.session.commit()
    return messages


def reload(db, message: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def test_each_channel_goes_to_its_registered_sender(app, db, x_sent):
    [message] = queue_x(db)
    email = outbox.enqueue(db.session, "email", recipient="a@example.com", subject="Hi", body_text="Hello")
    db.session.commit()
    report = outbox.send_due(db.session, "worker-1")
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert x_sent == [message.id]
    message = reload(db, message)
    assert (message.status, message.external_id, message.claimed_by, message.attempts) == ("sent", f"x-{message.id}", "worker-1", 1)
    # Email has a sender, but with no MAIL_SERVER (and no development mailbox) it waits untouched.
    email = reload(db, email)
    assert (email.status, email.attempts) == ("pending", 0)


def test_channels_with_no_sender_are_left_alone(app, db, monkeypatch):
    monkeypatch.delitem(outbox._SENDERS, "x", raising=False)
    [message] = queue_x(db)
    assert outbox.send_due(db.session, "worker-1").claimed == 0
    assert reload(db, message).status == "pending"


def test_failures_back_off_exponentially_then_give_up(app, db, monkeypatch):
    def broken(message):
        raise ConnectionRefusedError("nobody home")

    monkeypatch.setitem(outbox._SENDERS, "x", outbox.Sender(send=broken, ready=lambda: True))
    [message] = queue_x(db)
    waits = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        before = utcnow()
        report = outbox.send_due(db.session, "worker-1")
        message = reload(db, message)
        assert message.attempts == attempt
        assert "ConnectionRefusedError: nobody home" in message.last_error
        if attempt < outbox.MAX_ATTEMPTS:
            assert report.retrying == 1 and message.status == "pending"
            waits.append(round((message.next_attempt_at - before).total_seconds() / 60))
            assert outbox.send_due(db.session, "worker-1").claimed == 0  # not due yet
            message.next_attempt_at = utcnow()
            db.session.commit()
        else:
            assert report.failed == 1 and message.status == "failed"
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 240, 240, 240]
    assert outbox.failed_messages(db.session) == [message]
    assert outbox.retry(db.session, message.id)
    assert reload(db, message).status == "pending"


def test_a_permanent_failure_is_given_up_on_at_once(app, db, monkeypatch):
    def refused(message):
        raise outbox.PermanentFailure("550 no such user")

    monkeypatch.setitem(outbox._SENDERS, "x", outbox.Sender(send=refused, ready=lambda: True))
    [message] = queue_x(db)
    assert outbox.send_due(db.session, "worker-1").failed == 1
    assert reload(db, message).status == "failed"


def test_a_worker_killed_mid_send_leaves_the_message_for_another_after_the_lease(app, db, monkeypatch, x_sent):
    [message] = queue_x(db)

    def killed(message):
        raise SystemExit("killed")  # not an Exception: nothing is recorded, as when a process dies

    monkeypatch.setitem(outbox._SENDERS, "x", outbox.Sender(send=killed, ready=lambda: True))
    with pytest.raises(SystemExit):
        outbox.send_due(db.session, "worker-1")
    db.session.rollback()
    stuck = reload(db, message)
    assert (stuck.status, stuck.claimed_by) == ("sending", "worker-1")

    monkeypatch.setitem(outbox._SENDERS, "x", outbox.Sender(send=lambda m: x_sent.append(m.id), ready=lambda: True))
    assert outbox.send_due(db.session, "worker-2").claimed == 0  # the lease still holds
    stuck.claimed_at = utcnow() - outbox.LEASE - timedelta(seconds=1)
    db.session.commit()
    assert outbox.send_due(db.session, "worker-2").sent == 1
    done = reload(db, message)
    assert (done.status, done.claimed_by, done.attempts) == ("sent", "worker-2", 2)
    assert x_sent == [message.id]


def test_sent_messages_are_never_sent_again(app, db, x_sent):
    messages = queue_x(db, 3)
    assert outbox.send_due(db.session, "worker-1").sent == 3
    old = reload(db, messages[0])
    old.claimed_at = utcnow() - timedelta(days=1)
    old.next_attempt_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert outbox.send_due(db.session, "worker-1").claimed == 0
    assert sorted(x_sent) == sorted(m.id for m in messages)


def test_each_delivery_is_recorded_before_the_next_send(app, db, monkeypatch):
    first, second = queue_x(db, 2)

    def first_only(message):
        if message.id == second.id:
            raise TimeoutError("slow server")
        return "ok"

    monkeypatch.setitem(outbox._SENDERS, "x", outbox.Sender(send=first_only, ready=lambda: True))
    report = outbox.send_due(db.session, "worker-1")
    assert (report.sent, report.retrying) == (1, 1)
    assert reload(db, first).status == "sent" and reload(db, second).status == "pending"


def test_a_failed_goodbye_after_the_server_accepted_does_not_resend(_postgres_schema, monkeypatch):
    with smtp_server() as (port, inbox):
        with app_with(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False) as app:
            from campaign.extensions import db

            def quit_fails(self):
                raise smtplib.SMTPServerDisconnected("connection dropped")

            monkeypatch.setattr(smtplib.SMTP, "quit", quit_fails)
            message = mailer.queue(db.session, "already_signed", "a@example.com", "Test", organisation_name="Acme", resend_url="http://x/")
            db.session.commit()
            assert outbox.send_due(db.session, "worker-1").sent == 1
            assert outbox.send_due(db.session, "worker-1").claimed == 0
            inbox.wait_for(1)
            assert len(inbox.messages) == 1
            assert reload(db, message).status == "sent"
            assert app  # the app context is live for the whole send


def test_the_web_request_tries_only_its_own_messages(app, db, x_sent):
    waiting, mine = queue_x(db, 2)
    outbox.send_now(db.session, [mine])
    assert x_sent == [mine.id]
    assert reload(db, waiting).status == "pending"


def test_the_worker_command_runs_the_daily_jobs_and_sends(app, db, x_sent, monkeypatch):
    queue_x(db, 2)
    import signal

    monkeypatch.setattr(signal, "signal", lambda *args: None)
    monkeypatch.setattr(time, "sleep", lambda seconds: (_ for _ in ()).throw(KeyboardInterrupt))
    result = app.test_cli_runner().invoke(args=["outbox", "worker", "--interval", "1"])
    assert "Deleted 0 unconfirmed pledge(s)" in result.output
    assert "Sent 2" in result.output
    assert len(x_sent) == 2


@pytest.mark.postgres
@pytest.mark.skipif(not USING_POSTGRES, reason="needs TEST_DATABASE_URL pointing at PostgreSQL")
def test_workers_on_postgresql_share_the_outbox_without_sending_anything_twice(app, db, x_sent, monkeypatch):
    messages = queue_x(db, 60)
    slow_sent = x_sent

    def slow(message):
        time.sleep(0.005)
        slow_sent.append(message.id)

    monkeypatch.setitem(outbox._SENDERS, "x", outbox.Sender(send=slow, ready=lambda: True))
    reports = []
    start = threading.Barrier(4)

    def work(number: int) -> None:
        with app.app_context():
            start.wait()
            while True:
                report = outbox.send_due(db.session, f"worker-{number}", batch=5)
                reports.append((number, report.sent))
                if report.claimed == 0:
                    break
            db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(slow_sent) == sorted(m.id for m in messages)  # each exactly once
    workers = {number for number, sent in reports if sent}
    assert len(workers) > 1  # the work really was shared
    statuses = set(db.session.scalars(select(OutboxMessage.status)))
    assert statuses == {"sent"}


class CountingConnections:
    """Counts SMTP connections opened, by wrapping the email channel's own connect."""

    def __init__(self, monkeypatch) -> None:
        self.opened = 0
        original = email_channel._TimedConnection.configure_host

        def counting(connection):
            self.opened += 1
            return original(connection)

        monkeypatch.setattr(email_channel._TimedConnection, "configure_host", counting)


def queue_emails(db, *recipients: str) -> list[OutboxMessage]:
    messages = [
        mailer.queue(db.session, "already_signed", to, "Test", organisation_name="Acme", resend_url="http://x/")
        for to in recipients
    ]
    db.session.commit()
    return messages


def test_one_pass_sends_its_emails_over_one_connection(_postgres_schema, monkeypatch):
    connections = CountingConnections(monkeypatch)
    with smtp_server() as (port, inbox):
        with app_with(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False):
            from campaign.extensions import db

            messages = queue_emails(db, "a@example.com", "b@example.com", "c@example.com")
            assert outbox.send_due(db.session, "worker-1").sent == 3
            assert connections.opened == 1
            assert sorted(rcpts[0] for _, rcpts in inbox.envelopes) == ["a@example.com", "b@example.com", "c@example.com"]
            assert all(reload(db, message).status == "sent" for message in messages)
            assert outbox.send_due(db.session, "worker-1").claimed == 0


def test_a_failure_mid_pass_starts_a_fresh_connection_for_the_rest(_postgres_schema, monkeypatch):
    connections = CountingConnections(monkeypatch)
    with smtp_server() as (port, inbox):
        with app_with(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False):
            from campaign.extensions import db

            first, busy, last = queue_emails(db, "a@example.com", "busy@example.com", "c@example.com")
            original = smtplib.SMTP.sendmail

            def busy_mailbox(self, from_addr, to_addrs, msg, *args, **kwargs):
                if "busy@example.com" in to_addrs:
                    raise smtplib.SMTPServerDisconnected("the server hung up")
                return original(self, from_addr, to_addrs, msg, *args, **kwargs)

            monkeypatch.setattr(smtplib.SMTP, "sendmail", busy_mailbox)
            report = outbox.send_due(db.session, "worker-1")
            assert (report.sent, report.retrying) == (2, 1)
            assert connections.opened == 2
            assert reload(db, busy).status == "pending"
            assert {reload(db, m).status for m in (first, last)} == {"sent"}
            assert len(inbox.messages) == 2


def _database_gone(*args, **kwargs):
    raise OperationalError("UPDATE outbox_message", {}, Exception("server closed the connection unexpectedly"))


def test_a_delivery_made_while_the_database_blinks_is_recorded_once_it_is_back(app, db, monkeypatch, x_sent):
    [message] = queue_x(db)
    record = outbox._record_sent
    failures = iter([True, True, False])

    def blinking(*args):
        if next(failures):
            _database_gone()
        return record(*args)

    naps: list[float] = []
    monkeypatch.setattr(outbox, "_record_sent", blinking)
    monkeypatch.setattr(outbox.time, "sleep", naps.append)
    report = outbox.send_due(db.session, "worker-1", patience=60)
    assert report.sent == 1
    assert x_sent == [message.id]  # sent once, not again after the database came back
    assert naps == [0.5, 1.0]
    assert reload(db, message).status == "sent"
    assert outbox.send_due(db.session, "worker-1").claimed == 0


def test_a_web_request_does_not_wait_for_the_database_and_the_lease_covers_the_message(app, db, monkeypatch, x_sent):
    [message] = queue_x(db)
    monkeypatch.setattr(outbox, "_record_sent", _database_gone)
    with pytest.raises(OperationalError):
        outbox.send_due(db.session, "web")
    assert reload(db, message).status == "sending"  # taken up again once the lease runs out
