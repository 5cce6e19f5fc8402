"""The sign-up spike: many organisations signing at once while the outbox worker sends their emails.

The form is opened once (for its cookie and CSRF token); then wrk, with bench/signup.lua, posts
sign-ups with unique names and emails from 8 connections for a fixed time, so the run stops by
itself. Each accepted sign-up's answer carries the signed "check your email" note naming its
address, so every accepted sign-up is known by its email. Afterwards the database is asked whether
each was stored exactly once with exactly one confirmation email, and how fast the worker
delivered those emails.

When wrk stops, up to one request per connection is still in flight: the site finishes and stores
it, but nobody reads the answer, as when a visitor closes the tab just after pressing the button.
Those are counted apart ("in flight"), never as accepted, and are checked like the rest.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from itsdangerous import BadData, URLSafeTimedSerializer

SCRIPT = Path(__file__).resolve().parent / "signup.lua"
CLIENTS = 8
TIMEOUT = 10  # seconds a request may take before it counts as an error
DRAIN_SECONDS = 120  # the longest to wait, after the spike, for the worker to deliver its emails


@dataclass
class SignupReport:
    """What the spike did: accepted sign-ups, latency and errors, then what the database holds."""

    seconds: float
    tag: str
    accepted: list[str] = field(default_factory=list)  # the email of each accepted sign-up
    errors: int = 0
    p50_us: int = 0  # wrk's latency percentiles, in microseconds
    p99_us: int = 0
    connections: int = CLIENTS
    started_at: datetime | None = None
    ended_at: datetime | None = None
    # Filled in from the database afterwards.
    stored: int | None = None  # accepted sign-ups found in the database
    missing: int | None = None  # accepted but not stored
    unexpected: int | None = None  # stored but never accepted: at most one in flight per connection when wrk stopped
    doubled: int | None = None  # stored more than once
    with_one_email: int | None = None  # stored pledges with exactly one confirmation email
    delivered: int | None = None  # those emails marked sent
    first_sent: datetime | None = None
    last_sent: datetime | None = None
    first_signed: datetime | None = None
    last_signed: datetime | None = None
    sent_during_spike: int | None = None

    @property
    def per_second(self) -> float:
        """Accepted sign-ups per second of the spike."""
        return len(self.accepted) / self.seconds

    @property
    def p99_ms(self) -> float:
        return self.p99_us / 1000

    @property
    def p50_ms(self) -> float:
        return self.p50_us / 1000

    @property
    def exact(self) -> bool:
        """Every accepted sign-up stored once with one email, delivered; nothing else stored but the few in flight."""
        count = len(self.accepted)
        in_flight = self.unexpected or 0
        return (self.stored, self.missing, self.doubled) == (count, 0, 0) and in_flight <= self.connections and (
            self.with_one_email == self.delivered == count + in_flight
        )

    @property
    def emails_per_second(self) -> float:
        """The worker's pace: the spike's emails over the time from its first delivery to its last."""
        return _rate(self.delivered, self.first_sent, self.last_sent)

    @property
    def signups_per_second_stored(self) -> float:
        """The same measure for the sign-ups: stored pledges over the time from the first to the last."""
        return _rate(self.stored, self.first_signed, self.last_signed)

    @property
    def lag_seconds(self) -> float | None:
        """How long after the last sign-up its email (or the last of them) was delivered."""
        if self.last_sent is None or self.last_signed is None:
            return None
        return (self.last_sent - self.last_signed).total_seconds()


_TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"|value="([^"]+)"[^>]*?name="csrf_token"')


def _token_in(page: str) -> str:
    match = _TOKEN.search(page)
    if match is None:
        raise RuntimeError("the pledge form came without a CSRF token")
    return match.group(1) or match.group(2)


def open_form(base_url: str) -> tuple[str, str]:
    """Open the pledge form once, as a visitor's browser does: its CSRF token, and its cookies as a Cookie header."""
    with urllib.request.urlopen(f"{base_url}/pledge", timeout=TIMEOUT) as response:  # noqa: S310 (our site, http)
        page = response.read().decode("utf-8", "replace")
        cookies = [value.split(";", 1)[0] for value in response.headers.get_all("Set-Cookie") or []]
    return _token_in(page), "; ".join(cookies)


def form_token(session, base_url: str) -> str:
    """The pledge form's CSRF token, its cookie kept in a `requests` session (bench/fault_drill.py's clients)."""
    return _token_in(session.get(f"{base_url}/pledge", timeout=TIMEOUT).text)


def signup_form(token: str, name: str, email: str) -> dict:
    """A complete, valid pledge form for a new (demo) organisation (bench/signup.lua sends the same fields)."""
    return {
        "csrf_token": token, "organisation_name": f"{name} (demo)",
        "org_type": "business", "size": "small", "sector": "retail", "area": "preston",
        "contact_name": "Bench Person", "contact_role": "Director", "contact_email": email,
        "commitments": ["local_suppliers", "living_wage"], "consent_listed": "y", "privacy": "y",
        "statement": "", "website": "", "postcode": "", "homepage": "",
    }


def _emailed(note: str, secret_key: str) -> str | None:
    """The address an accepted sign-up's "check your email" note names (the note is signed with the site's key)."""
    serializer = URLSafeTimedSerializer(secret_key, salt="visitor-note:pledge_email")
    try:
        return serializer.loads(note)
    except BadData:
        return None


def run_signups(base_url: str, secret_key: str, seconds: int = 10, clients: int = CLIENTS) -> SignupReport:
    """Post sign-ups from `clients` connections at once for `seconds` with wrk, then stop.

    wrk, the load generator every other figure uses, costs a sign-up a small part of the CPU a Python
    client did; on two cores that CPU is the site's. The form is opened once, and every request
    sends its token and cookie, as one visitor's tabs would.
    """
    report = SignupReport(seconds=seconds, tag=secrets.token_hex(4))
    token, cookie = open_form(base_url)
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as notes:
        report.started_at = datetime.now(UTC)
        started = time.monotonic()
        output = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", f"{TIMEOUT}s", "-s", str(SCRIPT),
             f"{base_url}/pledge", "--", report.tag, token, cookie, notes.name],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        ).stdout
        report.seconds = time.monotonic() - started
        report.ended_at = datetime.now(UTC)
        accepted = [_emailed(line.strip(), secret_key) for line in notes if line.strip()]
    report.accepted = [email for email in accepted if email]
    report.errors = int(re.search(r"REFUSED (\d+)", output).group(1)) + (len(accepted) - len(report.accepted))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        report.errors += sum(int(n) for n in match.groups())
    report.p50_us = int(re.search(r"P50 (\d+)", output).group(1))
    report.p99_us = int(re.search(r"P99 (\d+)", output).group(1))
    report.connections = clients
    return report


def check_database(database_url: str, report: SignupReport, drain_seconds: int = DRAIN_SECONDS) -> None:
    """Wait for the worker to deliver the spike's emails, then check each sign-up and time the deliveries."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    pattern = f"bench-{report.tag}-%"
    accepted = set(report.accepted)
    with engine.connect() as connection:
        deadline = time.monotonic() + drain_seconds
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text("SELECT count(*) FROM outbox_message WHERE recipient LIKE :p AND status IN ('pending', 'sending')"),
                {"p": pattern},
            ).scalar_one()
            connection.commit()
            if waiting == 0:
                break
            time.sleep(0.5)
        pledges = connection.execute(
            text("SELECT contact_email, created_at FROM pledge WHERE contact_email LIKE :p AND status = 'pending'"),
            {"p": pattern},
        ).all()
        emails = connection.execute(
            text("SELECT recipient, status, sent_at FROM outbox_message WHERE recipient LIKE :p"), {"p": pattern}
        ).all()
    engine.dispose()

    stored = [row.contact_email for row in pledges]
    report.stored = len(set(stored) & accepted)
    report.missing = len(accepted - set(stored))
    report.unexpected = len(set(stored) - accepted)
    report.doubled = len(stored) - len(set(stored))
    per_recipient: dict[str, int] = {}
    for row in emails:
        per_recipient[row.recipient] = per_recipient.get(row.recipient, 0) + 1
    report.with_one_email = sum(1 for email in stored if per_recipient.get(email) == 1)
    sent = [row.sent_at for row in emails if row.status == "sent" and row.sent_at is not None]
    report.delivered = len(sent)
    if sent:
        report.first_sent, report.last_sent = _utc(min(sent)), _utc(max(sent))
        report.sent_during_spike = sum(1 for moment in sent if _utc(moment) <= report.ended_at)
    if pledges:
        created = [_utc(row.created_at) for row in pledges]
        report.first_signed, report.last_signed = min(created), max(created)


def _rate(count: int | None, first: datetime | None, last: datetime | None) -> float:
    """How many a second, from the first to the last (all of them at once counts as their number)."""
    if not count or first is None or last is None:
        return 0.0
    span = (last - first).total_seconds()
    return count / span if span > 0 else float(count)


def _utc(moment: datetime) -> datetime:
    """A timestamp from the database as an aware UTC datetime (SQLite gives them naive)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
