"""The sign-up spike: many organisations signing at once while the outbox worker sends their emails.

Each client is a visitor of its own: it opens the form once (for its cookies and CSRF token), then
posts sign-ups with unique names and emails until the deadline, finishing the request in hand, so
the run stops by itself and every accepted sign-up is known by its email. The clients are asyncio
coroutines speaking plain HTTP/1.1 on one thread, so the load generator takes little of the CPU
the site needs. Afterwards the database is asked whether each accepted sign-up was stored exactly
once with exactly one confirmation email, and how fast the worker delivered those emails.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

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
    latencies_ms: list[float] = field(default_factory=list)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    # Filled in from the database afterwards.
    stored: int | None = None  # accepted sign-ups found in the database
    missing: int | None = None  # accepted but not stored
    unexpected: int | None = None  # stored but never accepted
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
        return statistics.quantiles(self.latencies_ms, n=100)[98] if len(self.latencies_ms) > 1 else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms or [0.0])

    @property
    def exact(self) -> bool:
        """Every accepted sign-up stored once with one email, nothing stored that was not accepted, all delivered."""
        count = len(self.accepted)
        return (self.stored, self.missing, self.unexpected, self.doubled, self.with_one_email, self.delivered) == (
            count, 0, 0, 0, count, count
        )

    @property
    def emails_per_second(self) -> float:
        """The worker's pace: the spike's emails over the time from its first delivery to its last."""
        if not self.delivered or self.first_sent is None or self.last_sent is None:
            return 0.0
        span = (self.last_sent - self.first_sent).total_seconds()
        return self.delivered / span if span > 0 else float(self.delivered)

    @property
    def signups_per_second_stored(self) -> float:
        """The same measure for the sign-ups: stored pledges over the time from the first to the last."""
        if not self.stored or self.first_signed is None or self.last_signed is None:
            return 0.0
        span = (self.last_signed - self.first_signed).total_seconds()
        return self.stored / span if span > 0 else float(self.stored)

    @property
    def lag_seconds(self) -> float | None:
        """How long after the last sign-up its email (or the last of them) was delivered."""
        if self.last_sent is None or self.last_signed is None:
            return None
        return (self.last_sent - self.last_signed).total_seconds()


def _request(method: str, path: str, host: str, cookies: dict[str, str], body: bytes = b"") -> bytes:
    """An HTTP/1.1 request, as bytes; the sync gunicorn workers close the connection after each answer."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close", "User-Agent: bench-signup"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in cookies.items()))
    if method == "POST":
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _exchange(base_url: str, request: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send one request on a fresh connection and read the whole answer: status, headers and body."""
    parts = urlsplit(base_url)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port), TIMEOUT)
    try:
        writer.write(request)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), TIMEOUT)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = [(name.strip().lower(), value.strip()) for name, _, value in (line.partition(":") for line in lines[1:])]
    return status, headers, body


def _keep_cookies(cookies: dict[str, str], headers: list[tuple[str, str]]) -> None:
    """Keep the cookies an answer sets, as a browser would (an empty value deletes one)."""
    for name, value in headers:
        if name == "set-cookie":
            cookie_name, _, cookie_value = value.split(";", 1)[0].partition("=")
            if cookie_value and "max-age=0" not in value.lower():
                cookies[cookie_name.strip()] = cookie_value.strip()
            else:
                cookies.pop(cookie_name.strip(), None)


_TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"|value="([^"]+)"[^>]*?name="csrf_token"')


def signup_form(token: str, name: str, email: str) -> dict:
    """A complete, valid pledge form for a new (demo) organisation."""
    return {
        "csrf_token": token, "organisation_name": f"{name} (demo)",
        "org_type": "business", "size": "small", "sector": "retail", "area": "preston",
        "contact_name": "Bench Person", "contact_role": "Director", "contact_email": email,
        "commitments": ["local_suppliers", "living_wage"], "consent_listed": "y", "privacy": "y",
        "statement": "", "website": "", "postcode": "", "homepage": "",
    }


async def _client(base_url: str, number: int, deadline: float, report: SignupReport) -> None:
    """One visitor: open the form, then sign up new organisations until the deadline."""
    host = urlsplit(base_url).netloc
    cookies: dict[str, str] = {}
    status, headers, body = await _exchange(base_url, _request("GET", "/pledge", host, cookies))
    _keep_cookies(cookies, headers)
    match = _TOKEN.search(body.decode("utf-8", "replace"))
    if status != 200 or match is None:
        raise RuntimeError(f"the pledge form answered {status} without a CSRF token")
    token = match.group(1) or match.group(2)
    sent = 0
    while time.monotonic() < deadline:
        sent += 1
        email = f"bench-{report.tag}-{number}-{sent}@example.org"
        data = urlencode(signup_form(token, f"Bench Signup {report.tag} {number}-{sent}", email), doseq=True)
        started = time.perf_counter()
        try:
            status, headers, _ = await _exchange(base_url, _request("POST", "/pledge", host, cookies, data.encode()))
            location = dict(headers).get("location", "")
            accepted = status in (302, 303) and "check-your-email" in location
            _keep_cookies(cookies, headers)
        except (OSError, ValueError, IndexError):
            accepted = False
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
        if accepted:
            report.accepted.append(email)
        else:
            report.errors += 1


async def _spike(base_url: str, seconds: float, clients: int, report: SignupReport) -> None:
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(_client(base_url, number, deadline, report) for number in range(clients)))


def run_signups(base_url: str, seconds: int = 10, clients: int = CLIENTS) -> SignupReport:
    """Post sign-ups from `clients` visitors at once for `seconds`, then stop."""
    report = SignupReport(seconds=seconds, tag=secrets.token_hex(4))
    report.started_at = datetime.now(UTC)
    started = time.monotonic()
    asyncio.run(_spike(base_url, seconds, clients, report))
    report.seconds = time.monotonic() - started  # the last requests finish a little after the deadline
    report.ended_at = datetime.now(UTC)
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


def _utc(moment: datetime) -> datetime:
    """A timestamp from the database as an aware UTC datetime (SQLite gives them naive)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
