"""The sign-up spike: many organisations signing at once while the wall is being read.

Client threads each fetch the form once (for the session's CSRF token) and then post
sign-ups with unique names and emails for a fixed time, so the run always stops by itself.
"""

from __future__ import annotations

import re
import secrets
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

TARGET_PER_SECOND = 100
TARGET_P99_MS = 500


@dataclass
class SignupReport:
    """Accepted sign-ups per second, latency and errors, with the read load measured beside it."""

    seconds: float
    accepted: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    read_result: object = None
    tag: str = ""
    stored: int | None = None  # pending pledges found in the database afterwards
    emails: int | None = None  # confirmation emails queued for them

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds

    @property
    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100)[98] if len(self.latencies_ms) > 1 else 0.0

    @property
    def ok(self) -> bool:
        exact = self.stored in (None, self.accepted) and self.emails in (None, self.accepted)
        return self.per_second >= TARGET_PER_SECOND and self.p99_ms < TARGET_P99_MS and self.errors == 0 and exact

    def describe(self) -> str:
        read = ""
        if self.read_result is not None:
            read = (f"; meanwhile /pledges served {self.read_result.requests_per_second:,.0f} req/s "
                    f"(p99 {self.read_result.p99_ms:.0f} ms, {self.read_result.errors} errors)")
        stored = ""
        if self.stored is not None:
            stored = f"; in the database: {self.stored} pledges, {self.emails} confirmation emails"
        return (f"sign-ups: {self.accepted} accepted in {self.seconds:.0f}s = {self.per_second:.0f}/s, "
                f"p50 {statistics.median(self.latencies_ms or [0]):.0f} ms, p99 {self.p99_ms:.0f} ms, "
                f"{self.errors} errors{read}{stored}  {'ok' if self.ok else 'BELOW TARGET'} "
                f"(target >= {TARGET_PER_SECOND}/s, p99 < {TARGET_P99_MS} ms)")


def form_token(session: requests.Session, base_url: str) -> str:
    """Open the pledge form once, so the session holds a CSRF token, and return the token."""
    html = session.get(f"{base_url}/pledge", timeout=10).text
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', html)
    return match.group(1) or match.group(2)


def signup_form(token: str, name: str, email: str) -> dict:
    """A complete, valid pledge form for a new (demo) organisation."""
    return {
        "csrf_token": token, "organisation_name": f"{name} (demo)",
        "org_type": "business", "size": "small", "sector": "retail", "area": "preston",
        "contact_name": "Bench Person", "contact_role": "Director", "contact_email": email,
        "commitments": ["local_suppliers", "living_wage"], "consent_listed": "y", "privacy": "y",
        "statement": "", "website": "", "postcode": "", "homepage": "",
    }


def _client(base_url: str, client_id: int, deadline: float, report: SignupReport, lock: threading.Lock) -> None:
    """Sign up new organisations one after another until the deadline; only a redirect to "check your email" counts."""
    session = requests.Session()
    token = form_token(session, base_url)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        data = signup_form(token, f"Bench Signup {client_id}-{n}", f"bench-{report.tag}-{client_id}-{n}@example.org")
        started = time.perf_counter()
        try:
            response = session.post(f"{base_url}/pledge", data=data, allow_redirects=False, timeout=10)
            accepted = response.status_code in (302, 303) and "check-your-email" in response.headers.get("Location", "")
        except requests.RequestException:
            accepted = False
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            report.latencies_ms.append(elapsed)
            if accepted:
                report.accepted += 1
            else:
                report.errors += 1


def count_stored(database_url: str, report: SignupReport) -> None:
    """Count what the run left in the database: each accepted sign-up stored once, with one email queued."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    pattern = f"bench-{report.tag}-%"
    with engine.connect() as connection:
        report.stored = connection.execute(
            text("SELECT count(*) FROM pledge WHERE email_key LIKE :p AND status = 'pending'"), {"p": pattern}
        ).scalar_one()
        report.emails = connection.execute(
            text("SELECT count(*) FROM outbox_message WHERE recipient LIKE :p"), {"p": pattern}
        ).scalar_one()
    engine.dispose()


def run_signups(base_url: str, seconds: int = 10, clients: int = 8, read_load=None) -> SignupReport:
    """Post sign-ups from `clients` threads for `seconds`, with an optional read load running beside them."""
    report = SignupReport(seconds=seconds, tag=secrets.token_hex(4))
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(max_workers=clients + 1) as pool:
        reader = pool.submit(read_load) if read_load else None
        futures = [pool.submit(_client, base_url, i, deadline, report, lock) for i in range(clients)]
        for future in futures:
            future.result()
        if reader is not None:
            report.read_result = reader.result()
    return report
