"""`flask outbox`: send what is waiting in the outbox, once or in a loop."""

from __future__ import annotations

import os
import signal
import socket
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError

import campaign.services.checkins as checkins
from campaign.extensions import db
from campaign.models.common import utcnow
from campaign.services import outbox
from campaign.services.checkins import invitations
from campaign.services.pledges import common, emails, retention

cli = AppGroup("outbox", help="Send the emails (and X posts) waiting in the outbox.")

DAILY = 24 * 3600  # seconds
DAILY_RETRY = 3600  # seconds: after a daily job failed
# After a pass that sent something, look again this soon (seconds): while sign-ups keep arriving,
# their emails follow within a moment instead of waiting out the idle interval.
BUSY_INTERVAL = 0.2


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _describe(report: outbox.SendReport) -> str:
    return f"Sent {report.sent}, will retry {report.retrying}, gave up on {report.failed}."


@cli.command("send")
@click.option("--batch", default=50, show_default=True, help="The most messages to send in this run.")
def send(batch: int) -> None:
    """Send one batch of due messages, then stop."""
    if not outbox.ready_channels():
        click.echo("No channel can send: set MAIL_SERVER (or run in development for /dev/mail).")
        return
    report = outbox.send_due(db.session, _worker_id(), batch=batch, patience=outbox.RECORD_PATIENCE.total_seconds())
    click.echo(_describe(report))


def daily_jobs() -> str:
    """The once-a-day work: delete stale pending pledges, queue the staff digest, and send due check-ins."""
    settings = common.Settings.from_config(current_app.config)
    removed = retention.purge(db.session, settings)
    digest = emails.send_staff_digest(db.session, settings)
    sent = invitations.run(db.session, settings.secret_key, checkins.now())
    return (
        f"Deleted {removed} unconfirmed pledge(s); {'queued' if digest else 'no'} staff digest; "
        f"{sent.invited} check-in invitation(s), {sent.reminded} reminder(s)."
    )


@cli.command("worker")
@click.option("--interval", default=2, show_default=True, help="Seconds to wait when nothing was due.")
@click.option("--batch", default=50, show_default=True, help="The most messages to send in one pass.")
@click.option("--quiet", is_flag=True, help="Only report problems.")
def worker(interval: int, batch: int, quiet: bool) -> None:
    """Keep sending due messages until stopped (Ctrl+C or SIGTERM); run the daily jobs once a day."""
    worker_id = _worker_id()
    stopping = False

    def stop(signum, frame):
        """Finish the message in hand, hand back the rest of the claim, then stop."""
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if not quiet:
        click.echo(f"Outbox worker {worker_id} started; checking every {interval}s.")
    next_daily = 0.0
    while not stopping:
        if time.monotonic() >= next_daily:
            # The daily jobs never stand in the way of sending: while the database is away they are
            # tried again on the next pass; any other failure is reported and tried again in an hour.
            try:
                summary = daily_jobs()
                next_daily = time.monotonic() + DAILY
                if not quiet:
                    click.echo(f"{utcnow():%Y-%m-%d %H:%M} {summary}")
            except OperationalError as error:
                db.session.rollback()
                click.echo(f"Database unavailable for the daily jobs, trying again shortly: {error.orig}", err=True)
            except Exception as error:  # noqa: BLE001 (a bad daily job must not stop the emails)
                db.session.rollback()
                next_daily = time.monotonic() + DAILY_RETRY
                click.echo(f"The daily jobs failed, trying again in an hour: {error}", err=True)
        try:
            report = outbox.send_due(
                db.session, worker_id, batch=batch, patience=outbox.RECORD_PATIENCE.total_seconds(),
                stopping=lambda: stopping,
            )
        except OperationalError as error:
            db.session.rollback()
            click.echo(f"Database unavailable, trying again shortly: {error.orig}", err=True)
            report = outbox.SendReport()
        if report.claimed and not quiet:
            click.echo(f"{utcnow():%Y-%m-%d %H:%M:%S} {_describe(report)}")
        if report.claimed >= batch:
            continue  # more may be waiting: carry straight on
        if report.claimed:
            time.sleep(BUSY_INTERVAL)  # messages are arriving: look again in a moment
            continue
        for _ in range(interval):
            if stopping:
                break
            time.sleep(1)
    if not quiet:
        click.echo("Outbox worker stopped.")
