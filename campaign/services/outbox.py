"""The durable outbox: messages are written with the change that caused them and sent after commit.

Each channel ("email", "x") registers its sender here from campaign/channels, which create_app
wires; the engine knows no channel by name. `send_due` claims a few due messages in one statement
(SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so several workers share the table), marking
them "sending" with a lease, then sends them one by one, recording each result in its own commit
straight after the server accepts it. A claimed message whose turn comes too late in its batch is
handed back rather than sent near the end of its lease. A worker killed mid-send leaves a
"sending" row whose lease runs out, and the next worker takes it up again; a delivered message is
never picked up twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, partial

from sqlalchemy import Integer, and_, bindparam, case, func, inspect, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from campaign.models import OutboxMessage
from campaign.models.common import utcnow

log = logging.getLogger(__name__)

# Longer than any one send can take (SMTP connect, login and data, each capped by MAIL_TIMEOUT),
# so a live worker never loses its claim, yet short enough that a crashed worker's message waits
# only minutes.
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12
LEASE_WORN_OUT = (
    f"Gave up after {MAX_ATTEMPTS} attempts, the last ones each ending with the worker gone mid-send "
    "(killed, or out of memory). Check the worker's log before sending it again."
)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=4)  # 12 attempts spread over about 16 hours
ERROR_LENGTH = 500
# How long a worker keeps trying to record a delivery while the database is away: well inside the
# lease, so no other worker takes the message up (and sends it again) in the meantime.
RECORD_PATIENCE = timedelta(minutes=4)
# Messages claimed in one statement. Small, so a batch is soon sent and a crash strands few messages.
CLAIM_BATCH = 10
# A claimed message whose send has not begun this long after its claim goes back to the queue
# unsent, so every send starts early in its lease: start (at most this) + one send (bounded by
# MAIL_TIMEOUT) + RECORD_PATIENCE stays inside LEASE.
START_WITHIN = timedelta(seconds=20)
# However patient a worker is, it stops trying to record a delivery this long before its lease ends.
LEASE_MARGIN = timedelta(seconds=15)


class PermanentFailure(Exception):
    """A sender's way of saying retrying cannot help (say, the address was refused outright)."""


@dataclass(frozen=True)
class Sender:
    """How one channel sends a message, and whether it can send at all right now."""

    send: Callable[[OutboxMessage], str | None]
    ready: Callable[[], bool]
    batch: Callable[[], AbstractContextManager] | None = None


@dataclass
class SendReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        """How many messages this pass took."""
        return self.sent + self.retrying + self.failed


_SENDERS: dict[str, Sender] = {}


def register_sender(
    channel: str,
    send: Callable[[OutboxMessage], str | None],
    ready: Callable[[], bool] | None = None,
    batch: Callable[[], AbstractContextManager] | None = None,
) -> None:
    """Set the function that sends `channel`'s messages; it returns an external id or raises.

    `send` is given the claimed row as the claim returned it (every column, read by name), in no session, so
    the commits recording each delivery cannot expire it; a sender that writes to the row (X's mark before
    posting) loads it first.

    `ready` says whether the channel is configured; messages wait untouched while it is not.
    `batch`, if given, is entered before a pass's first message on the channel and left at the
    end of the pass, so the sends in between can share what is costly to set up (a connection).
    """
    _SENDERS[channel] = Sender(send=send, ready=ready or (lambda: True), batch=batch)


def ready_channels() -> list[str]:
    """Channels with a sender that is configured to send now."""
    return sorted(channel for channel, sender in _SENDERS.items() if sender.ready())


def enqueue(
    session: Session,
    channel: str,
    *,
    recipient: str | None,
    subject: str = "",
    body_text: str = "",
    body_html: str | None = None,
    payload: dict | None = None,
    dedupe_key: str | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Add a message to the session, to be committed with the change that caused it."""
    message = OutboxMessage(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        payload=payload,
        dedupe_key=dedupe_key,
        headers=headers,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    return message


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: doubling from a minute, capped at 4 hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


@dataclass(frozen=True)
class _Claim:
    """Messages one statement claimed for this worker, and when (on this process's clock)."""

    ids: list[int]
    claimed_at: datetime
    started: float  # time.monotonic() when the claim was made
    # The claimed rows as the claim returned them (read-only, every column by name), in no session: a
    # commit after each send cannot expire them, and no ORM object is built for each.
    messages: dict[int, Row] = field(default_factory=dict)
    given_up: int = 0  # due messages the claim gave up on instead (too many attempts lost with their worker)

    def age(self) -> float:
        """Seconds since the claim."""
        return time.monotonic() - self.started


def _claim(
    session: Session, worker_id: str, channels: list[str], only_ids: list[int] | None, limit: int = 1
) -> _Claim:
    """Take up to `limit` due messages for this worker, in one statement and a short transaction.

    Choosing them with SELECT ... FOR UPDATE SKIP LOCKED lets workers on PostgreSQL pass each other by;
    checking "due" again in the UPDATE makes the claim a compare-and-set, which is what keeps SQLite
    (where FOR UPDATE does nothing) from letting two workers take the same row.
    """
    started = time.monotonic()
    now = utcnow()
    params = {"now": now, "lapsed": now - LEASE, "channels": channels, "limit": limit, "worker": worker_id[:100]}
    if only_ids is not None:
        params["only_ids"] = only_ids
    rows = session.execute(_claim_statement(only_ids is not None), params).all()
    session.commit()
    given_up = [row.id for row in rows if row.status == "failed"]
    if given_up:
        log.warning("Outbox messages %s given up on: %s", given_up, LEASE_WORN_OUT)
    rows = sorted((row for row in rows if row.status == "sending"), key=lambda row: (row.next_attempt_at, row.id))
    messages = {row.id: row for row in rows}
    return _Claim(list(messages), now, started, messages, len(given_up))


@cache
def _claim_statement(only_some: bool):
    """The claim, built once (for every message due, or only for some): its values come as parameters."""
    table = OutboxMessage.__table__
    c = table.c
    moment = c.claimed_at.type
    due = or_(
        and_(c.status == "pending", c.next_attempt_at <= bindparam("now", type_=moment)),
        and_(c.status == "sending", c.claimed_at < bindparam("lapsed", type_=moment)),
    )
    candidates = (
        select(c.id)
        .where(c.channel.in_(bindparam("channels", expanding=True)), due)
        .order_by(c.next_attempt_at, c.id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True)
    )
    if only_some:
        candidates = candidates.where(c.id.in_(bindparam("only_ids", expanding=True)))
    # Chosen once, as a materialised WITH query: left as a subquery, PostgreSQL may run it again
    # for every row it updates, and claim far more than `limit`.
    chosen = candidates.cte("chosen").prefix_with("MATERIALIZED", dialect="postgresql")
    # A message whose every attempt ended with its worker gone (never reaching the failure path that
    # counts attempts) is given up on here, so no message can stop workers, or be sent, for ever.
    worn_out = and_(c.status == "sending", c.attempts >= MAX_ATTEMPTS)
    return (
        update(table)
        .where(c.id.in_(select(chosen.c.id)), due)
        .values(
            status=case((worn_out, "failed"), else_="sending"),
            last_error=case((worn_out, LEASE_WORN_OUT), else_=c.last_error),
            claimed_at=case((worn_out, None), else_=bindparam("now", type_=moment)),
            claimed_by=case((worn_out, None), else_=bindparam("worker", type_=c.claimed_by.type)),
            attempts=case((worn_out, c.attempts), else_=c.attempts + 1),
        )
        .returning(*table.c)
    )


def _release(session: Session, worker_id: str, claim: _Claim, ids: list[int]) -> None:
    """Hand claimed messages back unsent: due again at once, and not counted as an attempt.

    Only rows still under this very claim change, so a message another worker has since taken
    up after a lapsed lease is left alone.
    """
    if not ids:
        return
    try:
        _quiet_rollback(session)  # a send that stopped the pass may have left its transaction broken
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids), OutboxMessage.status == "sending",
                OutboxMessage.claimed_by == worker_id[:100], OutboxMessage.claimed_at == claim.claimed_at,
            )
            .values(status="pending", claimed_at=None, claimed_by=None, attempts=OutboxMessage.attempts - 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except SQLAlchemyError:
        _quiet_rollback(session)  # the database is away: the lease hands them back instead
        log.warning("Could not hand back outbox messages %s; they wait for their lease to run out", ids)


def _record_sent(session: Session, message_id: int, external_id: str | None) -> None:
    """Mark a message delivered, in its own commit, the moment the server has accepted it.

    A plain (Core) UPDATE of the table, built once: the messages it changes are not in the session to keep in step.
    """
    session.connection().execute(
        _RECORD_SENT,
        {"message_id": message_id, "sent_at": utcnow(), "external_id": external_id[:64] if external_id else None},
    )
    session.commit()


_table = OutboxMessage.__table__
_RECORD_SENT = (
    update(_table)
    .where(_table.c.id == bindparam("message_id"), _table.c.status == "sending")
    .values(status="sent", sent_at=bindparam("sent_at"), external_id=bindparam("external_id"), last_error=None)
)


def _record_failure(session: Session, message_id: int, error: Exception, permanent: bool, worker_id: str) -> str:
    """Schedule another try with backoff, or give up after too many; returns the new status.

    Only while this worker still holds the claim: if its lease ran out and another worker took the
    message up, that worker's send decides what happens, and this failure changes nothing.
    """
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status != "sending" or message.claimed_by != worker_id[:100]:
        session.rollback()
        return "gone"
    text = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
    message.last_error = text
    message.claimed_at = None
    message.claimed_by = None
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
    else:
        message.status = "pending"
        message.next_attempt_at = utcnow() + backoff(message.attempts)
    session.commit()
    return message.status


def _record_sent_patiently(session: Session, message_id: int, external_id: str | None, patience: float) -> None:
    """Record a delivery, retrying for up to `patience` seconds while the database cannot be reached.

    The server has already accepted the message, so giving up here would leave it to be sent again
    once its lease runs out; waiting for the database closes that gap for any outage shorter than this.
    """
    deadline = time.monotonic() + patience
    delay = 0.5
    while True:
        try:
            _record_sent(session, message_id, external_id)
            return
        except OperationalError:
            _quiet_rollback(session)
            if time.monotonic() + delay > deadline:
                raise
            log.warning("Outbox message %s was delivered; waiting for the database to record it", message_id)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


def _quiet_rollback(session: Session) -> None:
    try:
        session.rollback()
    except OperationalError:
        pass  # the connection is gone; the pool replaces it on the next use


def _patience(claim: _Claim, patience: float) -> float:
    """How long a delivery may wait to be recorded: never past the lease, whatever the caller's patience.

    Worked out once the send is over, so a slow send shortens it.
    """
    return max(min(patience, (LEASE - LEASE_MARGIN).total_seconds() - claim.age()), 0.0)


def _send_one(
    session: Session, worker_id: str, message: Row, report: SendReport, shared: ExitStack, opened: set[str],
    patience: Callable[[], float],
) -> None:
    """Send a message this worker has claimed (the row its claim returned), and record what happened."""
    message_id = message.id
    channel = message.channel
    sender = _SENDERS[channel]
    try:
        if sender.batch is not None and channel not in opened:
            opened.add(channel)
            shared.enter_context(sender.batch())
        external_id = sender.send(message)
    except Exception as error:  # noqa: BLE001 (any failure must leave the message to retry, not kill the worker)
        session.rollback()
        permanent = isinstance(error, PermanentFailure)
        log.warning("Outbox message %s (%s) not sent: %s", message_id, channel, error)
        status = _record_failure(session, message_id, error, permanent, worker_id)
        if status == "failed":
            report.failed += 1
        elif status == "pending":
            report.retrying += 1
        return
    _record_sent_patiently(session, message_id, external_id, patience())
    report.sent += 1


def _send_claimed(
    session: Session, worker_id: str, claim: _Claim, report: SendReport, shared: ExitStack, opened: set[str],
    patience: float, stopping: Callable[[], bool] = lambda: False,
) -> None:
    """Send a claim's messages in turn; hand back any not begun in time, or left when a send stops the pass."""
    waiting = list(claim.ids)
    try:
        while waiting and not stopping():
            if len(waiting) < len(claim.ids) and claim.age() > START_WITHIN.total_seconds():
                log.info("Outbox messages %s waited too long in their batch; handing them back", waiting)
                break
            message_id = waiting.pop(0)
            _send_one(session, worker_id, claim.messages[message_id], report, shared, opened, partial(_patience, claim, patience))
    finally:
        _release(session, worker_id, claim, waiting)




def send_due(
    session: Session, worker_id: str, batch: int = 20, only_ids: Iterable[int] | None = None, patience: float = 0.0,
    stopping: Callable[[], bool] = lambda: False,
) -> SendReport:
    """Send up to `batch` due messages for every channel that is ready; the rest wait their turn.

    Messages are claimed CLAIM_BATCH at a time. `patience` is how many seconds to keep trying to
    record a delivery while the database is away (the worker waits; a web request, which must
    answer quickly, does not). Once `stopping()` says so (the worker was told to stop), the pass
    ends after the message in hand, and hands back the rest of its claim unsent.
    """
    report = SendReport()
    channels = ready_channels()
    ids = list(only_ids) if only_ids is not None else None
    if not channels or ids == []:
        return report
    with ExitStack() as shared:
        opened: set[str] = set()
        while report.claimed < batch and not stopping():
            claim = _claim(session, worker_id, channels, ids, limit=min(CLAIM_BATCH, batch - report.claimed))
            report.failed += claim.given_up
            if not claim.ids and not claim.given_up:
                break
            _send_claimed(session, worker_id, claim, report, shared, opened, patience, stopping)
    return report


def _identity(message: OutboxMessage | int) -> int:
    """A message's id, read from the session's identity map so a committed (expired) row is not loaded again."""
    if isinstance(message, int):
        return message
    identity = inspect(message).identity
    return identity[0] if identity else message.id


def send_now(session: Session, messages: Iterable[OutboxMessage | int], worker_id: str = "web") -> SendReport:
    """Try straight away to send messages just committed; any that fail wait for the worker."""
    ids = [_identity(m) for m in messages]
    try:
        return send_due(session, worker_id, batch=max(len(ids), 1), only_ids=ids)
    except Exception:  # noqa: BLE001 (the change is committed; the worker will send what is left)
        session.rollback()
        log.exception("Sending straight after commit failed; the outbox worker will retry")
        return SendReport()


def retry(session: Session, message_id: int) -> bool:
    """Put a failed message back in the queue, to be tried again at once."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status != "failed":
        return False
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    session.commit()
    return True


def failed_messages(session: Session, channel: str | None = None, limit: int = 50) -> list[OutboxMessage]:
    """Messages given up on, newest first, for staff to see."""
    query = select(OutboxMessage).where(OutboxMessage.status == "failed")
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    return list(session.scalars(query.order_by(OutboxMessage.created_at.desc()).limit(limit)))


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each state."""
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: number for status, number in rows}
