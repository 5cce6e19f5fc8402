"""The durable outbox: messages are written with the change that caused them and sent after commit.

Each channel ("email", "x") registers its sender here from campaign/channels, which create_app
wires; the engine knows no channel by name. `send_due` claims one due message
at a time (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so several workers share the table),
marks it "sending" with a lease, sends it, and records the result in its own commit straight
after the server accepts it. A worker killed mid-send leaves a "sending" row whose lease runs out,
and the next worker takes it up again; a delivered message is never picked up twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from campaign.models import OutboxMessage
from campaign.models.common import utcnow

log = logging.getLogger(__name__)

# Longer than any one send can take (SMTP connect, login and data, each capped by MAIL_TIMEOUT),
# so a live worker never loses its claim, yet short enough that a crashed worker's message waits
# only minutes.
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=4)  # 12 attempts spread over about 16 hours
ERROR_LENGTH = 500
# How long a worker keeps trying to record a delivery while the database is away: well inside the
# lease, so no other worker takes the message up (and sends it again) in the meantime.
RECORD_PATIENCE = timedelta(minutes=4)


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


def _due(now: datetime):
    """Messages waiting for their next attempt, or claimed by a worker whose lease has run out."""
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - LEASE),
    )


def _claim(session: Session, worker_id: str, channels: list[str], only_ids: list[int] | None) -> int | None:
    """Take one due message for this worker, in one statement and a short transaction; None when none is due.

    The inner SELECT ... FOR UPDATE SKIP LOCKED lets workers on PostgreSQL pass each other by; checking
    "due" again in the UPDATE makes the claim a compare-and-set, which is what keeps SQLite (where FOR
    UPDATE does nothing) from letting two workers take the same row.
    """
    now = utcnow()
    candidate = (
        select(OutboxMessage.id)
        .where(OutboxMessage.channel.in_(channels), _due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if only_ids is not None:
        candidate = candidate.where(OutboxMessage.id.in_(only_ids))
    message_id = session.scalar(
        update(OutboxMessage)
        .where(OutboxMessage.id == candidate.scalar_subquery(), _due(now))
        .values(status="sending", claimed_at=now, claimed_by=worker_id[:100], attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return message_id


def _record_sent(session: Session, message_id: int, external_id: str | None) -> None:
    """Mark a message delivered, in its own commit, the moment the server has accepted it."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "sending")
        .values(status="sent", sent_at=utcnow(), external_id=external_id[:64] if external_id else None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _record_failure(session: Session, message_id: int, error: Exception, permanent: bool) -> str:
    """Schedule another try with backoff, or give up after too many; returns the new status."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status != "sending":
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


def _send_one(
    session: Session, message_id: int, report: SendReport, shared: ExitStack, opened: set[str], patience: float
) -> None:
    """Send a message this worker has claimed, and record what happened."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        session.rollback()
        return
    sender = _SENDERS[message.channel]
    try:
        if sender.batch is not None and message.channel not in opened:
            opened.add(message.channel)
            shared.enter_context(sender.batch())
        external_id = sender.send(message)
    except Exception as error:  # noqa: BLE001 (any failure must leave the message to retry, not kill the worker)
        session.rollback()
        permanent = isinstance(error, PermanentFailure)
        log.warning("Outbox message %s (%s) not sent: %s", message_id, message.channel, error)
        status = _record_failure(session, message_id, error, permanent)
        if status == "failed":
            report.failed += 1
        elif status == "pending":
            report.retrying += 1
        return
    _record_sent_patiently(session, message_id, external_id, patience)
    report.sent += 1


def send_due(
    session: Session, worker_id: str, batch: int = 20, only_ids: Iterable[int] | None = None, patience: float = 0.0
) -> SendReport:
    """Send up to `batch` due messages for every channel that is ready; the rest wait their turn.

    `patience` is how many seconds to keep trying to record a delivery while the database is away
    (the worker waits; a web request, which must answer quickly, does not).
    """
    report = SendReport()
    channels = ready_channels()
    ids = list(only_ids) if only_ids is not None else None
    if not channels or ids == []:
        return report
    with ExitStack() as shared:
        opened: set[str] = set()
        while report.claimed < batch:
            message_id = _claim(session, worker_id, channels, ids)
            if message_id is None:
                break
            _send_one(session, message_id, report, shared, opened, patience)
    return report


def send_now(session: Session, messages: Iterable[OutboxMessage | int], worker_id: str = "web") -> SendReport:
    """Try straight away to send messages just committed; any that fail wait for the worker."""
    ids = [m if isinstance(m, int) else m.id for m in messages]
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
