"""The outbox claims a few messages in one statement, yet no lease is stretched and nothing goes twice.

Workers claim up to CLAIM_BATCH due messages at once. Two workers never take the same message (on
SQLite as on PostgreSQL), a lapsed lease is taken up again, a message whose turn comes too late in
its batch is handed back unsent, and recording a delivery never outlasts the lease.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from campaign import create_app
from campaign.extensions import db as _db
from campaign.models import OutboxMessage
from campaign.models.common import utcnow
from campaign.services import outbox
from tests.conftest import USING_POSTGRES
from tests.statements import recording
from tests.test_outbox import queue_x, reload, x_sent  # noqa: F401 (x_sent is a fixture)


@pytest.fixture
def claims(monkeypatch):
    """Every claim the engine makes, as the list of ids it took."""
    taken: list[list[int]] = []
    real = outbox._claim

    def spy(*args, **kwargs):
        claim = real(*args, **kwargs)
        taken.append(list(claim.ids))
        return claim

    monkeypatch.setattr(outbox, "_claim", spy)
    return taken


def test_a_pass_claims_small_batches_in_one_statement_each(app, db, x_sent, claims):
    messages = queue_x(db, 25)
    with recording(db.engine) as sql:
        report = outbox.send_due(db.session, "worker-1", batch=25)
    assert report.sent == 25
    assert [len(claim) for claim in claims] == [10, 10, 5]
    assert sorted(x_sent) == sorted(m.id for m in messages)
    # A commit for each claim and one for each delivery, recorded as soon as the server took it
    # (one message at a time, each claimed in its own commit, took 50).
    assert sql.commits == 3 + 25
    assert {reload(db, m).status for m in messages} == {"sent"}
    assert {m.attempts for m in messages} == {1}


def test_a_pass_never_claims_more_than_it_may_send(app, db, x_sent, claims):
    queue_x(db, 7)
    assert outbox.send_due(db.session, "worker-1", batch=3).sent == 3
    assert claims == [[1, 2, 3]]
    assert Counter(db.session.scalars(select(OutboxMessage.status))) == {"sent": 3, "pending": 4}


def _claim_until_empty(app, worker: str, start: threading.Barrier, taken: dict[str, list[int]]) -> None:
    """Claim (without sending) batch after batch until nothing is due, as a worker of its own."""
    with app.app_context():
        start.wait()
        while True:
            claim = outbox._claim(_db.session, worker, ["x"], None, limit=outbox.CLAIM_BATCH)
            if not claim.ids:
                break
            taken[worker].extend(claim.ids)
        _db.session.remove()


def _four_workers_claim_everything(app, count: int) -> None:
    """Four workers claim `count` queued messages at once: together they take each exactly once."""
    messages = queue_x(_db, count)
    workers = [f"worker-{n}" for n in range(4)]
    taken: dict[str, list[int]] = {worker: [] for worker in workers}
    start = threading.Barrier(len(workers))
    threads = [threading.Thread(target=_claim_until_empty, args=(app, worker, start, taken)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    everything = [message_id for ids in taken.values() for message_id in ids]
    assert sorted(everything) == sorted(m.id for m in messages)  # each claimed once, none twice
    _db.session.expire_all()
    rows = _db.session.scalars(select(OutboxMessage)).all()
    assert {(row.status, row.attempts) for row in rows} == {("sending", 1)}
    owner = {message_id: worker for worker, ids in taken.items() for message_id in ids}
    assert all(row.claimed_by == owner[row.id] for row in rows)


@pytest.mark.postgres
@pytest.mark.skipif(not USING_POSTGRES, reason="needs TEST_DATABASE_URL pointing at PostgreSQL")
def test_workers_on_postgresql_never_claim_the_same_message(app, db, x_sent):
    _four_workers_claim_everything(app, 200)


@pytest.mark.skipif(USING_POSTGRES, reason="the PostgreSQL run above covers this")
def test_workers_on_a_sqlite_file_never_claim_the_same_message(tmp_path, x_sent):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/outbox.db")
    with app.app_context():
        _db.create_all()
        try:
            _four_workers_claim_everything(app, 120)
        finally:
            _db.session.remove()
            _db.drop_all()
            _db.engine.dispose()


def test_a_lapsed_lease_is_claimed_again_with_the_due_messages(app, db, x_sent, claims):
    stuck, waiting, held = queue_x(db, 3)
    first = outbox._claim(db.session, "dead-worker", ["x"], [stuck.id, held.id], limit=10)
    assert sorted(first.ids) == [stuck.id, held.id]
    reload(db, stuck).claimed_at = utcnow() - outbox.LEASE - timedelta(seconds=1)
    db.session.commit()
    claims.clear()
    report = outbox.send_due(db.session, "worker-2")
    assert report.sent == 2
    assert sorted(x_sent) == sorted([stuck.id, waiting.id])
    assert (reload(db, stuck).status, reload(db, stuck).claimed_by, reload(db, stuck).attempts) == ("sent", "worker-2", 2)
    # The other message of the dead worker's claim is still within its lease: nobody touches it.
    assert (reload(db, held).status, reload(db, held).claimed_by) == ("sending", "dead-worker")


def test_a_message_whose_turn_comes_too_late_is_handed_back_and_sent_once(app, db, x_sent, claims, monkeypatch):
    messages = queue_x(db, 3)
    # As if every send took longer than a claimed message may wait for its turn.
    monkeypatch.setattr(outbox, "START_WITHIN", timedelta(seconds=-1))
    report = outbox.send_due(db.session, "worker-1", batch=10)
    ids = [m.id for m in messages]
    assert claims == [ids, ids[1:], ids[2:], []]  # each claim sends its first and hands back the rest
    assert report.sent == 3 and sorted(x_sent) == sorted(ids)
    rows = [reload(db, m) for m in messages]
    assert {(row.status, row.attempts) for row in rows} == {("sent", 1)}  # a message handed back was not an attempt


def test_handing_back_leaves_a_message_another_worker_has_taken_up(app, db, x_sent):
    [message] = queue_x(db)
    mine = outbox._claim(db.session, "slow-worker", ["x"], None, limit=10)
    reload(db, message).claimed_at = utcnow() - outbox.LEASE - timedelta(seconds=1)
    db.session.commit()
    theirs = outbox._claim(db.session, "worker-2", ["x"], None, limit=10)
    assert theirs.ids == mine.ids == [message.id]
    outbox._release(db.session, "slow-worker", mine, mine.ids)
    row = reload(db, message)
    assert (row.status, row.claimed_by, row.attempts) == ("sending", "worker-2", 2)


class FakeClock:
    """time.monotonic and time.sleep for the outbox engine, with sleeping moving the clock on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.naps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += seconds


def test_waiting_to_record_a_delivery_never_outlasts_the_lease(app, db, x_sent, monkeypatch):
    first, second = queue_x(db, 2)
    clock = FakeClock()
    monkeypatch.setattr(outbox, "time", clock)

    def database_gone(*args):
        raise OperationalError("UPDATE outbox_message", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(outbox, "_record_sent", database_gone)
    with pytest.raises(OperationalError):
        outbox.send_due(db.session, "worker-1", patience=outbox.LEASE.total_seconds() * 10)
    assert x_sent == [first.id]  # delivered, then the database went away while recording it
    assert sum(clock.naps) <= (outbox.LEASE - outbox.LEASE_MARGIN).total_seconds()
    assert reload(db, first).status == "sending"  # left for the lease: it may have been delivered
    # The message not yet begun goes back to the queue at once, not an attempt.
    assert (reload(db, second).status, reload(db, second).attempts) == ("pending", 0)


def test_a_worker_whose_lease_ran_out_leaves_the_new_claim_alone_when_its_send_fails(app, db, monkeypatch):
    """Worker A's send is so slow that its lease lapses and worker B takes the message up. A's late
    failure must not put B's claim back in the queue (B would deliver, fail to record, and send again)."""
    [message] = queue_x(db, 1)

    def slow_then_fail(sent):
        # While A is "sending", its lease runs out and B claims the message.
        db.session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.id == sent.id)
            .values(claimed_by="worker-b", claimed_at=utcnow())
        )
        db.session.commit()
        raise ConnectionError("the server went away")

    monkeypatch.setitem(outbox._SENDERS, "x", outbox.Sender(send=slow_then_fail, ready=lambda: True))
    report = outbox.send_due(db.session, "worker-a")
    assert report.retrying == 0 and report.failed == 0
    kept = reload(db, message)
    assert (kept.status, kept.claimed_by, kept.last_error) == ("sending", "worker-b", None)


def test_a_worker_told_to_stop_finishes_the_message_in_hand_and_hands_back_the_rest(
    app, db, x_sent, claims, monkeypatch
):
    messages = queue_x(db, 5)
    told = []

    def send(message):
        told.append(message.id)  # SIGTERM arrives while the first message is being sent
        x_sent.append(message.id)
        return f"x-{message.id}"

    monkeypatch.setitem(outbox._SENDERS, "x", outbox.Sender(send=send, ready=lambda: True))
    report = outbox.send_due(db.session, "worker-1", batch=50, stopping=lambda: bool(told))
    assert report.sent == 1 and x_sent == [messages[0].id]
    assert claims == [[m.id for m in messages]]  # one claim, and no further one once told to stop
    rows = [reload(db, m) for m in messages[1:]]
    # Handed back at once, due, not counted as an attempt: the next worker sends them without waiting for a lease.
    assert {(row.status, row.attempts, row.claimed_by) for row in rows} == {("pending", 0, None)}
    assert outbox.send_due(db.session, "worker-2").sent == 4
    assert sorted(x_sent) == sorted(m.id for m in messages)


def test_a_message_whose_workers_keep_dying_is_given_up_on(app, db, x_sent):
    doomed, fine = queue_x(db, 2)
    for _ in range(outbox.MAX_ATTEMPTS):
        # Each attempt ends as if the worker were killed mid-send: the claim stays until its lease runs out.
        assert outbox._claim(db.session, "doomed-worker", ["x"], [doomed.id], limit=1).ids == [doomed.id]
        reload(db, doomed).claimed_at = utcnow() - outbox.LEASE - timedelta(seconds=1)
        db.session.commit()
    report = outbox.send_due(db.session, "worker-2")
    assert x_sent == [fine.id] and report.sent == 1 and report.failed == 1
    row = reload(db, doomed)
    assert (row.status, row.attempts, row.claimed_by) == ("failed", outbox.MAX_ATTEMPTS, None)
    assert "worker gone mid-send" in row.last_error
    assert row in outbox.failed_messages(db.session)  # staff see it, and can send it again
    assert outbox.retry(db.session, row.id) and outbox.send_due(db.session, "worker-2").sent == 1
