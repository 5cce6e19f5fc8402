"""The mail server is down for a whole run of sign-ups, then comes back; and workers die mid-batch.

Every confirmation must reach its recipient exactly once: never lost, never twice. The one
window no outbox can close is a worker killed after the mail server said "250 accepted" and
before the database heard of it; there the email may go again, so it must go again as the same
email (the same Message-ID), which mail clients show once.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from campaign.extensions import db as _db
from campaign.models import OutboxMessage, Pledge
from campaign.models.common import utcnow
from campaign.services import outbox
from tests.conftest import USING_POSTGRES
from tests.multi_instance import log_of, start_worker, stop
from tests.pages import text_of
from tests.smtp import Inbox, free_port, link_to
from tests.test_pledge_helpers import app_with, form_data

SIGN_UPS = 25


class WorkerKilled(BaseException):
    """The worker process dies here: nothing in the app can catch it or record anything."""


class SlowInbox(Inbox):
    """A mail server that takes a moment over each message, so a worker can be caught mid-batch."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


class MailServer:
    """aiosmtpd on a fixed port, started and stopped on demand (the port stays reserved for the app)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self.inbox = SlowInbox(delay) if delay else Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        """Start listening on the reserved port."""
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening, if started."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def mail_server():
    """A mail server that is not running until a test starts it."""
    server = MailServer()
    yield server
    server.stop()


def shared_database(tmp_path: Path) -> dict:
    """Settings for a database another process can open too: PostgreSQL, or a SQLite file."""
    return {} if USING_POSTGRES else {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/outage.db"}


def mail_settings(port: int) -> dict:
    """Settings that send real email to 127.0.0.1:`port`, giving up on a silent server after 3 seconds."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SUPPRESS_SEND": False, "MAIL_TIMEOUT": 3}


@pytest.fixture
def outage_app(_postgres_schema, tmp_path, mail_server):
    """The site sending to a mail server that is not there yet."""
    with app_with(**shared_database(tmp_path), **mail_settings(mail_server.port)) as app:
        yield app


def sign_up_many(app, count: int = SIGN_UPS) -> list[str]:
    """Sign `count` organisations up through the form; every one is told to check its email."""
    visitor = app.test_client()
    addresses = []
    for number in range(count):
        address = f"contact{number}@outage-org-{number}.example.org"
        response = visitor.post("/pledge", data=form_data(
            organisation_name=f"Outage Organisation {number}", contact_email=address, postcode=None,
        ))
        assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/pledge/check-your-email"
        addresses.append(address)
    assert "Check your email" in text_of(visitor.get_page("pledges.check_email"))
    return addresses


def statuses() -> Counter:
    """How many outbox messages are in each state."""
    _db.session.expire_all()
    return Counter(_db.session.scalars(select(OutboxMessage.status)))


def time_passes() -> None:
    """Every retry falls due and every worker's lease runs out, as if an hour went by."""
    now = utcnow()
    _db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending").values(next_attempt_at=now))
    _db.session.execute(
        update(OutboxMessage).where(OutboxMessage.status == "sending")
        .values(claimed_at=now - outbox.LEASE - timedelta(seconds=1))
    )
    _db.session.commit()


def send_command(app, batch: int = 200) -> str:
    """Run `flask outbox send` once and return what it said."""
    result = app.test_cli_runner().invoke(args=["outbox", "send", "--batch", str(batch)])
    assert result.exit_code == 0, result.output
    return result.output


def assert_each_delivered_once(inbox: Inbox, addresses: list[str]) -> None:
    """Every address got exactly one confirmation email, with a working link."""
    received = Counter(rcpt for _, rcpts in inbox.envelopes for rcpt in rcpts)
    assert {address: received[address] for address in addresses} == {address: 1 for address in addresses}
    assert sum(received.values()) == len(addresses)
    for address in addresses:
        [message] = inbox.to(address)
        assert message["Subject"] == "Confirm your Backing Lancashire pledge"
        link_to(message, "/pledge/confirm/")


def test_mail_down_for_the_whole_run_then_every_confirmation_goes_exactly_once(outage_app, mail_server):
    addresses = sign_up_many(outage_app)
    assert _db.session.scalar(select(func.count(Pledge.id))) == SIGN_UPS
    assert statuses() == {"pending": SIGN_UPS}  # tried once at sign-up, now waiting
    assert set(_db.session.scalars(select(OutboxMessage.attempts))) == {1}

    assert "Sent 0" in send_command(outage_app)  # backing off
    time_passes()
    assert f"will retry {SIGN_UPS}" in send_command(outage_app)  # still down: tried, kept, backed off again
    assert statuses() == {"pending": SIGN_UPS}

    mail_server.start()
    assert "Sent 0" in send_command(outage_app)  # up now, but each waits out its backoff
    time_passes()
    assert f"Sent {SIGN_UPS}," in send_command(outage_app)
    time_passes()
    assert "Sent 0" in send_command(outage_app)
    mail_server.inbox.wait_for(SIGN_UPS)
    assert statuses() == {"sent": SIGN_UPS}
    assert_each_delivered_once(mail_server.inbox, addresses)

    # The delivered links work: each organisation confirms its own pledge.
    visitor = outage_app.test_client()
    for address in addresses:
        path = urlsplit(link_to(mail_server.inbox.to(address)[0], "/pledge/confirm/")).path
        assert visitor.post(path).status_code == 303
    assert set(_db.session.scalars(select(Pledge.status))) == {"confirmed"}


def wrap_email_sender(monkeypatch, before=None, after=None) -> None:
    """Run `before(message)` and `after(message)` around the real email sender."""
    real = outbox._SENDERS["email"]

    def send(message):
        if before:
            before(message)
        result = real.send(message)
        if after:
            after(message)
        return result

    monkeypatch.setitem(outbox._SENDERS, "email", outbox.Sender(send=send, ready=real.ready))


def run_doomed_worker(app, batch: int = 200) -> None:
    """A worker in its own app context (its own session and connection) that dies partway."""
    with app.app_context():
        with pytest.raises(WorkerKilled):
            outbox.send_due(_db.session, "doomed-worker", batch=batch)
    # Its process is gone: the session went with it, and nothing more was written.


def test_a_worker_killed_before_the_server_accepted_loses_and_doubles_nothing(outage_app, mail_server, monkeypatch):
    addresses = sign_up_many(outage_app)
    mail_server.start()
    time_passes()
    sent_before_death = 7
    count = {"n": 0}

    def die_on_the_eighth(message):
        count["n"] += 1
        if count["n"] > sent_before_death:
            raise WorkerKilled()

    wrap_email_sender(monkeypatch, before=die_on_the_eighth)
    run_doomed_worker(outage_app)
    monkeypatch.undo()
    assert statuses() == {"sent": sent_before_death, "sending": 1, "pending": SIGN_UPS - sent_before_death - 1}

    # Another worker sends everything else at once; the dead worker's message waits out its lease.
    assert f"Sent {SIGN_UPS - sent_before_death - 1}," in send_command(outage_app)
    assert statuses() == {"sent": SIGN_UPS - 1, "sending": 1}
    time_passes()
    assert "Sent 1," in send_command(outage_app)
    time_passes()
    assert "Sent 0" in send_command(outage_app)
    mail_server.inbox.wait_for(SIGN_UPS)
    assert_each_delivered_once(mail_server.inbox, addresses)


def test_a_worker_killed_as_the_server_accepts_sends_it_again_as_the_same_email(outage_app, mail_server, monkeypatch):
    addresses = sign_up_many(outage_app)
    mail_server.start()
    time_passes()
    count = {"n": 0}

    def die_after_the_eighth_is_accepted(message):
        count["n"] += 1
        if count["n"] == 8:
            raise WorkerKilled()

    wrap_email_sender(monkeypatch, after=die_after_the_eighth_is_accepted)
    run_doomed_worker(outage_app)
    monkeypatch.undo()
    [in_flight] = _db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "sending")).all()
    time_passes()
    assert f"Sent {SIGN_UPS - 7}," in send_command(outage_app)
    time_passes()
    assert "Sent 0" in send_command(outage_app)
    assert statuses() == {"sent": SIGN_UPS}

    inbox = mail_server.inbox
    received = Counter(rcpt for _, rcpts in inbox.envelopes for rcpt in rcpts)
    others = [address for address in addresses if address != in_flight.recipient]
    assert all(received[address] == 1 for address in others)
    copies = inbox.to(in_flight.recipient)
    assert 1 <= len(copies) <= 2
    assert len({copy["Message-ID"] for copy in copies}) == 1  # a mail client shows it once


def test_the_worker_process_killed_mid_batch_then_restarted(outage_app, mail_server, tmp_path):
    addresses = sign_up_many(outage_app)
    mail_server.inbox = SlowInbox(delay=0.15)
    mail_server.start()
    time_passes()
    settings = shared_database(tmp_path) | mail_settings(mail_server.port)
    worker = start_worker(tmp_path, "--interval", "1", "--batch", "5", **settings)
    try:
        deadline = time.monotonic() + 60
        while len(mail_server.inbox.messages) < 6:
            assert worker.poll() is None, log_of(worker)
            assert time.monotonic() < deadline, "the worker sent nothing in a minute:\n" + log_of(worker)
            time.sleep(0.05)
    finally:
        stop(worker, signal.SIGKILL)
    delivered_before = len(mail_server.inbox.messages)
    assert delivered_before < SIGN_UPS  # it really died with work left

    # The worker is started again later: its lost lease has run out, and it finishes the job.
    time_passes()
    worker = start_worker(tmp_path, "--interval", "1", "--batch", "50", **settings)
    try:
        deadline = time.monotonic() + 90
        while statuses().get("sent", 0) < SIGN_UPS:
            assert worker.poll() is None, log_of(worker)
            assert time.monotonic() < deadline, f"{statuses()}\n{log_of(worker)}"
            time.sleep(0.2)
    finally:
        stop(worker)
    assert statuses() == {"sent": SIGN_UPS}

    inbox = mail_server.inbox
    by_address: dict[str, set[str]] = {}
    for message, (_, rcpts) in zip(inbox.messages, inbox.envelopes, strict=True):
        for rcpt in rcpts:
            by_address.setdefault(rcpt, set()).add(message["Message-ID"])
    assert sorted(by_address) == sorted(addresses)  # nobody left out
    assert all(len(ids) == 1 for ids in by_address.values())  # and each got one email
    # Only a message caught between "250 accepted" and the database may have arrived twice.
    assert len(inbox.messages) <= SIGN_UPS + 1
