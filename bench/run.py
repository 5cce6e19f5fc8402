"""Run the load benchmark and report every figure as a ratio to a bare Flask hello-world, beside its target.

One run measures, against the hello-world served the same way in the same run:
- cached pages (anonymous visitors, served from the page cache);
- fresh renders (the same pages for a visitor with a session cookie, rendered every time);
- a spike of sign-ups while the outbox worker sends their emails, checked in the database afterwards;
- how fast the worker delivered those emails, against how fast the sign-ups came;
- the memory of each gunicorn worker;
- where the spike's CPU went, per sign-up.

The hello-world is served beside the site and loaded in turns with each page (and just before and
after the spike), so each ratio compares the two under the same conditions: on a shared machine
the cores' speed drifts by a third within minutes, more than most changes move a figure.
Everything listens on 127.0.0.1 and every load run is bounded in time, so it stops by itself.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cpu  # noqa: E402
from config import _database_url  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
SITE_PORT, HELLO_PORT, SMTP_PORT = 8101, 8102, 8125
SECRET_KEY = "bench-" + "k" * 40
CACHED_PAGES = ["/", "/pledges", "/pledges?q=rose", "/pledges/demo-42", "/api/figures.json"]
FRESH_PAGES = ["/", "/pledges", "/pledges?q=rose", "/pledges/demo-42", "/figures"]
# Targets, as a share of the hello-world's requests per second in the same run.
CACHED_TARGET = 1.0
FRESH_TARGET = 0.25
SIGNUP_TARGET = 0.03
SIGNUP_P99_MS = 500
RSS_LIMIT_MB = 150


@dataclass
class Result:
    """What wrk measured for one URL."""

    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class Row:
    """One line of the report: what was measured, its ratio to the hello-world, the target, and the verdict."""

    name: str
    measured: str
    ratio: str
    target: str
    met: bool
    note: str = ""


def database_url() -> str:
    """PostgreSQL's bench database when the server answers, else a SQLite file."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    probe = subprocess.run(["pg_isready", "-h", HOST, "-q"], check=False)
    if probe.returncode == 0:
        subprocess.run(["psql", "-h", HOST, "-U", "postgres", "-qc", "CREATE DATABASE bench"],
                       capture_output=True, check=False)
        return f"postgresql://postgres@{HOST}:5432/bench"
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    return f"sqlite:///{ROOT / 'bench' / 'out' / 'bench.db'}"


def site_env(url: str, extra: dict | None = None) -> dict:
    """The environment the site runs with in the benchmark: production settings, limits raised."""
    env = dict(os.environ)
    env.update({
        "APP_ENV": "production", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": url,
        "SITE_URL": f"http://{HOST}:{SITE_PORT}", "MAIL_SERVER": HOST, "MAIL_PORT": str(SMTP_PORT),
        # Every sign-up comes from 127.0.0.1, so the per-address limits would refuse the spike.
        "PLEDGE_RATE_LIMIT": "1000000 per minute", "PLEDGE_POST_RATE_LIMIT": "1000000 per minute",
        "LOG_LEVEL": "WARNING",
        # The benchmark talks plain HTTP on 127.0.0.1, so the session cookie cannot be HTTPS-only here.
        "SESSION_COOKIE_SECURE": "false",
        # As in a production spike: the web only queues emails, and an outbox worker sends them.
        "OUTBOX_SEND_IN_REQUEST": "false",
    })
    env.update(extra or {})
    return env


def session_cookie() -> str:
    """A signed session cookie like the one a visitor holds after signing, as the site would set it.

    Anyone with a session gets every page rendered afresh, never from the page cache. The cookie is
    the one the browser holds after its first page: Flask-Login marks a session it did not sign in as
    not fresh (`_fresh`), once, and the browser keeps the cookie that carries the mark. (wrk replays one
    cookie; without the mark, every response would carry a new one, which no browser would see.)
    """
    from flask import Flask

    app = Flask("bench")
    app.secret_key = SECRET_KEY
    value = app.session_interface.get_signing_serializer(app).dumps({"_fresh": False, "pledge_email": "reader@example.org"})
    return f"session={value}"  # SESSION_COOKIE_SECURE=false keeps the plain name


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port` (another benchmark would spoil this one's figures)."""
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) != 0


@contextmanager
def serve(argv: list[str], env: dict, port: int):
    """Start a server process and wait until it answers; stop it afterwards."""
    process = subprocess.Popen(argv, env=env, cwd=ROOT, start_new_session=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{argv[0]} did not start on port {port}")
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def gunicorn(app: str, port: int) -> list[str]:
    """The same gunicorn settings for the site and the hello-world: 2 sync workers on 127.0.0.1."""
    return [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"{HOST}:{port}", "--log-level", "warning", app]


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int, connections: int = 16, headers: list[str] | None = None) -> Result:
    """Load one URL with wrk and read requests/s and latency percentiles from its report."""
    extra = [argument for header in headers or [] for argument in ("-H", header)]
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s", *extra, url],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1))
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(n) for n in match.groups())
    path = url.split(str(SITE_PORT), 1)[-1] if str(SITE_PORT) in url else "/ (hello)"
    return Result(path, rps, p50, p99, errors)


def wait_for_outbox(url: str, limit_seconds: int = 120) -> None:
    """Let the outbox worker send what earlier runs queued, so it is idle while the pages are measured."""
    from sqlalchemy import create_engine, text

    engine = create_engine(_database_url(url))
    deadline = time.monotonic() + limit_seconds
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text("SELECT count(*) FROM outbox_message WHERE status IN ('pending', 'sending')")
            ).scalar_one()
            connection.commit()
            if waiting == 0:
                break
            print(f"Waiting for the outbox worker to send {waiting:,} emails queued by an earlier run", flush=True)
            time.sleep(5)
    engine.dispose()


def tidy(url: str) -> None:
    """VACUUM ANALYZE the bench database before measuring, as autovacuum keeps a production server.

    This machine's PostgreSQL runs with autovacuum off, so without it every run measures the next
    against the dead rows of the last: the outbox's claim query slowed from 1 ms to 6 ms after a few.
    """
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(_database_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        off = connection.execute(text("SHOW autovacuum")).scalar_one() == "off"
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    if off:
        print("This PostgreSQL server runs without autovacuum: vacuumed and analysed the bench database by hand")


def worker_rss_mb(master: int) -> list[float]:
    """Resident memory of each gunicorn worker (the master's children), in MB."""
    output = subprocess.run(["ps", "-o", "rss=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(line) / 1024 for line in output.split()]


HELLO_URL = f"http://{HOST}:{HELLO_PORT}/"
ROUNDS = 3  # each page is measured in this many turns, each beside a turn of the hello-world


def _median(results: list[Result], path: str) -> Result:
    """One result for several runs of the same URL: median rate and p50, the worst p99, every error."""
    return Result(path, statistics.median(r.requests_per_second for r in results),
                  statistics.median(r.p50_ms for r in results), max(r.p99_ms for r in results),
                  sum(r.errors for r in results))


def paired(url: str, seconds: int, hellos: list[Result], headers: list[str] | None = None) -> tuple[Result, Result]:
    """Load a page and the hello-world in turns, so both see the same machine.

    On a shared machine the speed of the cores drifts by a third within minutes; a page measured
    minutes away from its hello-world would mostly measure the drift. Each turn here runs the
    hello-world, then the page, for a third of `seconds` each; the ratio is of their medians.
    """
    wrk(url, 2, headers=headers)  # warm caches and connections
    turn = max(seconds // ROUNDS, 2)
    page_runs, hello_runs = [], []
    for _ in range(ROUNDS):
        hello_runs.append(wrk(HELLO_URL, turn))
        page_runs.append(wrk(url, turn, headers=headers))
    hellos += hello_runs
    path = url.split(str(SITE_PORT), 1)[-1]
    return _median(page_runs, path), _median(hello_runs, "/ (hello)")


def page_rows(pairs: list[tuple[Result, Result]], kind: str, target: float) -> list[Row]:
    """A row per page: req/s and latency, the ratio to the hello-world measured beside it, met if at the target with no errors."""
    rows = []
    for result, hello in pairs:
        ratio = result.requests_per_second / hello.requests_per_second
        rows.append(Row(
            f"{kind} {result.path}", f"{result.requests_per_second:,.0f} req/s", f"{ratio:.2f}", f">= {target:.2f}",
            ratio >= target and result.errors == 0,
            f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, {result.errors} errors",
        ))
    return rows


def signup_rows(spikes: list[tuple[object, Result]]) -> list[Row]:
    """The spikes' rows: sign-ups per second (with latency, errors and the database check) and emails per second.

    Each spike is measured against the hello-world runs on either side of it; the rows give the median
    spike, and are met only if every spike stored each sign-up once with one email, all delivered.
    """
    ratios = [report.per_second / hello.requests_per_second for report, hello in spikes]
    middle = sorted(range(len(spikes)), key=lambda index: ratios[index])[len(spikes) // 2]
    report, hello = spikes[middle]
    every = "; ".join(
        f"{spike.per_second:,.0f}/s ({ratio:.3f}, hello {hello.requests_per_second:,.0f})"
        for (spike, hello), ratio in zip(spikes, ratios, strict=True)
    )
    count = len(report.accepted)
    checked = (f"{report.stored:,} of {count:,} stored, {report.missing} missing, {report.doubled} doubled, "
               f"{report.unexpected} more in flight when wrk stopped (stored, answer unread); "
               f"{report.with_one_email:,} with exactly one email")
    all_good = all(spike.errors == 0 and spike.exact and spike.p99_ms < SIGNUP_P99_MS for spike, _ in spikes)
    signups = Row(
        "sign-ups, worker sending", f"{report.per_second:,.0f} /s", f"{ratios[middle]:.3f}",
        f">= {SIGNUP_TARGET:.3f}, p99 < {SIGNUP_P99_MS} ms, 0 errors, each stored once with one email",
        ratios[middle] >= SIGNUP_TARGET and all_good,
        f"median of {len(spikes)} spikes: {every}. The median one: {count:,} in {report.seconds:.1f} s; "
        f"p50 {report.p50_ms:.0f} ms, p99 {report.p99_ms:.0f} ms, {report.errors} errors; {checked}. "
        f"Every spike: {'0 errors, each stored once with one email, all delivered' if all_good else 'NOT ALL EXACT'}",
    )
    paces = [spike.emails_per_second / spike.signups_per_second_stored if spike.signups_per_second_stored else 0.0
             for spike, _ in spikes]
    pace = statistics.median(paces)
    delivered = all(spike.delivered == len(spike.accepted) + (spike.unexpected or 0) for spike, _ in spikes)
    lag = report.lag_seconds
    emails = Row(
        "emails delivered", f"{report.emails_per_second:,.0f} /s", f"{pace:.2f} x sign-ups",
        ">= 1.00 x sign-ups", pace >= 1.0 and delivered,
        f"median of {len(spikes)} spikes: {', '.join(f'{p:.2f}' for p in paces)}. The median sign-up spike: "
        f"{report.delivered:,} delivered, {report.sent_during_spike or 0:,} during the spike; sign-ups stored at "
        f"{report.signups_per_second_stored:,.0f}/s (first to last), emails sent at {report.emails_per_second:,.0f}/s "
        f"(first to last); the last email went {lag:.1f} s after the last sign-up" if lag is not None else "no emails",
    )
    return [signups, emails]


def cpu_meter(site: int, worker: int, smtp: int, url: str) -> cpu.Meter:
    """What to measure the CPU of during the spike and the delivery of its emails."""
    meter = cpu.Meter()
    meter.add("web", lambda: sum(cpu.cpu_seconds(pid) for pid in cpu.children_of(site)))
    meter.add("outbox worker", lambda: cpu.cpu_seconds(worker))
    if url.startswith("postgresql"):
        meter.add("PostgreSQL", cpu.postgres_reading)
    meter.add("mail sink", lambda: cpu.cpu_seconds(smtp))
    meter.add("load generator", cpu.own_reading)
    return meter


def print_cpu(meter: cpu.Meter, spikes: list[tuple[object, Result]]) -> None:
    """Where the spikes' CPU went, per sign-up, against what the target rate leaves each one on this machine."""
    count = sum(len(report.accepted) + (report.unexpected or 0) for report, _ in spikes)
    if not count:
        return
    hello = _median([hello for _, hello in spikes], "/ (hello)")
    parts = ", ".join(f"{name} {seconds / count * 1000:.1f} ms" for name, seconds in meter.used.items())
    total = sum(meter.used.values()) / count * 1000
    budget = (os.cpu_count() or 1) * 1000 / (SIGNUP_TARGET * hello.requests_per_second)
    print()
    print(f"CPU per sign-up (every spike, from its start to its last email): {parts}; total {total:.1f} ms. At the target rate "
          f"({SIGNUP_TARGET * hello.requests_per_second:,.0f}/s) {os.cpu_count()} cores leave each sign-up {budget:.1f} ms.")


def print_table(hello: Result, rows: list[Row]) -> None:
    """The report: one line per figure, met or missed, with the details under it."""
    print()
    print(f"hello-world (median of every run): {hello.requests_per_second:,.0f} req/s, p50 {hello.p50_ms:.1f} ms, "
          f"p99 {hello.p99_ms:.1f} ms, {hello.errors} errors")
    print("each ratio is to the hello-world runs beside its figure: in turns for a page, just before and after the spike")
    print("cached: anonymous visitors, from the page cache; fresh: the same pages for a visitor with a session cookie")
    print()
    print(f"{'':<26}{'measured':>15}{'ratio':>17}  {'target':<20}")
    for row in rows:
        target = row.target if len(row.target) <= 20 else row.target.split(",")[0] + ", ..."
        print(f"{row.name:<26}{row.measured:>15}{row.ratio:>17}  {target:<20}  {'met' if row.met else 'MISSED'}")
        if row.note:
            print(f"{'':<28}{row.note}")


def main() -> int:
    """Seed, serve, load, report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the database from the last run")
    parser.add_argument("--skip-signups", action="store_true", help="only measure the pages")
    parser.add_argument("--skip-pages", action="store_true", help="only measure the sign-ups and their emails")
    parser.add_argument("--spikes", type=int, default=3, help="sign-up spikes to run (the report gives the median)")
    args = parser.parse_args()

    busy = [port for port in (SITE_PORT, HELLO_PORT, SMTP_PORT) if not port_is_free(port)]
    if busy:
        print(f"Something already listens on 127.0.0.1 port {', '.join(map(str, busy))}: is another benchmark running?")
        return 2
    url = database_url()
    print(f"Database: {url.split('@')[-1]}")
    if not args.skip_seed:
        subprocess.run([str(BIN / "python"), "bench/seed_bench.py"], env=site_env(url), cwd=ROOT, check=True)

    tidy(url)
    smtp = subprocess.Popen([str(BIN / "python"), "-m", "aiosmtpd", "-n", "-l", f"{HOST}:{SMTP_PORT}",
                             "-c", "aiosmtpd.handlers.Sink"], start_new_session=True)
    time.sleep(1)  # let the mail sink listen before the worker starts sending
    # At lower CPU priority, as deploy/backing-lancashire-worker.service runs it: in a spike on a shared
    # machine, visitors come first and emails follow.
    worker = subprocess.Popen(["nice", "-n", "5", str(BIN / "flask"), "--app", "app", "outbox", "worker", "--quiet"],
                              env=site_env(url), cwd=ROOT, start_new_session=True,
                              stderr=subprocess.DEVNULL)
    cached: list[tuple[Result, Result]] = []
    fresh: list[tuple[Result, Result]] = []
    hellos: list[Result] = []
    spikes: list[tuple[object, Result]] = []
    meter = None
    try:
        wait_for_outbox(url)
        # The hello-world and the site are served side by side throughout; each waits idle while the other is loaded.
        with serve(gunicorn("bench.hello:app", HELLO_PORT), dict(os.environ), HELLO_PORT), \
                serve(gunicorn("app:app", SITE_PORT), site_env(url), SITE_PORT) as site:
            wrk(HELLO_URL, 2)
            for path in [] if args.skip_pages else CACHED_PAGES:
                cached.append(paired(f"http://{HOST}:{SITE_PORT}{path}", args.seconds, hellos))
            cookie = [f"Cookie: {session_cookie()}"]
            for path in [] if args.skip_pages else FRESH_PAGES:
                fresh.append(paired(f"http://{HOST}:{SITE_PORT}{path}", args.seconds, hellos, headers=cookie))
            if not args.skip_signups:
                from bench.signup_load import check_database, run_signups

                # Spikes with the hello-world before, between and after them, each spike against its neighbours.
                meter = cpu_meter(site.pid, worker.pid, smtp.pid, url)
                around = [wrk(HELLO_URL, args.seconds)]
                for _ in range(args.spikes):
                    meter.start()
                    report = run_signups(f"http://{HOST}:{SITE_PORT}", SECRET_KEY, seconds=args.seconds)
                    check_database(_database_url(url), report)
                    meter.stop()
                    around.append(wrk(HELLO_URL, args.seconds))
                    spikes.append((report, _median(around[-2:], "/ (hello)")))  # the median of two is their mean
                hellos += around
            rss = worker_rss_mb(site.pid)
    finally:
        # The worker first, letting it finish its pass, so no email fails for want of the mail sink.
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        os.killpg(smtp.pid, signal.SIGTERM)

    hello = _median(hellos, "/ (hello)")
    rates = [result.requests_per_second for result in hellos]
    print(f"\nhello-world: {len(hellos)} runs beside the figures, {min(rates):,.0f} to {max(rates):,.0f} req/s")
    rows = page_rows(cached, "cached", CACHED_TARGET)
    rows += page_rows(fresh, "fresh", FRESH_TARGET)
    if spikes:
        rows += signup_rows(spikes)
    rows.append(Row("gunicorn worker RSS", ", ".join(f"{mb:.0f} MB" for mb in rss), "", f"< {RSS_LIMIT_MB} MB",
                    all(mb < RSS_LIMIT_MB for mb in rss)))
    print_table(hello, rows)
    if spikes and meter is not None:
        print_cpu(meter, spikes)
    missed = [row.name for row in rows if not row.met]
    print()
    print(f"{len(rows) - len(missed)} of {len(rows)} met" + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
