"""The fault drill: sign-ups under load while the mail server and then the database are pulled away.

Usage: .venv/bin/python bench/fault_drill.py   (after bench/run has created the bench database)

It serves the site under gunicorn with an outbox worker, posts sign-ups from 8 clients for
40 seconds and reads the wall beside them, stops the mail server from 8 s to 16 s and the
machine's PostgreSQL cluster from 22 s to 30 s, waits for the outbox to deliver everything
(retries back off by a minute or two), and then checks for lost or doubled data:

- every sign-up answered "check your email" is stored exactly once, with one confirmation email;
- the mail server received each of those emails exactly once;
- a sign-up refused with a 503 while the database was away left nothing behind.

It stops and starts the local PostgreSQL cluster, so run it only on a development machine.
Everything listens on 127.0.0.1, and the drill stops by itself.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import BIN, HOST, ROOT, SITE_PORT, SMTP_PORT, database_url, gunicorn, serve, site_env  # noqa: E402
from bench.signup_load import form_token, signup_form  # noqa: E402
from config import _database_url  # noqa: E402

SECONDS = 40
MAIL_DOWN, MAIL_UP = 8, 16
DATABASE_DOWN, DATABASE_UP = 22, 30
DRAIN_SECONDS = 300
CLIENTS = 8


class Mailbox:
    """An SMTP handler that counts what each address received."""

    def __init__(self) -> None:
        self.received: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:
            self.received.update(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def postgres(action: str) -> None:
    """Stop or start the machine's PostgreSQL cluster."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action, *(
        ["-m", "fast"] if action == "stop" else [])], check=True)


def sign_up(base_url: str, client_id: int, tag: str, deadline: float, outcomes: dict, lock: threading.Lock) -> None:
    """Post sign-ups until the deadline, recording each email address's answer."""
    session = requests.Session()
    token = form_token(session, base_url)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        email = f"drill-{tag}-{client_id}-{n}@example.org"
        data = signup_form(token, f"Drill {tag} {client_id}-{n}", email)
        try:
            response = session.post(f"{base_url}/pledge", data=data, allow_redirects=False, timeout=30)
            location = response.headers.get("Location", "")
            outcome = "accepted" if response.status_code == 303 and "check-your-email" in location else str(
                response.status_code)
        except requests.RequestException as error:
            outcome = type(error).__name__
        with lock:
            outcomes[email] = outcome
        if outcome != "accepted":
            time.sleep(0.2)  # as a person would, before trying again


def read_wall(base_url: str, deadline: float, statuses: collections.Counter) -> None:
    """Read the pledge wall throughout, counting the answers."""
    session = requests.Session()
    while time.monotonic() < deadline:
        try:
            statuses[str(session.get(f"{base_url}/pledges", timeout=30).status_code)] += 1
        except requests.RequestException as error:
            statuses[type(error).__name__] += 1
        time.sleep(0.01)


def main() -> int:
    """Run the drill and report; exit 1 if anything was lost or doubled."""
    from sqlalchemy import create_engine, text

    url = database_url()
    base_url = f"http://{HOST}:{SITE_PORT}"
    tag = time.strftime("%H%M%S")
    subprocess.run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], env=site_env(url), cwd=ROOT, check=True,
                   capture_output=True)
    mailbox = Mailbox()
    smtp = [Controller(mailbox, hostname=HOST, port=SMTP_PORT)]
    smtp[0].start()

    def mail_back() -> None:
        smtp[0] = Controller(mailbox, hostname=HOST, port=SMTP_PORT)  # a stopped controller cannot restart
        smtp[0].start()
    worker = subprocess.Popen([str(BIN / "flask"), "--app", "app", "outbox", "worker", "--quiet", "--interval", "1"],
                              env=site_env(url), cwd=ROOT, start_new_session=True)
    outcomes: dict[str, str] = {}
    reads: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    engine = create_engine(_database_url(url), pool_pre_ping=True)
    try:
        with serve(gunicorn("app:app", SITE_PORT), site_env(url), SITE_PORT):
            started = time.monotonic()
            deadline = started + SECONDS
            threads = [threading.Thread(target=sign_up, args=(base_url, i, tag, deadline, outcomes, lock))
                       for i in range(CLIENTS)]
            threads.append(threading.Thread(target=read_wall, args=(base_url, deadline, reads)))
            for thread in threads:
                thread.start()
            for at, say, act in (
                (MAIL_DOWN, "mail server stopped", lambda: smtp[0].stop()),
                (MAIL_UP, "mail server back", mail_back),
                (DATABASE_DOWN, "PostgreSQL stopped", lambda: postgres("stop")),
                (DATABASE_UP, "PostgreSQL back", lambda: postgres("start")),
            ):
                time.sleep(max(0.0, started + at - time.monotonic()))
                act()
                print(f"{time.monotonic() - started:5.1f}s  {say}", flush=True)
            for thread in threads:
                thread.join()
        accepted = {email for email, outcome in outcomes.items() if outcome == "accepted"}
        print(f"Sign-ups: {collections.Counter(outcomes.values())}; wall reads: {dict(reads)}", flush=True)

        waited = 0
        with engine.connect() as connection:
            while waited < DRAIN_SECONDS:
                waiting = connection.execute(text(
                    "SELECT count(*) FROM outbox_message WHERE recipient LIKE :p AND status IN ('pending', 'sending')"
                ), {"p": f"drill-{tag}-%"}).scalar_one()
                connection.commit()
                if waiting == 0:
                    break
                print(f"Waiting for the outbox to deliver {waiting} emails (retries back off)", flush=True)
                time.sleep(10)
                waited += 10
            pledges = collections.Counter(connection.execute(text(
                "SELECT email_key FROM pledge WHERE email_key LIKE :p"), {"p": f"drill-{tag}-%"}).scalars())
            emails = collections.Counter(connection.execute(text(
                "SELECT recipient FROM outbox_message WHERE recipient LIKE :p AND status = 'sent'"
            ), {"p": f"drill-{tag}-%"}).scalars())
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        smtp[0].stop()
        engine.dispose()

    refused = {email for email, outcome in outcomes.items() if outcome != "accepted"}
    delivered = {email: count for email, count in mailbox.received.items() if email.startswith(f"drill-{tag}-")}
    problems = {
        "accepted but not stored": sorted(e for e in accepted if pledges[e] == 0),
        "stored more than once": sorted(e for e in pledges if pledges[e] > 1),
        "accepted without exactly one sent email": sorted(e for e in accepted if emails[e] != 1),
        "not delivered": sorted(e for e in accepted if mailbox.received[e] == 0),
        "delivered more than once": sorted(e for e in delivered if delivered[e] > 1),
        "refused but stored": sorted(e for e in refused if pledges[e] > 0),
    }
    print(f"Accepted {len(accepted)}, refused {len(refused)}; stored {sum(pledges.values())}; "
          f"the mail server received {sum(delivered.values())} of their emails, for {len(delivered)} addresses")
    for name, emails_with_problem in problems.items():
        print(f"  {name}: {len(emails_with_problem)}" + (f" (e.g. {emails_with_problem[:3]})" if emails_with_problem else ""))
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
